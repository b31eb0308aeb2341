// An inbox of received messages that tests await with explicit timeouts.

export interface Inbox<T> {
  push(item: T): void;
  /** Resolves with the next item, or rejects after `timeoutMs`. */
  next(timeoutMs?: number): Promise<T>;
  /** Items received but not yet taken. */
  readonly pending: T[];
}

export function createInbox<T>(): Inbox<T> {
  const pending: T[] = [];
  const waiters: Array<(item: T) => void> = [];
  return {
    pending,
    push(item) {
      const waiter = waiters.shift();
      if (waiter) waiter(item);
      else pending.push(item);
    },
    next(timeoutMs = 5000) {
      if (pending.length > 0) return Promise.resolve(pending.shift()!);
      return new Promise<T>((resolve, reject) => {
        const timer = setTimeout(() => {
          waiters.splice(waiters.indexOf(done), 1);
          reject(new Error(`no message within ${timeoutMs} ms`));
        }, timeoutMs);
        const done = (item: T) => {
          clearTimeout(timer);
          resolve(item);
        };
        waiters.push(done);
      });
    },
  };
}
