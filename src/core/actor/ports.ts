// The two small ports the actor's logic is written against. Each host (Durable
// Object, standalone process) implements them; nothing here knows which one.

export type SqlValue = string | number | null;

/** Synchronous SQLite with bound parameters (ctx.storage.sql, node:sqlite, bun:sqlite). */
export interface SqlStore {
  all<Row = Record<string, SqlValue>>(sql: string, ...params: SqlValue[]): Row[];
  run(sql: string, ...params: SqlValue[]): void;
  /** Runs `fn` in one transaction: all of its writes commit, or none. */
  transaction<T>(fn: () => T): T;
}

/**
 * What a connection waits for. `websocket` and `sse` stream every event;
 * `poll` is a parked long poll, released by the next event; `job` is a parked
 * job long poll, released by the next change of one job.
 */
export type Transport = 'websocket' | 'sse' | 'poll' | 'job';
export type StreamTransport = 'websocket' | 'sse';

/** One live connection of this user, as the host exposes it. */
export interface Connection {
  readonly transport: Transport;
  /** Writes one frame. Returns false when the connection is already gone. */
  send(frame: string): boolean;
  close(code: number, reason: string): void;
}

/** The live connections of one actor. */
export interface ConnectionSet {
  /** Connections that receive every event: websocket, sse and poll. */
  list(): Iterable<Connection>;
  /** Parked job long polls for one job. */
  jobWatchers(jobId: string): Iterable<Connection>;
  /** Every connection, of any transport. */
  count(): number;
  /** Connections that list() yields. */
  receivers(): number;
  countBy(transport: Transport): number;
}
