// ConnectionSet held in memory: the standalone host's live connections of one
// user, each with its tags (tagsFor: its transport, EVENTS or its job).

import type { Connection, ConnectionSet } from '../core/actor/ports.ts';

/**
 * A user holds a few connections (MAX_CONNECTIONS_PER_USER), so one map in
 * the order accepted serves every question by a scan. The tags of a stream
 * or an event poll are one array per transport, shared: an idle user keeps
 * one Map and its entries.
 */
export class MemoryConnectionSet implements ConnectionSet {
  readonly #tags = new Map<Connection, readonly string[]>();

  accept(connection: Connection, tags: readonly string[]): void {
    this.#tags.set(connection, tags);
  }

  remove(connection: Connection): void {
    this.#tags.delete(connection);
  }

  tagged(tag?: string): Iterable<Connection> {
    if (tag === undefined) return [...this.#tags.keys()];
    const found: Connection[] = [];
    for (const [connection, tags] of this.#tags) if (tags.includes(tag)) found.push(connection);
    return found;
  }

  count(tag?: string): number {
    if (tag === undefined) return this.#tags.size;
    let n = 0;
    for (const tags of this.#tags.values()) if (tags.includes(tag)) n++;
    return n;
  }
}
