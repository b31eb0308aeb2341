// The two small ports the actor's logic is written against. Each host (Durable
// Object, standalone process) implements them; nothing here knows which one.

import { CLIENT_TRANSPORTS } from '../../protocol/wire.ts';
import type { Outgoing } from './frames.ts';

export type SqlValue = string | number | null;

/**
 * SQL with bound parameters, every call answered asynchronously: SQLite on a
 * Durable Object or in one process (node:sqlite, bun:sqlite), or a database
 * across the network. The actor awaits every call and runs one call at a time
 * (Kernel.run), so it needs nothing of the store but this.
 */
export interface SqlStore {
  all<Row = Record<string, SqlValue>>(sql: string, ...params: SqlValue[]): Promise<Row[]>;
  run(sql: string, ...params: SqlValue[]): Promise<void>;
  /**
   * Runs `fn` in one explicit transaction: begun before it, committed when it
   * resolves, rolled back when it rejects; the statements it makes are the
   * transaction's. A transaction inside one joins it.
   */
  transaction<T>(fn: () => Promise<T>): Promise<T>;
  /**
   * True when nothing but this actor writes its rows (a Durable Object, one
   * standalone process): then what it read may be kept in memory between
   * calls (the last event id, the schedule, the revocation point). A store
   * another node writes to says false, and the actor reads them again at the
   * start of every call (Kernel.run).
   */
  readonly singleWriter: boolean;
  /**
   * Runs `fn` once every write made so far is committed: at once when none is
   * pending. A store that commits later (a standalone host's group commit)
   * provides it; without it, a transaction is committed when it resolves.
   */
  afterCommit?(fn: () => void): void;
  /** Resolves once every write made so far is committed (the same stores as afterCommit provide it). */
  committed?(): Promise<void>;
}

/**
 * What a connection waits for. `websocket` and `sse` stream every event;
 * `poll` is a parked long poll, released by the next event; `job` is a parked
 * job long poll, released by the next change of one job. Each is one file in
 * src/core/transports/; any transport but `poll` and `job` is a stream.
 */
export const TRANSPORTS = ['websocket', 'sse', 'poll', 'job'] as const;
export type Transport = (typeof TRANSPORTS)[number];
export type StreamTransport = Exclude<Transport, 'poll' | 'job'>;

/** A stream (a WebSocket, an SSE stream): every event, and a session that ends it. */
export const isStream = <T extends { transport: Transport }>(connection: T): connection is T & { transport: StreamTransport } =>
  connection.transport !== 'poll' && connection.transport !== 'job';

export const STREAM_TRANSPORTS = TRANSPORTS.filter((transport): transport is StreamTransport => isStream({ transport }));

// Every transport the client library speaks is one the server serves.
void (CLIENT_TRANSPORTS satisfies readonly Transport[]);

export const isTransport = (value: unknown): value is Transport => (TRANSPORTS as readonly unknown[]).includes(value);

/** The tag of connections that receive every event (streams and event long polls). */
export const EVENTS = 'events';
/** The tag of the job long polls parked on one job. */
export const jobTag = (jobId: string) => `job:${jobId}`;

const EVENT_TAGS = Object.fromEntries(TRANSPORTS.map((transport) => [transport, Object.freeze([transport, EVENTS])]));

/** A connection's tags: its transport, and what reaches it (every event, or one job's changes). One array per transport, shared. */
export const tagsFor = (transport: Transport, jobId?: string): readonly string[] =>
  jobId === undefined ? EVENT_TAGS[transport]! : [transport, jobTag(jobId)];

/**
 * How long a stream may live: the session of the credential it was opened
 * with (a token, a ticket or an SSE cookie), moved on by an in-band refresh.
 * Times in ms since the epoch, except `issuedAt` (the token's `iat`, seconds).
 */
export interface Session {
  userId: string;
  expiresAt: number;
  /** When `hub.expiring` is due; equal to `expiresAt` once it was sent. */
  warnAt: number;
  issuedAt: number;
}

/** One live connection of this user, as the host exposes it. */
export interface Connection {
  readonly transport: Transport;
  /** The same object for one connection however often the host wraps it (a Durable Object's socket). */
  readonly identity: object;
  /**
   * A WebSocket's or SSE stream's session, kept with the connection (on
   * Cloudflare in the socket's attachment, so it outlives hibernation);
   * undefined for long polls, which carry a token on every request.
   */
  session: Session | undefined;
  /** Writes one message in this connection's own framing. Returns false when the connection is already gone. */
  send(message: Outgoing): boolean;
  close(code: number, reason: string): void;
}

/**
 * The live connections of one actor, found by tag (tagsFor: a transport,
 * EVENTS, a job): an in-memory set on standalone hosts, the runtime's
 * hibernatable sockets (found again by their tags) on Cloudflare.
 */
export interface ConnectionSet {
  /** Registers a connection under its tags (tagsFor). */
  accept(connection: Connection, tags: readonly string[]): void;
  /** Forgets a connection that ended. Idempotent. */
  remove(connection: Connection): void;
  /** The open connections with this tag (every one when absent), oldest first: a copy, so a send may close one. */
  tagged(tag?: string): Iterable<Connection>;
  /** How many open connections have this tag (every one when absent). */
  count(tag?: string): number;
}

/**
 * One owner's rows in the actor's store: the base of each part that keeps
 * rows (event log, jobs, inbox, dedupe, tickets, schedule, receipts, pushes).
 * `owner` is '' in a Durable Object (one user per store), the user id on a
 * standalone host (every user in one store).
 */
export abstract class OwnedRows {
  protected readonly sql: SqlStore;
  protected readonly owner: string;

  constructor(sql: SqlStore, owner: string) {
    this.sql = sql;
    this.owner = owner;
  }
}
