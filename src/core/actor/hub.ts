// One user's actor, the coordinator of its parts (event-log.ts, jobs.ts,
// inbox.ts, receipts.ts, push.ts, dedupe.ts, ticket-ledger.ts, sessions.ts,
// schedule.ts, client-frames.ts) and of its live connections: publish, job
// changes, the inbox, open and resume, session expiry and refresh, ending
// sessions, pruning, erasure. Every method but receive() (a refresh checks a
// ticket's signature first) is synchronous, so a replay and the switch to live
// delivery happen in one turn and no publish can slip between them; what goes
// out over the network (receipts, pushes) is sent by wake() after the writes
// that queued it, and its answers are recorded in a later transaction. Writes
// commit first; only then are they written to connections (#send).

import type { Credential } from '../auth/client-token.ts';
import type { Ticket } from '../auth/tickets.ts';
import type { Limits } from '../config.ts';
import { badRequest, HubError, unauthorized } from '../errors.ts';
import { log } from '../observability/log.ts';
import type { PushObservation } from '../observability/observer.ts';
import {
  CloseCode,
  EVENT_TYPE_PATTERN,
  HUB_AUTH,
  HUB_EXPIRING,
  HUB_READY,
  HUB_RESET,
  INBOX_CHANGED,
  INBOX_CREATED,
  INBOX_WRITE_RATE,
  PROTOCOL_VERSION,
  controlFrame,
  isJobId,
  isReservedType,
  JOB_STATUSES,
  type InboxAction,
  type InboxChangeResult,
  type InboxCounts,
  type InboxStatus,
  type JobStatus,
  type Presence,
  type PublishResult,
  type UserStats,
} from '../../protocol/wire.ts';
import { receiveClientFrame, type FrameHandlers } from './client-frames.ts';
import { EventLog } from './event-log.ts';
import { Inbox, type InboxTarget, type NotificationContent, type StoredItem } from './inbox.ts';
import { DedupeLedger, type IdempotencyKey } from './dedupe.ts';
import { TicketLedger } from './ticket-ledger.ts';
import { ControlMessage, JobMessage, JobSnapshot, OutgoingEvent, type Outgoing } from './frames.ts';
import { JobStore, type JobUpdate, type StoredJob } from './jobs.ts';
import { isTransport, type Connection, type ConnectionSet, type SqlStore, type Transport } from './ports.ts';
import { TokenBucket } from './rate-limit.ts';
import { POLLED_ALARM, Schedule, type Alarm } from './schedule.ts';
import { RECEIPT_KINDS, ReceiptDelivery, ReceiptOutbox, type ReceiptSettings } from './receipts.ts';
import { PushDelivery, PushStore, type PushSender, type PushSubscriptionRecord } from './push.ts';
import { Revocation, sessionFor } from './sessions.ts';

export interface PublishInput extends IdempotencyKey {
  type: string;
  /** The event's data as canonical one-line JSON text. */
  data: string;
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

/** A notification for the user's inbox (NotificationContent; `data` as canonical JSON text). */
export interface NotifyInput extends IdempotencyKey, NotificationContent {}

/** One page of the inbox: items as JSON texts, newest first. */
export interface InboxListing {
  items: string[];
  counts: InboxCounts;
  next: string | null;
}

/** How a connection opens: where it resumes, the ticket it spends, or the job it waits on. */
export interface OpenOptions {
  /** Resume point: retained events after this id are replayed first. */
  after?: number;
  /** Replay at most this many events and one more (a long poll's page and its `more`); all when absent. */
  replayLimit?: number;
  /** A ticket to spend with the open; a spent one refuses it. */
  redeem?: { nonce: string; exp: number };
  /**
   * The credential the client opened with: refused when revoked; for a
   * WebSocket or SSE stream, the session that ends it (closed with 4401).
   */
  credential?: Credential;
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

/** What ending a user's sessions closed. */
export interface Ended {
  closed: number;
  duplicate?: true;
}

/** What an erasure removed. */
export interface Erased extends Ended {
  events: number;
  jobs: number;
  notifications: number;
}

/** Reads a ticket's signature and claims (tickets.ts readTicket, bound to the secret). */
export type TicketReader = (ticket: string) => Promise<Ticket | null>;

/** Rows read at a time while a replay is gathered. */
const REPLAY_PAGE = 100;

/** Room an `inbox.created` event's data needs beyond the publisher's `data`: title, body, url, keys, times and counts. */
const INBOX_ITEM_OVERHEAD = 8 * 1024;

const isStream = (connection: Connection) => connection.transport === 'websocket' || connection.transport === 'sse';
const iso = (ms: number) => new Date(ms).toISOString();

export interface HubOptions {
  /**
   * The user whose rows these are: '' when the store holds one user (a
   * Durable Object), the user id when it holds many (standalone).
   */
  owner?: string;
  /** The platform's alarm for this actor, kept at the earliest time the actor asked to be woken (see wake()). */
  alarm?: Alarm;
  /** Checks the ticket of an in-band refresh; without it every refresh is refused. */
  readTicket?: TicketReader;
  /** Sends receipts to the publisher (RECEIPTS_URL) for the user `userId`; without it none are queued. */
  receipts?: ReceiptSettings & { userId: string };
  /** Sends Web Push (VAPID keys set); without it the push routes answer 501 and nothing is pushed. */
  push?: PushSender;
  /** Every push attempt and its outcome (the host's logs and counters); logged when absent. */
  onPush?: (push: Omit<PushObservation, 'userId'>) => void;
}

export class Hub {
  readonly #sql: SqlStore;
  readonly #owner: string;
  readonly #options: HubOptions;
  readonly #connections: ConnectionSet;
  readonly #limits: Limits;
  readonly #schedule: Schedule;
  readonly #dedupe: DedupeLedger;
  readonly #log: EventLog;
  readonly #revocation: Revocation;
  readonly #readTicket: TicketReader;
  // The parts below are made on first use: an idle connected user (most of
  // them, at any moment) keeps only what opening its streams needed.
  #parts: {
    jobs?: JobStore;
    tickets?: TicketLedger;
    inbox?: Inbox;
    outbox?: ReceiptOutbox;
    pushes?: PushStore;
    publishBudget?: TokenBucket;
    /** The user's own inbox changes and HTTP acknowledgements, one bucket each. */
    inboxBudget?: TokenBucket;
    ackBudget?: TokenBucket;
    /** Receipts to the publisher (RECEIPTS_URL configured); without it none are queued. */
    receipts?: ReceiptDelivery | null;
    /** Web Push (VAPID keys configured); without it nothing is pushed or accepted. */
    pushDelivery?: PushDelivery | null;
    frameHandlers?: FrameHandlers;
  } = {};

  /** The store must be migrated first (migrate(), once per store). */
  constructor(sql: SqlStore, connections: ConnectionSet, limits: Limits, options: HubOptions = {}) {
    const owner = (this.#owner = options.owner ?? '');
    this.#sql = sql;
    this.#options = options;
    this.#connections = connections;
    this.#limits = limits;
    this.#schedule = new Schedule(sql, owner, options.alarm ?? POLLED_ALARM);
    this.#dedupe = new DedupeLedger(sql, owner);
    this.#log = new EventLog(sql, owner);
    this.#revocation = new Revocation(sql, owner);
    this.#readTicket = options.readTicket ?? (async () => null);
  }

  get #jobs(): JobStore { return (this.#parts.jobs ??= new JobStore(this.#sql, this.#owner)); }
  get #tickets(): TicketLedger { return (this.#parts.tickets ??= new TicketLedger(this.#sql, this.#owner)); }
  get #inbox(): Inbox { return (this.#parts.inbox ??= new Inbox(this.#sql, this.#owner)); }
  get #outbox(): ReceiptOutbox { return (this.#parts.outbox ??= new ReceiptOutbox(this.#sql, this.#owner)); }
  get #pushes(): PushStore { return (this.#parts.pushes ??= new PushStore(this.#sql, this.#owner)); }
  get #publishBudget(): TokenBucket { return (this.#parts.publishBudget ??= new TokenBucket(this.#limits.publishRatePerUser, this.#limits.publishBurstPerUser)); }
  get #inboxBudget(): TokenBucket { return (this.#parts.inboxBudget ??= new TokenBucket(INBOX_WRITE_RATE.perSecond, INBOX_WRITE_RATE.burst)); }
  get #ackBudget(): TokenBucket { return (this.#parts.ackBudget ??= new TokenBucket(INBOX_WRITE_RATE.perSecond, INBOX_WRITE_RATE.burst)); }

  get #receipts(): ReceiptDelivery | undefined {
    if (this.#parts.receipts === undefined) {
      const settings = this.#options.receipts;
      this.#parts.receipts = settings ? new ReceiptDelivery(this.#sql, this.#outbox, settings) : null;
    }
    return this.#parts.receipts ?? undefined;
  }

  get #pushDelivery(): PushDelivery | undefined {
    if (this.#parts.pushDelivery === undefined) {
      const { push, onPush } = this.#options;
      const report = onPush ?? ((observed: Omit<PushObservation, 'userId'>) => log.info('push', { ...observed }));
      this.#parts.pushDelivery = push ? new PushDelivery(this.#sql, this.#pushes, this.#inbox, push, report) : null;
    }
    return this.#parts.pushDelivery ?? undefined;
  }

  get #frameHandlers(): FrameHandlers {
    return (this.#parts.frameHandlers ??= {
      renew: (connection, ticket) => this.#renew(connection, ticket),
      acknowledge: (_connection, through) => void this.#acknowledge(through, Date.now()),
    });
  }

  /**
   * Appends an event and writes it to every live connection of this user.
   * Throws 429 when the user's publish rate is exceeded; nothing is stored then.
   * A retried webhook-id is answered from the dedupe table, limit or not.
   */
  publish(input: PublishInput, now = Date.now()): PublishResult {
    // The Worker validated this already; the actor does not take it on trust.
    this.#checkType(input.type);
    this.#checkData(input.data);
    return this.#once(input, now, () => {
      this.#spendPublishBudget(now);
      const event = this.#insertEvent(input.type, input.data, now);
      return { result: { id: String(event.row.id), delivered: this.#connections.receivers() }, event };
    });
  }

  /**
   * Stores a notification in the user's inbox and announces it as an
   * `inbox.created` event (the item's id is the event's): an unread item with
   * the same collapse key is replaced, items beyond the inbox's count limit
   * are dropped, and the counts in the event are those of this transaction.
   * Rate-limited and deduplicated like publish().
   */
  notify(input: NotifyInput, now = Date.now()): PublishResult {
    this.#checkType(input.type);
    if (input.data !== undefined) this.#checkData(input.data);
    return this.#once(input, now, () => {
      this.#spendPublishBudget(now);
      const delivered = this.#connections.receivers();
      const id = this.#log.lastId + 1;
      const { item, replaces } = this.#inbox.create(id, input, now, delivered > 0);
      this.#inbox.trim(this.#limits.inboxMaxItems);
      const counts = JSON.stringify(this.#inbox.counts());
      const data = `${item.json.slice(0, -1)},"counts":${counts}${replaces === null ? '' : `,"replaces":"${replaces}"`}}`;
      if (data.length > this.#limits.maxEventBytes + INBOX_ITEM_OVERHEAD) throw badRequest('The notification is larger than MAX_EVENT_BYTES.');
      const event = this.#insertEvent(INBOX_CREATED, data, now);
      this.#queuePush(id, input.push, delivered, now);
      this.#pruneAfterWrite(now, false, this.#limits.inboxMaxAgeSeconds);
      return { result: { id: event.id, delivered }, event };
    });
  }

  /**
   * Queues Web Push of a new item to every subscription of the user: by
   * default when no live connection took it now; with `after`, at that time
   * unless a client has acknowledged it by then; never with `push: false`.
   */
  #queuePush(itemId: number, push: NotifyInput['push'], delivered: number, now: number): void {
    if (!this.#pushDelivery || push === false) return;
    const after = push?.after;
    if (after === undefined && delivered > 0) return;
    const dueAt = now + (after ?? 0) * 1000;
    if (this.#pushes.enqueue(itemId, dueAt, after !== undefined) > 0) this.#schedule.request('push', dueAt);
  }

  /** Adds this browser's push subscription (at most MAX_PUSH_SUBSCRIPTIONS; the oldest goes). Throws 501 without VAPID keys. */
  subscribePush(subscription: PushSubscriptionRecord, credential?: Credential, now = Date.now()): { subscriptions: number } {
    this.#admit(credential);
    this.#requirePush();
    this.#sql.transaction(() => this.#pushes.subscribe(subscription, now));
    return { subscriptions: this.#pushes.count() };
  }

  /** Removes one of the user's push subscriptions. */
  unsubscribePush(endpoint: string, credential?: Credential): { removed: boolean } {
    this.#admit(credential);
    this.#requirePush();
    return { removed: this.#sql.transaction(() => this.#pushes.unsubscribe(endpoint)) };
  }

  #requirePush(): void {
    if (!this.#pushDelivery) throw new HubError('push_disabled', 'Web Push is off: the service has no VAPID keys (VAPID_PUBLIC_KEY, VAPID_PRIVATE_KEY, VAPID_SUBJECT).');
  }

  /** One inbox item's JSON (with its receipt times), or null. */
  getNotification(id: number): string | null {
    return this.#inbox.get(id)?.json ?? null;
  }

  /** A page of the inbox, newest first, with the counts. Throws 401 for a revoked credential. */
  listInbox(status: InboxStatus, before: number | undefined, limit: number, credential?: Credential): InboxListing {
    this.#admit(credential);
    const { items, next } = this.#inbox.list(status, before, limit);
    return { items: items.map((item) => item.json), counts: this.#inbox.counts(), next };
  }

  /**
   * The user marks items seen, read or unread, or archives them. What changes
   * is announced as one `inbox.changed` event with the counts after it, in the
   * same transaction; a call that changes nothing emits nothing. Throws 429
   * over INBOX_WRITE_RATE, 401 for a revoked credential.
   */
  changeInbox(action: InboxAction, target: InboxTarget, credential?: Credential, now = Date.now()): InboxChangeResult {
    this.#admit(credential);
    this.#spend(this.#inboxBudget, now, `This user may change the inbox ${INBOX_WRITE_RATE.perSecond} times a second`);
    const { result, event } = this.#atomically(() => {
      const { changed, unknown } = this.#inbox.change(action, target, now);
      const counts = this.#inbox.counts();
      const result = { changed: changed.map((item) => item.id), unknown: unknown.map(String), counts };
      if (changed.length === 0) return { result };
      this.#queueReceipts(changed, now);
      this.#log.supersedeInboxChanges(new Set(changed.map((item) => String(item.id))));
      const data = `{"counts":${JSON.stringify(counts)},"items":[${changed.map((item) => item.state).join(',')}]}`;
      return { result, event: this.#insertEvent(INBOX_CHANGED, data, now) };
    });
    if (event) this.#deliver(event);
    return result;
  }

  /**
   * A client over HTTP (SSE, polls) has every event up to `through`: the
   * inbox items among them get their `receivedAt`. Returns how many did.
   */
  acknowledge(through: number, credential?: Credential, now = Date.now()): { acknowledged: number } {
    this.#admit(credential);
    this.#spend(this.#ackBudget, now, `This user may acknowledge over HTTP ${INBOX_WRITE_RATE.perSecond} times a second`);
    return { acknowledged: this.#acknowledge(through, now).length };
  }

  /** Sets `receivedAt` on the items up to `through` that had none (an `ack` frame, or acknowledge()). */
  #acknowledge(through: number, now: number): StoredItem[] {
    return this.#sql.transaction(() => {
      const items = this.#inbox.acknowledge(Math.min(through, this.#log.lastId), now);
      this.#queueReceipts(items, now);
      return items;
    });
  }

  /** Queues a receipt for each receipt time these items got now, and asks to be woken to send them. */
  #queueReceipts(items: readonly StoredItem[], now: number): void {
    const receipts = this.#receipts;
    if (!receipts || items.length === 0) return;
    for (const item of items) {
      for (const kind of RECEIPT_KINDS) if (item.row[`${kind}_at`] === now) receipts.enqueue(item.row.id, kind, now);
    }
    this.#schedule.request('receipts', now);
  }

  /**
   * Applies a job update: upsert, bump the version, and emit one notification
   * (`job.<status>`, or `job.progress` while running) whose data is the job.
   * Throws 409 for a change to a job in a terminal state; nothing is written then.
   */
  updateJob(jobId: string, update: JobUpdate, idempotency: IdempotencyKey, now = Date.now()): JobUpdateResult {
    if (!isJobId(jobId) || !(JOB_STATUSES as readonly string[]).includes(update.status)) throw badRequest('A job update names a job id and a job status.');
    for (const text of [update.result, update.error]) if (text !== undefined) this.#checkData(text);
    let changed: StoredJob | undefined;
    const result = this.#once<JobUpdateResult>(idempotency, now, () => {
      const change = this.#jobs.plan(jobId, update, now);
      if (change.kind === 'unchanged') return { result: { job: change.job.json, created: false, eventId: null, delivered: 0 } };
      // Only a change that emits an event counts against the rate; a refused or empty one does not.
      this.#spendPublishBudget(now);
      this.#jobs.write((changed = change.job));
      const event = this.#insertEvent(change.eventType, change.job.json, now);
      const delivered = this.#connections.receivers();
      return { result: { job: change.job.json, created: change.created, eventId: String(event.row.id), delivered }, event };
    });
    if (changed) this.#sendLive(this.#connections.jobWatchers(jobId), new JobMessage(changed.json));
    return result;
  }

  /** The job's JSON; with a client's credential, 401 when it is revoked. */
  getJob(jobId: string, credential?: Credential): string | null {
    this.#admit(credential);
    return this.#jobs.get(jobId)?.json ?? null;
  }

  /** Job JSON texts, newest first. */
  listJobs(status: JobStatus | undefined, limit: number, credential?: Credential): string[] {
    this.#admit(credential);
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
    if (job && job.row.version > since) this.#send(connection, new JobMessage(job.json));
    else this.#send(connection, new JobSnapshot(job?.json ?? null));
  }

  /**
   * Events after `after`, at most `limit` and about REPLAY_MAX_BYTES, with the
   * same reset rules as streams. Throws 401 for a revoked credential.
   */
  poll(after: number | undefined, limit: number, credential?: Credential): PollResult {
    this.#admit(credential);
    if (after === undefined) return { frames: [], lastId: String(this.#log.lastId), more: false };
    const frames: string[] = [];
    const reset = this.#log.resetFor(after);
    if (reset) frames.push(controlFrame(HUB_RESET, reset));
    const { events, more } = this.#replay(reset ? this.#log.prunedThrough : after, limit);
    for (const event of events) frames.push(event.json);
    this.#markDelivered(events);
    const last = events.at(-1)?.row.id ?? (reset ? this.#log.lastId : after);
    return { frames, lastId: String(last), more };
  }

  /**
   * The events after `from` one connection gets in one go: at most `limit`
   * (all when absent) and REPLAY_MAX_BYTES, always at least one so every
   * replay moves on; `more` when others remain. Read a page at a time, so a
   * bound of 1 MiB never loads the whole log into memory.
   */
  #replay(from: number, limit = Infinity): { events: OutgoingEvent[]; more: boolean } {
    const events: OutgoingEvent[] = [];
    let bytes = 0;
    for (let cursor = from; ; ) {
      // One row past what is left of `limit`, to tell whether more remain.
      const want = Math.min(REPLAY_PAGE, limit - events.length + 1);
      const rows = this.#log.after(cursor, want);
      for (const row of rows) {
        if (events.length === limit) return { events, more: true };
        const event = new OutgoingEvent(row);
        bytes += utf8Length(event.json);
        if (bytes > this.#limits.replayMaxBytes && events.length > 0) return { events, more: true };
        events.push(event);
      }
      if (rows.length < want) return { events, more: false };
      cursor = rows.at(-1)!.id;
    }
  }

  /** Inbox items announced by these events reached a connection: their `deliveredAt`, when they had none. */
  #markDelivered(events: readonly OutgoingEvent[]): void {
    const ids = events.filter((event) => event.row.type === INBOX_CREATED).map((event) => event.row.id);
    if (ids.length > 0) this.#inbox.delivered(ids, Date.now());
  }

  /**
   * Opens a connection, every step in this one turn: the connection cap, the
   * ticket, registration, then the replay after the resume point and
   * `hub.ready` (or, for a job long poll, the job if it already moved on).
   * Live events follow through publish(). Throws 429 or 401 before anything
   * is registered.
   */
  open(connection: Connection, options: OpenOptions = {}, now = Date.now()): void {
    if (!isTransport(connection.transport) || (connection.transport === 'job') !== (options.job !== undefined)) {
      throw badRequest('A connection is one of websocket, sse, poll, or job with its job.');
    }
    this.#admit(options.credential);
    this.#makeRoom();
    if (options.redeem) this.#redeem(options.redeem);
    this.#connections.accept(connection, options.job?.id);
    if (options.credential && isStream(connection)) this.#startSession(connection, options.credential, now);
    if (options.job) this.#watchJob(connection, options.job.id, options.job.version);
    else this.#resume(connection, options.after, options.replayLimit);
  }

  /** The connection ended: the actor forgets it. */
  closed(connection: Connection): void {
    this.#connections.remove(connection);
  }

  /** Throws 401 for a credential issued before the user's revocation point. */
  #admit(credential: Credential | undefined): void {
    if (credential && !this.#revocation.admits(credential)) throw unauthorized();
  }

  /** Spends a ticket (401 when spent before); its row is pruned once the ticket would have expired. */
  #redeem(ticket: { nonce: string; exp: number }): void {
    if (!this.#tickets.redeem(ticket.nonce, ticket.exp)) throw unauthorized();
    this.#schedule.request('prune', ticket.exp * 1000);
  }

  /**
   * At the connection cap, ends the oldest SSE stream or long poll (each
   * resumes by itself; on Cloudflare one may be a bridge whose client is
   * already gone) to make room; with only WebSockets, refuses with 429.
   */
  #makeRoom(): void {
    if (this.#connections.count() < this.#limits.maxConnectionsPerUser) return;
    for (const connection of this.#connections.all()) {
      if (connection.transport === 'websocket') continue;
      this.#close(connection, CloseCode.reconnect, 'replaced by a newer connection');
      this.#connections.remove(connection);
      return;
    }
    throw new HubError('connection_limit', `This user already holds ${this.#limits.maxConnectionsPerUser} connections.`);
  }

  /** Gives a stream the session of its credential, and asks to be woken when its warning is due. */
  #startSession(connection: Connection, credential: Credential, now: number): void {
    connection.session = sessionFor(credential, now);
    this.#schedule.request('expire', connection.session.warnAt);
  }

  /**
   * `{"type":"auth","ticket"}`: a fresh ticket of the same user, unspent and
   * unrevoked, moves the session's end to its token's; anything else closes
   * the connection with 4401 (the client reconnects with a fresh token).
   */
  async #renew(connection: Connection, text: unknown): Promise<void> {
    const ticket = typeof text === 'string' && connection.session ? await this.#readTicket(text) : null;
    const now = Date.now();
    const session = connection.session;
    const valid = ticket !== null && session !== undefined && ticket.userId === session.userId && ticket.exp * 1000 > now;
    try {
      if (!valid) throw unauthorized();
      this.#admit(ticket);
      this.#redeem(ticket);
    } catch {
      return this.#close(connection, CloseCode.unauthorized, 'session refresh refused');
    }
    this.#startSession(connection, ticket, now);
    this.#send(connection, new ControlMessage(HUB_AUTH, { expiresAt: iso(connection.session!.expiresAt) }));
  }

  /** Warns the sessions whose warning is due and closes (4401) those that ended; then asks for the next. */
  #expireSessions(now: number): void {
    let next = Infinity;
    for (const connection of this.#connections.list()) {
      const session = connection.session;
      if (!session || this.#closeIfEnded(connection, now, session)) continue;
      let warnAt = session.warnAt;
      if (warnAt <= now) {
        this.#send(connection, new ControlMessage(HUB_EXPIRING, { expiresAt: iso(session.expiresAt) }));
        // On Cloudflare each write of the session is a socket attachment: write it once, read it once.
        connection.session = { ...session, warnAt: (warnAt = session.expiresAt) };
      }
      next = Math.min(next, warnAt);
    }
    if (next < Infinity) this.#schedule.request('expire', next);
  }

  /**
   * The publisher ends the user's sessions: every stream and long poll is
   * closed with 4503. With `revoke`, every credential issued before now is
   * refused from then on (tickets, SSE cookies, tokens: by the token's `iat`).
   */
  endSessions(options: { revoke?: boolean }, idempotency?: IdempotencyKey, now = Date.now()): Ended {
    const seen = idempotency && this.#dedupe.seen<Ended>(idempotency);
    if (seen) return { ...seen, duplicate: true };
    const result = { closed: this.#closeAll() };
    this.#sql.transaction(() => {
      if (options.revoke) {
        this.#revocation.revoke(now);
        // Logged out everywhere: no browser of the user's keeps getting pushes.
        this.#pushes.erase();
      }
      if (idempotency) this.#remember(idempotency, result, now);
    });
    return result;
  }

  /** Keeps a result for its webhook-id; the next prune forgets it after DEDUPE_TTL_SECONDS. */
  #remember(idempotency: IdempotencyKey, result: object, now: number): void {
    this.#dedupe.remember(idempotency, result, now);
    this.#pruneAfterWrite(now);
  }

  #closeAll(): number {
    const connections = [...this.#connections.all()];
    for (const connection of connections) {
      this.#close(connection, CloseCode.ended, 'ended by the service');
      this.#connections.remove(connection);
    }
    return connections.length;
  }

  /**
   * Erases the user: ends every connection (4503) and deletes the events,
   * jobs, inbox, dedupe keys, spent tickets and schedule. What stays is not the
   * user's: the id and job-version high-water marks (so no resume point or
   * job version is ever confused with the old ones: each gets `hub.reset` or a
   * higher version) and a revocation point, so no credential from before the
   * erasure opens anything.
   */
  erase(idempotency?: IdempotencyKey, now = Date.now()): Erased {
    const seen = idempotency && this.#dedupe.seen<Erased>(idempotency);
    if (seen) return { ...seen, duplicate: true };
    const closed = this.#closeAll();
    return this.#atomically(() => {
      const result = { closed, events: this.#log.erase(), jobs: this.#jobs.erase(), notifications: this.#inbox.erase() };
      this.#dedupe.forget(Number.MAX_SAFE_INTEGER);
      this.#tickets.erase();
      this.#outbox.erase();
      this.#pushes.erase();
      this.#schedule.clear();
      this.#revocation.revoke(now);
      // Kept, so a replay of this request inside its signature window is answered and not redone.
      if (idempotency) this.#remember(idempotency, result, now);
      return result;
    });
  }

  /**
   * Brings a connection that the host has just registered up to date: a reset
   * notice when its resume point is no longer retained, every retained event
   * after it, then `hub.ready`. Live events follow through publish().
   */
  #resume(connection: Connection, after: number | undefined, limit?: number): void {
    let from = after;
    const reset = after === undefined ? null : this.#log.resetFor(after);
    if (reset) {
      this.#send(connection, new ControlMessage(HUB_RESET, reset));
      from = this.#log.prunedThrough;
    }
    if (from !== undefined && from < this.#log.lastId) {
      // A long poll gets its page and one more event (its answer's `more`).
      const { events, more } = this.#replay(from, limit === undefined ? undefined : limit + 1);
      for (const event of events) this.#send(connection, event);
      this.#markDelivered(events);
      if (more) {
        // Cut: a poll answers this page with `more`; a stream resumes at once from its last id (4009).
        if (!isStream(connection)) return void this.#send(connection, new ControlMessage(HUB_READY, { lastId: events.at(-1)!.id, more: true, protocol: PROTOCOL_VERSION }));
        return this.#close(connection, CloseCode.resumeNow, 'replay continues on the next connection');
      }
    }
    this.#send(connection, new ControlMessage(HUB_READY, { lastId: String(this.#log.lastId), protocol: PROTOCOL_VERSION }));
  }

  /** Answers a client frame (client-frames.ts): ping, auth. Unknown frames get an error frame, up to a limit. */
  receive(connection: Connection, message: string | ArrayBuffer): Promise<void> {
    return receiveClientFrame(connection, message, this.#frameHandlers);
  }

  /** Throws 401 for a credential the user's revocation point refuses (POST /v1/tickets mints none for it). */
  admit(credential: Credential): void {
    this.#admit(credential);
  }

  /** Who is connected, by transport; parked job polls count as polls. */
  presence(): Presence {
    const c = this.#connections;
    const connections = { websocket: c.countBy('websocket'), sse: c.countBy('sse'), poll: c.countBy('poll') + c.countBy('job') };
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
      inbox: this.#inbox.counts(),
    };
  }

  /**
   * Runs what the actor asked to be woken for and is due at `now`; the host
   * calls it when the platform's alarm fires (standalone: when a row is due).
   * `alarmFired`: the platform says the earliest time has come, even if this
   * clock disagrees (or a test ran the alarm early). Returns the receipts
   * being sent, if any (a Durable Object's alarm waits for them).
   */
  wake(now = Date.now(), alarmFired = false): Promise<void> | undefined {
    const earliest = this.#schedule.earliest();
    const dueAt = alarmFired && earliest !== null ? Math.max(now, earliest) : now;
    let sending: Promise<void> | undefined;
    for (const reason of this.#schedule.takeDue(dueAt)) {
      const delivery = reason === 'receipts' ? this.#receipts : reason === 'push' ? this.#pushDelivery : undefined;
      if (delivery) {
        const round = this.#runDelivery(reason as 'receipts' | 'push', delivery, dueAt);
        sending = sending ? Promise.all([sending, round]).then(() => undefined) : round;
      }
      if (reason === 'expire') this.#expireSessions(now);
      if (reason === 'prune') {
        const next = this.prune(now);
        if (next !== null) this.#schedule.request('prune', Math.max(next, now + this.#limits.pruneDelaySeconds * 1000));
      }
    }
    return sending;
  }

  /**
   * Drops events beyond the retention count or age, jobs past the same age,
   * inbox items past the inbox's count or age, dedupe keys past their TTL and
   * spent tickets past expiry. Returns when it
   * should run next, or null when nothing is left that will age out.
   */
  prune(now = Date.now()): number | null {
    const { retentionMaxEvents, retentionMaxAgeSeconds, dedupeTtlSeconds, inboxMaxItems, inboxMaxAgeSeconds } = this.#limits;
    const maxAge = retentionMaxAgeSeconds * 1000;
    const inboxMaxAge = inboxMaxAgeSeconds * 1000;
    return this.#sql.transaction(() => {
      this.#log.prune(retentionMaxEvents, now - maxAge);
      this.#dedupe.forget(now - dedupeTtlSeconds * 1000);
      this.#tickets.forget(now);
      this.#jobs.prune(now - maxAge, retentionMaxEvents);
      this.#inbox.prune(inboxMaxItems, now - inboxMaxAge);

      const due = [
        (this.#log.oldest() ?? Infinity) + maxAge,
        (this.#dedupe.oldest() ?? Infinity) + dedupeTtlSeconds * 1000,
        this.#tickets.lastExpiry() ?? Infinity,
        (this.#jobs.oldestUpdate() ?? Infinity) + maxAge,
        (this.#inbox.oldest() ?? Infinity) + inboxMaxAge,
      ];
      const next = Math.min(...due);
      return Number.isFinite(next) ? next : null;
    });
  }

  /**
   * One round of a delivery (receipts, pushes) and the wake for its next due
   * one, even when the round failed. Never a rejection a host could leave
   * unhandled: a failed round is logged and retried at the next wake.
   */
  async #runDelivery(reason: 'receipts' | 'push', delivery: ReceiptDelivery | PushDelivery, now: number): Promise<void> {
    try {
      await delivery.round(now);
    } catch (err) {
      log.error(`${reason}_failed`, { error: String(err) });
    } finally {
      const next = delivery.nextDue();
      if (next !== null) this.#schedule.request(reason, next);
    }
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

  /**
   * A publisher's write, once per webhook-id: a retry is answered from the
   * dedupe table; else `fn` writes in one transaction that keeps its answer,
   * and the event it emitted goes out once that commits.
   */
  #once<T extends object>(key: IdempotencyKey, now: number, fn: () => { result: T; event?: OutgoingEvent }): T {
    const { result, event } = this.#atomically((): { result: T; event?: OutgoingEvent } => {
      const seen = this.#dedupe.seen<T>(key);
      if (seen) return { result: { ...seen, duplicate: true } };
      const written = fn();
      this.#remember(key, written.result, now);
      return written;
    });
    if (event) this.#deliver(event);
    return result;
  }

  /** Data arrives as canonical JSON text from the routes; here only its size is checked again (parsing it costs a publish). */
  #checkData(data: string): void {
    if (typeof data !== 'string' || data.length === 0 || data.length > this.#limits.maxEventBytes) throw badRequest('data: JSON text within MAX_EVENT_BYTES.');
  }

  /** Event types a publisher may use: the pattern, and none of the service's own (hub., inbox., job.). */
  #checkType(type: string): void {
    if (!EVENT_TYPE_PATTERN.test(type) || isReservedType(type)) throw badRequest('type: not an event type a publisher may use.');
  }

  #spendPublishBudget(now: number): void {
    this.#spend(this.#publishBudget, now, `This user receives at most ${this.#limits.publishRatePerUser} events a second`);
  }

  /** Takes a token or throws 429 with Retry-After. */
  #spend(bucket: TokenBucket, now: number, limit: string): void {
    const waitMs = bucket.take(now);
    if (waitMs === 0) return;
    const seconds = Math.max(1, Math.ceil(waitMs / 1000));
    throw new HubError('rate_limited', `${limit}; retry in ${seconds} s.`, { headers: { 'Retry-After': String(seconds) } });
  }

  #insertEvent(type: string, data: string, now: number): OutgoingEvent {
    const row = this.#log.append(type, data, now);
    // What the user's clicks write (inbox.changed) does not count towards the limit, so it never asks for a count prune.
    this.#pruneAfterWrite(now, type !== INBOX_CHANGED && this.#log.mayHoldMoreThan(this.#limits.retentionMaxEvents));
    return new OutgoingEvent(row);
  }

  /**
   * Makes sure a prune is due for what was just written: by the time it ages
   * out (retention age or dedupe TTL, whichever is sooner), or within the
   * prune delay once the log may hold more than the count limit (retained
   * events are at most lastId - prunedThrough). A prune already due by then
   * costs nothing, so a publish writes no schedule row and moves no alarm
   * except once per prune cycle: on Cloudflare an alarm per publish would wake
   * a hibernated object again a minute after each event.
   */
  #pruneAfterWrite(now: number, overCount = false, maxAgeSeconds = Infinity): void {
    const { retentionMaxAgeSeconds, dedupeTtlSeconds, pruneDelaySeconds } = this.#limits;
    const seconds = overCount ? pruneDelaySeconds : Math.min(retentionMaxAgeSeconds, dedupeTtlSeconds, maxAgeSeconds);
    this.#schedule.request('prune', now + seconds * 1000);
  }

  #deliver(event: OutgoingEvent): void {
    this.#sendLive(this.#connections.list(), event);
  }

  /**
   * Writes to each connection whose session has not ended. The expire wake
   * closes a session at its end, but a wake can be late (a busy host, an alarm
   * behind time): a stream past its token's `exp` is closed with 4401 here
   * instead, and its client resumes the message with a fresh token.
   */
  #sendLive(connections: Iterable<Connection>, message: Outgoing): void {
    const now = Date.now();
    for (const connection of connections) if (!this.#closeIfEnded(connection, now)) this.#send(connection, message);
  }

  /** Closes (4401) a stream whose session has ended by `now`; true when it did. The session is read once (on Cloudflare, an attachment). */
  #closeIfEnded(connection: Connection, now: number, session = connection.session): boolean {
    if (!session || session.expiresAt > now) return false;
    this.#close(connection, CloseCode.unauthorized, 'session expired');
    return true;
  }

  /**
   * Everything the actor writes to a connection goes out once what it read or
   * wrote is committed (SqlStore.afterCommit: at once on a Durable Object,
   * whose output gate holds it anyway; after the turn's group commit on a
   * standalone host), in the order it was written.
   */
  #send(connection: Connection, message: Outgoing): void {
    this.#whenCommitted(() => connection.send(message));
  }

  #close(connection: Connection, code: number, reason: string): void {
    this.#whenCommitted(() => connection.close(code, reason));
  }

  #whenCommitted(fn: () => void): void {
    if (this.#sql.afterCommit) this.#sql.afterCommit(fn);
    else fn();
  }
}

const utf8 = new TextEncoder();

/** Bytes of a text as UTF-8, without encoding it when it is ASCII. */
function utf8Length(text: string): number {
  // eslint-disable-next-line no-control-regex
  return /^[\x00-\x7f]*$/.test(text) ? text.length : utf8.encode(text).byteLength;
}
