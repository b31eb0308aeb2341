// One call at a time: the actor's calls on one store run in turn, each
// after the one queued before it has ended, however their awaits interleave.

/** Per key (a store), the end of the last call queued on it; gone once nothing is queued. */
const queues = new WeakMap<object, Promise<void>>();

/** Runs `call` once every call queued on `key` before it has ended (resolved or rejected). */
export function inTurn<T>(key: object, call: () => Promise<T>): Promise<T> {
  const queue = queues.get(key);
  const result = queue ? queue.then(call, call) : call();
  const tail: Promise<void> = result.then(
    () => void (queues.get(key) === tail && queues.delete(key)),
    () => void (queues.get(key) === tail && queues.delete(key)),
  );
  queues.set(key, tail);
  return result;
}
