// One user's actor: the durable event log, its live connections, resume and
// pruning. Every method is synchronous, so a replay and the switch to live
// delivery happen in one turn and no publish can slip between them.

import type { Limits } from '../config.ts';
import { HubError } from '../errors.ts';
import {
  CloseCode,
  type JobStatus,
  HUB_ERROR,
  HUB_READY,
  HUB_RESET,
  MAX_CLIENT_FRAME_BYTES,
  controlFrame,
} from '../protocol.ts';
import { sseFrame } from '../sse.ts';
import { JobStore, type JobUpdate } from './jobs.ts';
import type { Connection, ConnectionSet, SqlStore, Transport } from './ports.ts';
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

export interface JobUpdateResult {
  /** The job as JSON text. */
  job: string;
  created: boolean;
  /** The notification this change emitted; null when nothing changed. */
  eventId: string | null;
  delivered: number;
  duplicate?: true;
}

export interface PollResult {
  /** Notifications (and a leading hub.reset when due) as JSON texts. */
  frames: string[];
  /** Resume point for the next poll. */
  lastId: string;
  /** More events are waiting: poll again at once from lastId. */
  more: boolean;
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

  frameFor(transport: Transport): string {
    if (transport !== 'sse') return this.json;
    return (this.#sse ??= sseFrame(this.row.type, this.json, String(this.row.id)));
  }
}

function controlFor(transport: Transport, type: string, data: unknown): string {
  const json = controlFrame(type, data);
  return transport === 'sse' ? sseFrame(type, json) : json;
}

export class Hub {
  readonly #sql: SqlStore;
  readonly #connections: ConnectionSet;
  readonly #limits: Limits;
  readonly #jobs: JobStore;
  #lastId: number;
  /** Highest id ever pruned: a resume point below it has lost events. */
  #prunedThrough: number;

  constructor(sql: SqlStore, connections: ConnectionSet, limits: Limits) {
    this.#sql = sql;
    this.#connections = connections;
    this.#limits = limits;
    migrate(sql);
    this.#jobs = new JobStore(sql);
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
    const seen = this.#seen<PublishResult>(input.webhookId);
    if (seen) return { ...seen, duplicate: true };

    const { id, delivered } = this.#append(input.type, input.data, now);
    const result: PublishResult = { id: String(id), delivered };
    this.#remember(input.webhookId, result, now);
    return result;
  }

  /**
   * Applies a job update: upsert, bump the version, and emit one notification
   * (`job.<status>`, or `job.progress` while running) whose data is the job.
   */
  updateJob(jobId: string, update: JobUpdate, webhookId: string, now = Date.now()): JobUpdateResult {
    const seen = this.#seen<JobUpdateResult>(webhookId);
    if (seen) return { ...seen, duplicate: true };

    const change = this.#jobs.plan(jobId, update, now);
    let result: JobUpdateResult;
    if (change.kind === 'unchanged') {
      result = { job: change.job.json, created: false, eventId: null, delivered: 0 };
    } else {
      this.#jobs.write(change.job);
      const { id, delivered } = this.#append(change.eventType, change.job.json, now);
      for (const watcher of this.#connections.jobWatchers(jobId)) watcher.send(change.job.json);
      result = { job: change.job.json, created: change.created, eventId: String(id), delivered };
    }
    this.#remember(webhookId, result, now);
    return result;
  }

  getJob(jobId: string): string | null {
    return this.#jobs.get(jobId)?.json ?? null;
  }

  /** Job JSON texts, newest first. */
  listJobs(status: JobStatus | undefined, limit: number): string[] {
    return this.#jobs.list(status, limit).map((job) => job.json);
  }

  /**
   * Registers a parked job long poll: answered at once when the job's version
   * is already above `version`, otherwise by the next change of that job.
   */
  watchJob(connection: Connection, jobId: string, version: number): void {
    const job = this.#jobs.get(jobId);
    if (job && job.row.version > version) connection.send(job.json);
  }

  /** Events after `after`, at most `limit`, with the same reset rules as streams. */
  poll(after: number | undefined, limit: number): PollResult {
    if (after === undefined) return { frames: [], lastId: String(this.#lastId), more: false };
    const frames: string[] = [];
    let from = after;
    const reset = this.#resetFor(after);
    if (reset) {
      frames.push(controlFrame(HUB_RESET, reset));
      from = this.#prunedThrough;
    }
    const rows = this.#sql.all<EventRow>(
      `SELECT id, type, data, created_at FROM events WHERE id > ? ORDER BY id LIMIT ?`,
      from,
      limit + 1,
    );
    const more = rows.length > limit;
    const page = more ? rows.slice(0, limit) : rows;
    for (const row of page) frames.push(new OutgoingEvent(row).json);
    const last = page.at(-1)?.id ?? (reset ? this.#lastId : after);
    return { frames, lastId: String(last), more };
  }

  #seen<T>(webhookId: string): T | undefined {
    const row = this.#sql.all<{ result: string }>(`SELECT result FROM dedupe WHERE webhook_id = ?`, webhookId)[0];
    return row ? (JSON.parse(row.result) as T) : undefined;
  }

  #remember(webhookId: string, result: object, now: number): void {
    this.#sql.run(
      `INSERT INTO dedupe (webhook_id, result, created_at) VALUES (?, ?, ?)`,
      webhookId,
      JSON.stringify(result),
      now,
    );
  }

  /** Appends one event to the log and writes it to every live receiver. */
  #append(type: string, data: string, now: number): { id: number; delivered: number } {
    const row: EventRow = { id: this.#lastId + 1, type, data, created_at: now };
    this.#sql.run(
      `INSERT INTO events (id, type, data, created_at) VALUES (?, ?, ?, ?)`,
      row.id,
      row.type,
      row.data,
      row.created_at,
    );
    this.#lastId = row.id;
    return { id: row.id, delivered: this.#fanOut(new OutgoingEvent(row)) };
  }

  #resetFor(after: number): { reason: string; after: string; lastId: string } | null {
    if (after >= this.#prunedThrough && after <= this.#lastId) return null;
    return {
      reason: after > this.#lastId ? 'unknown_id' : 'not_retained',
      after: String(after),
      lastId: String(this.#lastId),
    };
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
    const reset = after === undefined ? null : this.#resetFor(after);
    if (reset) {
      connection.send(controlFor(transport, HUB_RESET, reset));
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
    this.#jobs.prune(now - retentionMaxAgeSeconds * 1000, retentionMaxEvents);

    const next = [
      this.#sql.all<{ t: number | null }>(`SELECT min(created_at) AS t FROM events`)[0]?.t,
      this.#sql.all<{ t: number | null }>(`SELECT min(created_at) AS t FROM dedupe`)[0]?.t,
    ];
    const oldestJob = this.#sql.all<{ t: number | null }>(`SELECT min(updated_at) AS t FROM jobs`)[0]?.t;
    const jobsDue = oldestJob == null ? Infinity : oldestJob + retentionMaxAgeSeconds * 1000;
    const eventsDue = next[0] == null ? Infinity : next[0] + retentionMaxAgeSeconds * 1000;
    const dedupeDue = next[1] == null ? Infinity : next[1] + dedupeTtlSeconds * 1000;
    const ticketsLeft = this.#sql.all<{ t: number | null }>(`SELECT max(expires_at) AS t FROM tickets`)[0]?.t;
    const ticketsDue = ticketsLeft == null ? Infinity : ticketsLeft * 1000;
    const due = Math.min(eventsDue, dedupeDue, ticketsDue, jobsDue);
    return Number.isFinite(due) ? due : null;
  }

  /** Who is connected, by transport; parked job polls count as polls. */
  presence(): { online: boolean; connections: { websocket: number; sse: number; poll: number } } {
    const c = this.#connections;
    const connections = {
      websocket: c.countBy('websocket'),
      sse: c.countBy('sse'),
      poll: c.countBy('poll') + c.countBy('job'),
    };
    return { online: connections.websocket + connections.sse + connections.poll > 0, connections };
  }

  /** What is retained, for stats and tests. */
  retained(): { count: number; oldestId: string | null; lastId: string } {
    const row = this.#sql.all<{ n: number; oldest: number | null }>(
      `SELECT count(*) AS n, min(id) AS oldest FROM events`,
    )[0]!;
    return { count: row.n, oldestId: row.oldest == null ? null : String(row.oldest), lastId: String(this.#lastId) };
  }
}
