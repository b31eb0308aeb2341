// One user's actor, the coordinator of its parts (event-log.ts, jobs.ts,
// dedupe.ts, ticket-ledger.ts, schedule.ts, client-frames.ts) and of its live
// connections: publish, job changes, open and resume, pruning. Every method is
// synchronous, so a replay and the switch to live delivery happen in one turn
// and no publish can slip between them. Writes commit first; only then are
// they written to connections.

import type { Limits } from '../config.ts';
import { badRequest, HubError, unauthorized } from '../errors.ts';
import {
  CONTROL_PREFIX,
  EVENT_TYPE_PATTERN,
  HUB_READY,
  HUB_RESET,
  controlFrame,
  type JobStatus,
  type Presence,
  type UserStats,
} from '../../protocol/wire.ts';
import { receiveClientFrame } from './client-frames.ts';
import { EventLog } from './event-log.ts';
import { DedupeLedger, type IdempotencyKey } from './dedupe.ts';
import { TicketLedger } from './ticket-ledger.ts';
import { ControlMessage, JobMessage, JobSnapshot, OutgoingEvent } from './frames.ts';
import { JobStore, type JobUpdate, type StoredJob } from './jobs.ts';
import { isTransport, type Connection, type ConnectionSet, type SqlStore, type Transport } from './ports.ts';
import { TokenBucket } from './rate-limit.ts';
import { POLLED_ALARM, Schedule, type Alarm } from './schedule.ts';

export interface PublishInput extends IdempotencyKey {
  type: string;
  /** The event's data as canonical one-line JSON text. */
  data: string;
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

/** How a connection opens: where it resumes, the ticket it spends, or the job it waits on. */
export interface OpenOptions {
  /** Resume point: retained events after this id are replayed first. */
  after?: number;
  /** Replay at most this many events and one more (a long poll's page and its `more`); all when absent. */
  replayLimit?: number;
  /** A ticket to spend with the open; a spent one refuses it. */
  redeem?: { nonce: string; exp: number };
  /** For a job long poll: the job, and the version it has already seen (absent: the current one). */
  job?: { id: string; version?: number };
}

export interface PollResult {
  /** Notifications (and a leading hub.reset when due) as JSON texts. */
  frames: string[];
  /** Resume point for the next poll. */
  lastId: string;
  /** More events are waiting: poll again at once from lastId. */
  more: boolean;
}

export class Hub {
  readonly #sql: SqlStore;
  readonly #connections: ConnectionSet;
  readonly #limits: Limits;
  readonly #jobs: JobStore;
  readonly #publishBudget: TokenBucket;
  readonly #schedule: Schedule;
  readonly #dedupe: DedupeLedger;
  readonly #tickets: TicketLedger;
  readonly #log: EventLog;

  /**
   * The store must be migrated first (migrate(), once per store).
   * @param options.owner the user whose rows these are: '' when the store holds
   *   one user (a Durable Object), the user id when it holds many (standalone).
   * @param options.alarm the platform's alarm for this actor, kept at the
   *   earliest time the actor asked to be woken (see wake()).
   */
  constructor(sql: SqlStore, connections: ConnectionSet, limits: Limits, options: { owner?: string; alarm?: Alarm } = {}) {
    const owner = options.owner ?? '';
    this.#sql = sql;
    this.#connections = connections;
    this.#limits = limits;
    this.#schedule = new Schedule(sql, owner, options.alarm ?? POLLED_ALARM);
    this.#jobs = new JobStore(sql, owner);
    this.#dedupe = new DedupeLedger(sql, owner);
    this.#tickets = new TicketLedger(sql, owner);
    this.#publishBudget = new TokenBucket(limits.publishRatePerUser, limits.publishBurstPerUser);
    this.#log = new EventLog(sql, owner);
  }

  /**
   * Appends an event and writes it to every live connection of this user.
   * Throws 429 when the user's publish rate is exceeded; nothing is stored then.
   * A retried webhook-id is answered from the dedupe table, limit or not.
   */
  publish(input: PublishInput, now = Date.now()): PublishResult {
    // The Worker validated this already; the actor does not take it on trust.
    if (!EVENT_TYPE_PATTERN.test(input.type) || input.type.startsWith(CONTROL_PREFIX)) throw badRequest('type: not an event type.');
    const { result, event } = this.#atomically(() => {
      const seen = this.#dedupe.seen<PublishResult>(input);
      if (seen) return { result: { ...seen, duplicate: true as const } };
      this.#spendPublishBudget(now);
      const event = this.#insertEvent(input.type, input.data, now);
      const result: PublishResult = { id: String(event.row.id), delivered: this.#connections.receivers() };
      this.#dedupe.remember(input, result, now);
      return { result, event };
    });
    if (event) this.#deliver(event);
    return result;
  }

  /**
   * Applies a job update: upsert, bump the version, and emit one notification
   * (`job.<status>`, or `job.progress` while running) whose data is the job.
   * Throws 409 for a change to a job in a terminal state; nothing is written then.
   */
  updateJob(jobId: string, update: JobUpdate, idempotency: IdempotencyKey, now = Date.now()): JobUpdateResult {
    const { result, event, job } = this.#atomically((): { result: JobUpdateResult; event?: OutgoingEvent; job?: StoredJob } => {
      const seen = this.#dedupe.seen<JobUpdateResult>(idempotency);
      if (seen) return { result: { ...seen, duplicate: true } };
      const change = this.#jobs.plan(jobId, update, now);
      if (change.kind === 'unchanged') {
        const result = { job: change.job.json, created: false, eventId: null, delivered: 0 };
        this.#dedupe.remember(idempotency, result, now);
        return { result };
      }
      // Only a change that emits an event counts against the rate; a refused or empty one does not.
      this.#spendPublishBudget(now);
      this.#jobs.write(change.job);
      const event = this.#insertEvent(change.eventType, change.job.json, now);
      const result = {
        job: change.job.json,
        created: change.created,
        eventId: String(event.row.id),
        delivered: this.#connections.receivers(),
      };
      this.#dedupe.remember(idempotency, result, now);
      return { result, event, job: change.job };
    });
    if (event) this.#deliver(event);
    if (job) {
      const message = new JobMessage(job.json);
      for (const watcher of this.#connections.jobWatchers(jobId)) watcher.send(message);
    }
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
  #watchJob(connection: Connection, jobId: string, version: number | undefined): void {
    const job = this.#jobs.get(jobId);
    // Without a version, the poll waits for the next change after the current one.
    const since = version ?? job?.row.version ?? 0;
    if (job && job.row.version > since) connection.send(new JobMessage(job.json));
    else connection.send(new JobSnapshot(job?.json ?? null));
  }

  /** Events after `after`, at most `limit`, with the same reset rules as streams. */
  poll(after: number | undefined, limit: number): PollResult {
    if (after === undefined) return { frames: [], lastId: String(this.#log.lastId), more: false };
    const frames: string[] = [];
    const reset = this.#log.resetFor(after);
    if (reset) frames.push(controlFrame(HUB_RESET, reset));
    const rows = this.#log.after(reset ? this.#log.prunedThrough : after, limit + 1);
    const more = rows.length > limit;
    const page = more ? rows.slice(0, limit) : rows;
    for (const row of page) frames.push(new OutgoingEvent(row).json);
    const last = page.at(-1)?.id ?? (reset ? this.#log.lastId : after);
    return { frames, lastId: String(last), more };
  }

  /**
   * Opens a connection, every step in this one turn: the connection cap, the
   * ticket, registration, then the replay after the resume point and
   * `hub.ready` (or, for a job long poll, the job if it already moved on).
   * Live events follow through publish(). Throws 429 or 401 before anything
   * is registered.
   */
  open(connection: Connection, options: OpenOptions = {}): void {
    if (!isTransport(connection.transport) || (connection.transport === 'job') !== (options.job !== undefined)) {
      throw badRequest('A connection is one of websocket, sse, poll, or job with its job.');
    }
    this.#assertCapacity();
    if (options.redeem && !this.#tickets.redeem(options.redeem.nonce, options.redeem.exp)) throw unauthorized();
    this.#connections.accept(connection, options.job?.id);
    if (options.job) this.#watchJob(connection, options.job.id, options.job.version);
    else this.#resume(connection, options.after, options.replayLimit);
  }

  /** The connection ended: the actor forgets it. */
  closed(connection: Connection): void {
    this.#connections.remove(connection);
  }

  /** Refuses a new connection once the user holds the configured maximum. */
  #assertCapacity(): void {
    if (this.#connections.count() >= this.#limits.maxConnectionsPerUser) {
      throw new HubError('connection_limit',
        `This user already holds ${this.#limits.maxConnectionsPerUser} connections.`,
      );
    }
  }

  /**
   * Brings a connection that the host has just registered up to date: a reset
   * notice when its resume point is no longer retained, every retained event
   * after it, then `hub.ready`. Live events follow through publish().
   */
  #resume(connection: Connection, after: number | undefined, limit?: number): void {
    const transport = connection.transport;
    let from = after;
    const reset = after === undefined ? null : this.#log.resetFor(after);
    if (reset) {
      connection.send(new ControlMessage(HUB_RESET, reset));
      from = this.#log.prunedThrough;
    }
    if (from !== undefined && from < this.#log.lastId) {
      for (const row of this.#log.after(from, limit === undefined ? -1 : limit + 1)) connection.send(new OutgoingEvent(row));
    }
    connection.send(new ControlMessage(HUB_READY, { lastId: String(this.#log.lastId) }));
  }

  /** Answers a client frame (client-frames.ts). Unknown frames get an error frame, never a dropped socket. */
  receive(connection: Connection, message: string | ArrayBuffer): void {
    receiveClientFrame(connection, message);
  }

  /** Who is connected, by transport; parked job polls count as polls. */
  presence(): Presence {
    const c = this.#connections;
    const connections = {
      websocket: c.countBy('websocket'),
      sse: c.countBy('sse'),
      poll: c.countBy('poll') + c.countBy('job'),
    };
    return { online: connections.websocket + connections.sse + connections.poll > 0, connections };
  }

  /** What a publisher may learn about this user: connections, the log, jobs. */
  stats(): UserStats {
    const retained = this.#log.retained();
    return {
      ...this.presence(),
      lastEventId: String(this.#log.lastId),
      retainedEvents: retained,
      oldestRetainedId: retained > 0 ? String(this.#log.prunedThrough + 1) : null,
      jobs: this.#jobs.countByStatus(),
    };
  }

  /**
   * Runs what the actor asked to be woken for and is due at `now`; the host
   * calls it when the platform's alarm fires (standalone: when a row is due).
   * `alarmFired`: the platform says the earliest time has come, even if this
   * clock disagrees (or a test ran the alarm early).
   */
  wake(now = Date.now(), alarmFired = false): void {
    const earliest = this.#schedule.earliest();
    const dueAt = alarmFired && earliest !== null ? Math.max(now, earliest) : now;
    for (const reason of this.#schedule.takeDue(dueAt)) {
      if (reason === 'prune') {
        const next = this.prune(now);
        if (next !== null) this.#schedule.request('prune', Math.max(next, now + this.#limits.pruneDelaySeconds * 1000));
      }
    }
  }

  /**
   * Drops events beyond the retention count or age, jobs past the same age,
   * dedupe keys past their TTL and spent tickets past expiry. Returns when it
   * should run next, or null when nothing is left that will age out.
   */
  prune(now = Date.now()): number | null {
    const { retentionMaxEvents, retentionMaxAgeSeconds, dedupeTtlSeconds } = this.#limits;
    const maxAge = retentionMaxAgeSeconds * 1000;
    return this.#sql.transaction(() => {
      this.#log.prune(retentionMaxEvents, now - maxAge);
      this.#dedupe.forget(now - dedupeTtlSeconds * 1000);
      this.#tickets.forget(now);
      this.#jobs.prune(now - maxAge, retentionMaxEvents);

      const due = [
        (this.#log.oldest() ?? Infinity) + maxAge,
        (this.#dedupe.oldest() ?? Infinity) + dedupeTtlSeconds * 1000,
        this.#tickets.lastExpiry() ?? Infinity,
        (this.#jobs.oldestUpdate() ?? Infinity) + maxAge,
      ];
      const next = Math.min(...due);
      return Number.isFinite(next) ? next : null;
    });
  }

  /** Runs writes in one transaction; the in-memory last id follows only a commit. */
  #atomically<T>(fn: () => T): T {
    const lastId = this.#log.lastId;
    try {
      return this.#sql.transaction(fn);
    } catch (err) {
      this.#log.rollBack(lastId);
      throw err;
    }
  }

  #spendPublishBudget(now: number): void {
    const waitMs = this.#publishBudget.take(now);
    if (waitMs === 0) return;
    const seconds = Math.max(1, Math.ceil(waitMs / 1000));
    throw new HubError('rate_limited',
      `This user receives at most ${this.#limits.publishRatePerUser} events a second; retry in ${seconds} s.`,
      { headers: { 'Retry-After': String(seconds) } },
    );
  }

  #insertEvent(type: string, data: string, now: number): OutgoingEvent {
    const row = this.#log.append(type, data, now);
    // Within the prune delay of every write, so the count limit holds even when the next age-based prune is days away.
    this.#schedule.request('prune', now + this.#limits.pruneDelaySeconds * 1000);
    return new OutgoingEvent(row);
  }

  #deliver(event: OutgoingEvent): void {
    for (const connection of this.#connections.list()) connection.send(event);
  }
}
