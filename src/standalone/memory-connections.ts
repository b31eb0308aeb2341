// ConnectionSet held in memory: the standalone host's live connections of one
// user, by transport, and parked job long polls by job id.

import type { Connection, ConnectionSet, Transport } from '../core/actor/ports.ts';

export class MemoryConnectionSet implements ConnectionSet {
  readonly #byTransport: Record<Transport, Set<Connection>> = {
    websocket: new Set(),
    sse: new Set(),
    poll: new Set(),
    job: new Set(),
  };
  readonly #jobWatchers = new Map<string, Set<Connection>>();
  readonly #jobOf = new Map<Connection, string>();
  /** Every connection, in the order accepted. */
  readonly #all = new Set<Connection>();

  accept(connection: Connection, jobId?: string): void {
    this.#all.add(connection);
    this.#byTransport[connection.transport].add(connection);
    if (jobId !== undefined) {
      let watchers = this.#jobWatchers.get(jobId);
      if (!watchers) this.#jobWatchers.set(jobId, (watchers = new Set()));
      watchers.add(connection);
      this.#jobOf.set(connection, jobId);
    }
  }

  remove(connection: Connection): void {
    this.#all.delete(connection);
    this.#byTransport[connection.transport].delete(connection);
    const jobId = this.#jobOf.get(connection);
    if (jobId !== undefined) {
      this.#jobOf.delete(connection);
      const watchers = this.#jobWatchers.get(jobId)!;
      watchers.delete(connection);
      if (watchers.size === 0) this.#jobWatchers.delete(jobId);
    }
  }

  *list(): Iterable<Connection> {
    // Copies: a send may close a connection, which deletes it from its set.
    yield* [...this.#byTransport.websocket, ...this.#byTransport.sse, ...this.#byTransport.poll];
  }

  jobWatchers(jobId: string): Iterable<Connection> {
    return [...(this.#jobWatchers.get(jobId) ?? [])];
  }

  all(): Iterable<Connection> {
    return [...this.#all];
  }

  count(): number {
    return this.#all.size;
  }

  receivers(): number {
    const t = this.#byTransport;
    return t.websocket.size + t.sse.size + t.poll.size;
  }

  countBy(transport: Transport): number {
    return this.#byTransport[transport].size;
  }
}
