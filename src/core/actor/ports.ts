// The two small ports the actor's logic is written against. Each host (Durable
// Object, standalone process) implements them; nothing here knows which one.

export type SqlValue = string | number | null;

/** Synchronous SQLite with bound parameters (ctx.storage.sql, node:sqlite, bun:sqlite). */
export interface SqlStore {
  all<Row = Record<string, SqlValue>>(sql: string, ...params: SqlValue[]): Row[];
  run(sql: string, ...params: SqlValue[]): void;
}

/** The transports that hold a connection open. */
export type StreamTransport = 'websocket' | 'sse';

/** One live connection of this user, as the host exposes it. */
export interface Connection {
  readonly transport: StreamTransport;
  /** Writes one frame. Returns false when the connection is already gone. */
  send(frame: string): boolean;
  close(code: number, reason: string): void;
}

/** The live connections of one actor. */
export interface ConnectionSet {
  list(): Iterable<Connection>;
  count(): number;
}
