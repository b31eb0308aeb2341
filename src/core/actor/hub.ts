// One user's actor: the durable event log, its live connections, resume and
// pruning. Every method is synchronous, so a replay and the switch to live
// delivery happen in one turn and no publish can slip between them.

import type { Limits } from '../config.ts';
import { HubError } from '../errors.ts';
import {
  CloseCode,
  HUB_ERROR,
  HUB_READY,
  HUB_RESET,
  MAX_CLIENT_FRAME_BYTES,
  controlFrame,
} from '../protocol.ts';
import { sseFrame } from '../sse.ts';
import type { Connection, ConnectionSet, SqlStore, StreamTransport } from './ports.ts';
import { migrate } from './schema.ts';

export interface PublishInput {
  type: string;
  /** The event's data as canonical one-line JSON text. */
  data: string;
  /** Standard Webhooks id: the dedupe key. */
  webhookId: string;
}

export interface PublishResult {
  id: string;
  /** Live connections the event was written to. */
  delivered: number;
  duplicate?: true;
}

interface EventRow {
  id: number;
  type: string;
  data: string;
  created_at: number;
}

/** One stored event, serialized once per transport however many connections read it. */
class OutgoingEvent {
  #json?: string;
  #sse?: string;
  readonly row: EventRow;

  constructor(row: EventRow) {
    this.row = row;
  }

  get json(): string {
    const { id, type, data, created_at } = this.row;
    return (this.#json ??=
      `{"id":"${id}","type":${JSON.stringify(type)},"data":${data},"time":"${new Date(created_at).toISOString()}"}`);
  }

  frameFor(transport: StreamTransport): string {
    if (transport === 'websocket') return this.json;
    return (this.#sse ??= sseFrame(this.row.type, this.json, String(this.row.id)));
  }
}

function controlFor(transport: StreamTransport, type: string, data: unknown): string {
  const json = controlFrame(type, data);
  return transport === 'websocket' ? json : sseFrame(type, json);
}

export class Hub {
  readonly #sql: SqlStore;
  readonly #connections: ConnectionSet;
  readonly #limits: Limits;
  #lastId: number;
  /** Highest id ever pruned: a resume point below it has lost events. */
  #prunedThrough: number;

  constructor(sql: SqlStore, connections: ConnectionSet, limits: Limits) {
    this.#sql = sql;
    this.#connections = connections;
    this.#limits = limits;
    migrate(sql);
    this.#prunedThrough =
      sql.all<{ value: number }>(`SELECT value FROM meta WHERE key = 'pruned_through'`)[0]?.value ?? 0;
    const last = sql.all<{ id: number | null }>(`SELECT max(id) AS id FROM events`)[0]?.id ?? 0;
    this.#lastId = Math.max(last, this.#prunedThrough);
  }

  get lastId(): number {
    return this.#lastId;
  }

  /** Appends an event and writes it to every live connection of this user. */
  publish(input: PublishInput, now = Date.now()): PublishResult {
    const seen = this.#sql.all<{ result: string }>(
      `SELECT result FROM dedupe WHERE webhook_id = ?`,
      input.webhookId,
    )[0];
    if (seen) return { ...(JSON.parse(seen.result) as PublishResult), duplicate: true };

    const row: EventRow = { id: this.#lastId + 1, type: input.type, data: input.data, created_at: now };
    this.#sql.run(
      `INSERT INTO events (id, type, data, created_at) VALUES (?, ?, ?, ?)`,
      row.id,
      row.type,
      row.data,
      row.created_at,
    );
    this.#lastId = row.id;
    const delivered = this.#fanOut(new OutgoingEvent(row));
    const result: PublishResult = { id: String(row.id), delivered };
    this.#sql.run(
      `INSERT INTO dedupe (webhook_id, result, created_at) VALUES (?, ?, ?)`,
      input.webhookId,
      JSON.stringify(result),
      now,
    );
    return result;
  }

  #fanOut(event: OutgoingEvent): number {
    let delivered = 0;
    for (const connection of this.#connections.list()) {
      if (connection.send(event.frameFor(connection.transport))) delivered++;
    }
    return delivered;
  }

  /** Refuses a new connection once the user holds the configured maximum. */
  assertCapacity(): void {
    if (this.#connections.count() >= this.#limits.maxConnectionsPerUser) {
      throw new HubError(
        429,
        'connection_limit',
        `This user already holds ${this.#limits.maxConnectionsPerUser} connections.`,
        { retryable: true },
      );
    }
  }

  /**
   * Brings a connection that the host has just registered up to date: a reset
   * notice when its resume point is no longer retained, every retained event
   * after it, then `hub.ready`. Live events follow through publish().
   */
  resume(connection: Connection, after: number | undefined): void {
    const transport = connection.transport;
    let from = after;
    if (after !== undefined && (after < this.#prunedThrough || after > this.#lastId)) {
      connection.send(
        controlFor(transport, HUB_RESET, {
          reason: after > this.#lastId ? 'unknown_id' : 'not_retained',
          after: String(after),
          lastId: String(this.#lastId),
        }),
      );
      from = this.#prunedThrough;
    }
    if (from !== undefined && from < this.#lastId) {
      const rows = this.#sql.all<EventRow>(
        `SELECT id, type, data, created_at FROM events WHERE id > ? ORDER BY id`,
        from,
      );
      for (const row of rows) connection.send(new OutgoingEvent(row).frameFor(transport));
    }
    connection.send(controlFor(transport, HUB_READY, { lastId: String(this.#lastId) }));
  }

  /** Answers a client frame. Unknown frames get an error frame, never a dropped socket. */
  receive(connection: Connection, message: string | ArrayBuffer): void {
    const size = typeof message === 'string' ? message.length : message.byteLength;
    if (size > MAX_CLIENT_FRAME_BYTES) {
      connection.close(CloseCode.messageTooBig, 'frame too large');
      return;
    }
    let type: unknown;
    try {
      type = typeof message === 'string' ? (JSON.parse(message) as { type?: unknown })?.type : undefined;
    } catch {
      type = undefined;
    }
    if (type === 'ping') {
      connection.send('{"type":"pong"}');
      return;
    }
    const error =
      typeof message !== 'string'
        ? { code: 'binary_frame', message: 'Frames must be JSON text.' }
        : type === undefined
          ? { code: 'invalid_frame', message: 'Frames must be JSON objects with a "type".' }
          : { code: 'unknown_frame', message: 'Unknown frame type; the only client frame is {"type":"ping"}.' };
    connection.send(controlFrame(HUB_ERROR, error));
  }

  /** Marks a connection ticket as used; false when it was used before. */
  redeemTicket(nonce: string, expiresAt: number): boolean {
    if (this.#sql.all(`SELECT 1 FROM tickets WHERE nonce = ?`, nonce).length > 0) return false;
    this.#sql.run(`INSERT INTO tickets (nonce, expires_at) VALUES (?, ?)`, nonce, expiresAt);
    return true;
  }

  /**
   * Drops events beyond the retention count or age, dedupe keys past their TTL
   * and spent tickets past expiry. Returns when it should run next, or null
   * when nothing is left that will age out.
   */
  prune(now = Date.now()): number | null {
    const { retentionMaxEvents, retentionMaxAgeSeconds, dedupeTtlSeconds } = this.#limits;
    const beyondCount =
      this.#sql.all<{ id: number }>(
        `SELECT id FROM events ORDER BY id DESC LIMIT 1 OFFSET ?`,
        retentionMaxEvents,
      )[0]?.id ?? 0;
    const beyondAge =
      this.#sql.all<{ id: number | null }>(
        `SELECT max(id) AS id FROM events WHERE created_at <= ?`,
        now - retentionMaxAgeSeconds * 1000,
      )[0]?.id ?? 0;
    const through = Math.max(beyondCount, beyondAge);
    if (through > this.#prunedThrough) {
      this.#sql.run(`DELETE FROM events WHERE id <= ?`, through);
      this.#sql.run(
        `INSERT INTO meta (key, value) VALUES ('pruned_through', ?)
         ON CONFLICT (key) DO UPDATE SET value = excluded.value`,
        through,
      );
      this.#prunedThrough = through;
    }
    this.#sql.run(`DELETE FROM dedupe WHERE created_at <= ?`, now - dedupeTtlSeconds * 1000);
    this.#sql.run(`DELETE FROM tickets WHERE expires_at <= ?`, Math.floor(now / 1000));

    const next = [
      this.#sql.all<{ t: number | null }>(`SELECT min(created_at) AS t FROM events`)[0]?.t,
      this.#sql.all<{ t: number | null }>(`SELECT min(created_at) AS t FROM dedupe`)[0]?.t,
    ];
    const eventsDue = next[0] == null ? Infinity : next[0] + retentionMaxAgeSeconds * 1000;
    const dedupeDue = next[1] == null ? Infinity : next[1] + dedupeTtlSeconds * 1000;
    const ticketsLeft = this.#sql.all<{ t: number | null }>(`SELECT max(expires_at) AS t FROM tickets`)[0]?.t;
    const ticketsDue = ticketsLeft == null ? Infinity : ticketsLeft * 1000;
    const due = Math.min(eventsDue, dedupeDue, ticketsDue);
    return Number.isFinite(due) ? due : null;
  }

  /** What is retained, for stats and tests. */
  retained(): { count: number; oldestId: string | null; lastId: string } {
    const row = this.#sql.all<{ n: number; oldest: number | null }>(
      `SELECT count(*) AS n, min(id) AS oldest FROM events`,
    )[0]!;
    return { count: row.n, oldestId: row.oldest == null ? null : String(row.oldest), lastId: String(this.#lastId) };
  }
}
