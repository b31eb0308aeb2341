// ConnectionSet held in memory: the standalone host's live connections of one
// user, and parked job long polls by job id.

import type { Connection, ConnectionSet, Transport } from '../core/actor/ports.ts';

/**
 * A user holds a few connections (MAX_CONNECTIONS_PER_USER), so one set in
 * the order accepted serves every question by a scan; the job index exists
 * only while a job long poll is parked. An idle user keeps one Set.
 */
export class MemoryConnectionSet implements ConnectionSet {
  /** Every connection, in the order accepted. */
  readonly #all = new Set<Connection>();
  #jobWatchers: Map<string, Set<Connection>> | undefined;
  #jobOf: Map<Connection, string> | undefined;

  accept(connection: Connection, jobId?: string): void {
    this.#all.add(connection);
    if (jobId === undefined) return;
    const watchers = (this.#jobWatchers ??= new Map());
    let set = watchers.get(jobId);
    if (!set) watchers.set(jobId, (set = new Set()));
    set.add(connection);
    (this.#jobOf ??= new Map()).set(connection, jobId);
  }

  remove(connection: Connection): void {
    this.#all.delete(connection);
    const jobId = this.#jobOf?.get(connection);
    if (jobId === undefined) return;
    this.#jobOf!.delete(connection);
    const watchers = this.#jobWatchers!.get(jobId)!;
    watchers.delete(connection);
    if (watchers.size === 0) this.#jobWatchers!.delete(jobId);
    if (this.#jobOf!.size === 0) this.#jobOf = this.#jobWatchers = undefined;
  }

  list(): Iterable<Connection> {
    // A copy: a send may close a connection, which deletes it from the set.
    const receivers: Connection[] = [];
    for (const connection of this.#all) if (connection.transport !== 'job') receivers.push(connection);
    return receivers;
  }

  jobWatchers(jobId: string): Iterable<Connection> {
    return [...(this.#jobWatchers?.get(jobId) ?? [])];
  }

  all(): Iterable<Connection> {
    return [...this.#all];
  }

  count(): number {
    return this.#all.size;
  }

  receivers(): number {
    let n = 0;
    for (const connection of this.#all) if (connection.transport !== 'job') n++;
    return n;
  }

  countBy(transport: Transport): number {
    let n = 0;
    for (const connection of this.#all) if (connection.transport === transport) n++;
    return n;
  }
}
