// Model-based property tests of the actor's logic: random interleavings of
// publishes, duplicate webhook-ids, connects, disconnects, prunes, polls, job
// updates, clock moves and restarts, run against a Hub over real SQLite
// (node:sqlite) and checked step by step against a small model of the log.
//
// Invariants, one property each:
// - log: event ids are consecutive and never reused, across prunes and
//   restarts; a duplicate webhook-id returns the original result and stores
//   and sends nothing; prune keeps the newest retentionMaxEvents within the
//   age limit and says when it is due next.
// - streams: each connected client receives [hub.reset] replay hub.ready live,
//   with consecutive ids, no repeat and no gap; the reset comes if and only if
//   its resume point is below the retained window or above lastId; a retained
//   resume point gets the full replay after it.
// - poll: the same reset rule, pages of at most `limit`, `more` and `lastId`
//   right, and following the pages ends at lastId with no gap.
// - jobs: a version rises by one per change; a job in a terminal state never
//   changes (409 job_final, no event, no version change, nothing sent). A job
//   not updated for retentionMaxAgeSeconds is pruned; an update then creates
//   it anew above the highest version any pruned job reached (versions never
//   go backwards), and the model expects exactly that.
// - sse: each SSE frame is one message whose id and event lines match its
//   JSON, carrying the same events as WebSocket frames.
//
// Every property runs the same kind of random operations against the same
// model; each asserts one family of invariants, so a failure names its family.
// VERIFY_PROPERTY_RUNS sets the runs per property (default 100).

import { json } from '../helpers/wire.ts';
import { DatabaseSync } from 'node:sqlite';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { migrate } from '../../src/core/actor/schema.ts';
import type { Outgoing } from '../../src/core/actor/frames.ts';
import { Hub } from '../../src/core/actor/hub.ts';
import type { PublishResult } from '../../src/protocol/wire.ts';
import type { Connection, Session as StreamSession, SqlStore, StreamTransport, Transport } from '../../src/core/actor/ports.ts';
import { DEFAULT_LIMITS, type Limits } from '../../src/core/config.ts';
import { HubError } from '../../src/core/errors.ts';
import { HUB_READY, HUB_RESET, JOB_STATUSES, PROTOCOL_VERSION, TERMINAL_STATUSES, type JobStatus } from '../../src/protocol/wire.ts';
import { MemoryConnectionSet } from '../../src/standalone/memory-connections.ts';
import { configure, createSqliteStore, type GroupCommitStore, type SqliteDatabase } from '../../src/standalone/sqlite-store.ts';
import { createSseParser, type SseFrame } from '../helpers/sse-parser.ts';
import { deferringStore } from '../helpers/deferring-store.ts';

const RUNS = Number(process.env.VERIFY_PROPERTY_RUNS) || 100;
const TIMEOUT_MS = 30_000 + RUNS * 100;
const MAX_OPERATIONS = 60;
const CLIENT_SLOTS = 4;
const START_TIME = Date.UTC(2030, 0, 1);
/** Fewer jobs than the smallest retentionMaxEvents: jobs are then pruned by age only, which the model predicts. */
const JOB_IDS = ['job-a', 'job-b', 'job-c'];
const MIN_RETENTION_EVENTS = 5;

type Check = 'log' | 'streams' | 'poll' | 'jobs' | 'sse';
type Frame = Record<string, unknown>;

// ---------------------------------------------------------------- operations

type ResumePoint =
  | { kind: 'none' }
  /** The client's own resume point (or the poller's previous lastId). */
  | { kind: 'lastSeen' }
  | { kind: 'exact'; id: number }
  | { kind: 'behindLast'; by: number }
  | { kind: 'aboveLast'; by: number };

type Operation =
  | { kind: 'publish'; type: string; text: string }
  | { kind: 'republish'; pick: number }
  | { kind: 'connect'; slot: number; transport: StreamTransport | 'poll'; from: ResumePoint }
  | { kind: 'watchJob'; slot: number; jobId: string; version: number | 'current' }
  | { kind: 'disconnect'; slot: number }
  | { kind: 'prune'; advanceMs: number }
  | { kind: 'poll'; from: ResumePoint; limit: number }
  | { kind: 'updateJob'; jobId: string; status: JobStatus; progress: number | undefined }
  | { kind: 'advance'; ms: number }
  | { kind: 'restart' };

const resumePointArb: fc.Arbitrary<ResumePoint> = fc.oneof(
  fc.constant({ kind: 'none' as const }),
  fc.constant({ kind: 'lastSeen' as const }),
  fc.constant({ kind: 'exact' as const, id: 0 }),
  fc.integer({ min: 0, max: 80 }).map((id) => ({ kind: 'exact' as const, id })),
  fc.integer({ min: 0, max: 25 }).map((by) => ({ kind: 'behindLast' as const, by })),
  fc.integer({ min: 1, max: 3 }).map((by) => ({ kind: 'aboveLast' as const, by })),
);

/**
 * Clock moves: mostly whole seconds in steps of 5 and 10, like the limits
 * below, so events land exactly on the retention age and dedupe TTL
 * boundaries; sometimes past both.
 */
const advanceArb = fc.oneof(
  fc.integer({ min: 0, max: 1_500 }),
  fc.integer({ min: 0, max: 5 }).map((seconds) => seconds * 1000),
  fc.integer({ min: 0, max: 12 }).map((fives) => fives * 5_000),
  fc.integer({ min: 6, max: 40 }).map((tens) => tens * 10_000),
);

/** Payload text with the characters JSON and SSE framing care about. */
const textArb = fc.string({ unit: fc.constantFrom('a', 'é', ' ', '"', '\\', '\n', '\r', '\u2028', '\u2029', '😀'), maxLength: 6 });

const slotArb = fc.integer({ min: 0, max: CLIENT_SLOTS - 1 });

const operationArb: fc.Arbitrary<Operation> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({ kind: fc.constant('publish' as const), type: fc.constantFrom('order.paid', 'message.new'), text: textArb }),
  },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('republish' as const), pick: fc.nat() }) },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('connect' as const),
      slot: slotArb,
      transport: fc.constantFrom('websocket' as const, 'sse' as const, 'poll' as const),
      from: resumePointArb,
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('watchJob' as const),
      slot: slotArb,
      jobId: fc.constantFrom(...JOB_IDS),
      version: fc.oneof(fc.constant('current' as const), fc.integer({ min: 0, max: 4 })),
    }),
  },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('disconnect' as const), slot: slotArb }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('prune' as const), advanceMs: advanceArb }) },
  {
    weight: 2,
    arbitrary: fc.record({ kind: fc.constant('poll' as const), from: resumePointArb, limit: fc.integer({ min: 1, max: 8 }) }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('updateJob' as const),
      jobId: fc.constantFrom(...JOB_IDS),
      status: fc.constantFrom(...JOB_STATUSES),
      progress: fc.constantFrom(undefined, 0, 0.25, 0.5, 1),
    }),
  },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('advance' as const), ms: advanceArb }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'restart' as const }) },
);

/** size 'max': lengths spread over 0..MAX_OPERATIONS, not fast-check's default short arrays. */
const operationsArb = fc.array(operationArb, { maxLength: MAX_OPERATIONS, size: 'max' });

type SmallLimits = Pick<Limits, 'retentionMaxEvents' | 'retentionMaxAgeSeconds' | 'dedupeTtlSeconds'>;

/** Small limits so pruning happens (readLimits allows a dedupe TTL down to 60 s); other fields keep their defaults. */
function testLimits(small: SmallLimits): Limits {
  // 0: no per-user publish rate limit, which would refuse the test's bursts.
  return { ...DEFAULT_LIMITS, publishRatePerUser: 0, ...small };
}

const limitsArb = fc
  .record({
    retentionMaxEvents: fc.integer({ min: MIN_RETENTION_EVENTS, max: 20 }),
    retentionMaxAgeSeconds: fc.integer({ min: 1, max: 12 }).map((tens) => tens * 10),
    dedupeTtlSeconds: fc.integer({ min: 6, max: 18 }).map((tens) => tens * 10),
  })
  .map(testLimits);

// ---------------------------------------------------------------- the model

interface ModelEvent {
  id: number;
  type: string;
  data: unknown;
  createdAt: number;
}

interface ModelJob {
  id: string;
  status: JobStatus;
  progress: number | null;
  version: number;
  createdAt: number;
  updatedAt: number;
}

type JobPlan =
  | { kind: 'unchanged'; job: ModelJob }
  | { kind: 'final'; job: ModelJob }
  | { kind: 'changed'; job: ModelJob; created: boolean; eventType: string };

interface PollAnswer {
  frames: Frame[];
  lastId: string;
  more: boolean;
}

const iso = (time: number): string => new Date(time).toISOString();

const notification = (event: ModelEvent): Frame => ({
  id: String(event.id),
  type: event.type,
  data: event.data,
  time: iso(event.createdAt),
});

const readyFrame = (lastId: number): Frame => ({ type: HUB_READY, data: { lastId: String(lastId), protocol: PROTOCOL_VERSION } });

const jobFrame = (job: ModelJob): Frame => ({
  id: job.id,
  status: job.status,
  progress: job.progress,
  result: null,
  error: null,
  version: job.version,
  createdAt: iso(job.createdAt),
  updatedAt: iso(job.updatedAt),
});

const isControl = (frame: Frame): boolean => frame.type === HUB_RESET || frame.type === HUB_READY;

/** What the hub should have stored, and so what it should answer. */
class HubModel {
  readonly limits: Limits;
  now = START_TIME;
  lastId = 0;
  /** Highest id pruned: a resume point below it has lost events. */
  prunedThrough = 0;
  /** Highest version of any pruned job: a job created again starts above it. */
  jobVersionFloor = 0;
  /** Retained events, oldest first. */
  retained: ModelEvent[] = [];
  /** Remembered webhook-ids: when, and the result of a publish. */
  readonly dedupe = new Map<string, { createdAt: number; result?: PublishResult }>();
  /** Every publish so far, for retries with the same webhook-id. */
  readonly publishes: Array<{ webhookId: string; type: string; data: unknown }> = [];
  readonly jobs = new Map<string, ModelJob>();

  constructor(limits: Limits) {
    this.limits = limits;
  }

  append(type: string, data: unknown): ModelEvent {
    const event = { id: ++this.lastId, type, data, createdAt: this.now };
    this.retained.push(event);
    return event;
  }

  isRetained(after: number): boolean {
    return after >= this.prunedThrough && after <= this.lastId;
  }

  eventsAfter(after: number): ModelEvent[] {
    return this.retained.filter((event) => event.id > after);
  }

  resetFrame(after: number): Frame {
    return {
      type: HUB_RESET,
      data: { reason: after > this.lastId ? 'unknown_id' : 'not_retained', after: String(after), lastId: String(this.lastId) },
    };
  }

  /** A stream resumed from `after`: [hub.reset] replay hub.ready. */
  resumeFrames(after: number | undefined): Frame[] {
    if (after === undefined) return [readyFrame(this.lastId)];
    const reset = !this.isRetained(after);
    const from = reset ? this.prunedThrough : after;
    return [...(reset ? [this.resetFrame(after)] : []), ...this.eventsAfter(from).map(notification), readyFrame(this.lastId)];
  }

  pollAnswer(after: number | undefined, limit: number): PollAnswer {
    if (after === undefined) return { frames: [], lastId: String(this.lastId), more: false };
    const reset = !this.isRetained(after);
    const events = this.eventsAfter(reset ? this.prunedThrough : after);
    const page = events.slice(0, limit);
    return {
      frames: [...(reset ? [this.resetFrame(after)] : []), ...page.map(notification)],
      lastId: String(page.at(-1)?.id ?? (reset ? this.lastId : after)),
      more: events.length > limit,
    };
  }

  planJob(jobId: string, status: JobStatus, progress: number | undefined): JobPlan {
    const current = this.jobs.get(jobId);
    const next: ModelJob = {
      id: jobId,
      status,
      progress: progress ?? (status === 'succeeded' ? 1 : (current?.progress ?? null)),
      version: (current?.version ?? this.jobVersionFloor) + 1,
      createdAt: current?.createdAt ?? this.now,
      updatedAt: this.now,
    };
    if (current) {
      if (next.status === current.status && next.progress === current.progress) return { kind: 'unchanged', job: current };
      if (TERMINAL_STATUSES.has(current.status)) return { kind: 'final', job: current };
    }
    const eventType = current?.status === 'running' && status === 'running' ? 'job.progress' : `job.${status}`;
    return { kind: 'changed', job: next, created: !current, eventType };
  }

  /** Drops what has aged out; returns when the next prune is due, or null. */
  prune(): number | null {
    const maxAgeMs = this.limits.retentionMaxAgeSeconds * 1000;
    const ttlMs = this.limits.dedupeTtlSeconds * 1000;
    const keep = this.limits.retentionMaxEvents;
    const beyondCount = this.retained.length > keep ? this.retained[this.retained.length - 1 - keep]!.id : 0;
    const aged = this.retained.filter((event) => event.createdAt <= this.now - maxAgeMs);
    const beyondAge = aged.at(-1)?.id ?? 0;
    this.prunedThrough = Math.max(this.prunedThrough, beyondCount, beyondAge);
    this.retained = this.retained.filter((event) => event.id > this.prunedThrough);
    for (const [webhookId, remembered] of this.dedupe) {
      if (remembered.createdAt <= this.now - ttlMs) this.dedupe.delete(webhookId);
    }
    for (const [jobId, job] of this.jobs) {
      if (job.updatedAt > this.now - maxAgeMs) continue;
      this.jobVersionFloor = Math.max(this.jobVersionFloor, job.version);
      this.jobs.delete(jobId);
    }
    const due = [
      ...this.retained.slice(0, 1).map((event) => event.createdAt + maxAgeMs),
      ...[...this.dedupe.values()].map((remembered) => remembered.createdAt + ttlMs),
      ...[...this.jobs.values()].map((job) => job.updatedAt + maxAgeMs),
    ];
    return due.length > 0 ? Math.min(...due) : null;
  }
}

// ---------------------------------------------------------------- connections

/** A Connection that records what the hub writes to it. */
class RecordingConnection implements Connection {
  readonly transport: Transport;
  readonly identity = this;
  session: StreamSession | undefined;
  readonly frames: string[] = [];
  readonly closes: Array<{ code: number; reason: string }> = [];
  /** Frames written after the host removed this connection from the set. */
  framesAfterRemoval = 0;
  #removed = false;

  constructor(transport: Transport) {
    this.transport = transport;
  }

  /** Records the form the real connection would write: SSE for an SSE stream, JSON otherwise. */
  send(message: Outgoing): boolean {
    if (this.#removed) {
      this.framesAfterRemoval++;
      return false;
    }
    // A job poll's snapshot is what it answers with at timeout, not a frame: the model checks changes only.
    if (message.kind === 'snapshot') return true;
    this.frames.push(this.transport === 'sse' ? message.sse : message.json);
    return true;
  }

  close(code: number, reason: string): void {
    this.closes.push({ code, reason });
  }

  markRemoved(): void {
    this.#removed = true;
  }
}

interface Received {
  text: string;
  frame: Frame;
  /** The SSE messages the text parses to (one, for a well-formed frame). */
  sse?: SseFrame[];
}

function decode(transport: Transport, text: string): Received {
  if (transport !== 'sse') return { text, frame: JSON.parse(text) as Frame };
  const messages: SseFrame[] = [];
  createSseParser((message) => messages.push(message))(text);
  return { text, frame: JSON.parse(messages[0]?.data ?? '{}') as Frame, sse: messages };
}

/** One connection of a client, from connect to disconnect. */
class Session {
  readonly connection: RecordingConnection;
  /** The resume point it connected with (streams). */
  readonly after: number | undefined;
  /** Frames the model says it should have received, decoded. */
  readonly expected: Frame[];
  /** The job a job watcher waits on. */
  readonly jobId: string | undefined;
  /** How many received frames each check has looked at. */
  comparedUpTo = 0;
  sseCheckedUpTo = 0;
  readonly #received: Received[] = [];

  constructor(connection: RecordingConnection, after: number | undefined, expected: Frame[], jobId?: string) {
    this.connection = connection;
    this.after = after;
    this.expected = expected;
    this.jobId = jobId;
  }

  get isStream(): boolean {
    return this.connection.transport !== 'job';
  }

  /** Every frame so far, decoded once. */
  get received(): Received[] {
    const { frames, transport } = this.connection;
    while (this.#received.length < frames.length) this.#received.push(decode(transport, frames[this.#received.length]!));
    return this.#received;
  }
}

class Client {
  session?: Session;
  /** Where this client resumes, kept as src/client does: its last event id, or hub.ready's lastId after a reset. */
  resumePoint: number | undefined;
}

function resumePointAfter(session: Session, before: number | undefined): number | undefined {
  let point = before;
  for (const { frame } of session.received) {
    if (frame.type === HUB_RESET) point = undefined;
    else if (frame.type === HUB_READY) point ??= Number((frame.data as { lastId: string }).lastId);
    else point = Number(frame.id);
  }
  return point;
}

/**
 * What any stream session must look like, whatever the model says: at most one
 * hub.reset and only first; one hub.ready; event ids consecutive with no repeat;
 * the replay ends at hub.ready's lastId and live events follow it; without a
 * reset, the first event follows the resume point. Returns the first problem.
 */
function gapFreeProblem(frames: Frame[], after: number | undefined): string | null {
  let reset = false;
  let ready: number | undefined;
  let previous: number | undefined;
  for (const [index, frame] of frames.entries()) {
    if (frame.type === HUB_RESET) {
      if (index !== 0) return `hub.reset at position ${index}`;
      reset = true;
    } else if (frame.type === HUB_READY) {
      if (ready !== undefined) return 'a second hub.ready';
      ready = Number((frame.data as { lastId: string }).lastId);
      if (previous !== undefined && previous !== ready) return `replay ended at ${previous} but hub.ready says ${ready}`;
      if (previous === undefined && !reset && after !== undefined && after !== ready) {
        return `no replay from ${after} though hub.ready says ${ready}`;
      }
    } else {
      const id = Number(frame.id);
      const due = previous ?? ready ?? (reset ? undefined : after);
      if (due !== undefined && id !== due + 1) return `event ${id} where ${due + 1} was due`;
      previous = id;
    }
  }
  return frames.length > 0 && ready === undefined ? 'no hub.ready' : null;
}

function consecutive(ids: number[]): boolean {
  return ids.every((id, index) => index === 0 || id === ids[index - 1]! + 1);
}

// ---------------------------------------------------------------- the simulation

/** A Hub over real SQLite, its connections and the model, driven one operation at a time. */
class Simulation {
  readonly #db: SqliteDatabase;
  readonly #sql: SqlStore;
  readonly #limits: Limits;
  readonly #checks: ReadonlySet<Check>;
  readonly #connections = new MemoryConnectionSet();
  readonly #model: HubModel;
  readonly #clients: Client[] = Array.from({ length: CLIENT_SLOTS }, () => new Client());
  readonly #endedSessions: Session[] = [];
  /** Events as WebSocket connections decoded them, by id. */
  readonly #seenOverWebSocket = new Map<string, Frame>();
  /** Every event ever appended, by id (the model's retained list forgets). */
  readonly #allEvents = new Map<string, ModelEvent>();
  #hub: Hub;
  #store: GroupCommitStore | undefined;
  #webhookCounter = 0;
  /** The previous poll answer's lastId: where a polling client continues. */
  #pollCursor: number | undefined;

  static async start(limits: Limits, checks: ReadonlySet<Check>, kind: StoreKind): Promise<Simulation> {
    const simulation = new Simulation(limits, checks, kind);
    await migrate(simulation.#sql);
    return simulation;
  }

  private constructor(limits: Limits, checks: ReadonlySet<Check>, kind: StoreKind) {
    this.#db = new DatabaseSync(':memory:') as unknown as SqliteDatabase;
    configure(this.#db);
    if (kind === 'sqlite') {
      // The model checks what each call writes at once; the host's group commit
      // (writes go out after the turn's commit) is tested on its own.
      this.#store = createSqliteStore(this.#db);
      this.#sql = { singleWriter: true, all: this.#store.all, run: this.#store.run, transaction: this.#store.transaction };
    } else {
      this.#sql = deferringStore(this.#db);
    }
    this.#limits = limits;
    this.#checks = checks;
    this.#model = new HubModel(limits);
    this.#hub = new Hub(this.#sql, this.#connections, limits);
  }

  close(): void {
    this.#store?.flush();
    this.#db.close();
  }

  async apply(operation: Operation): Promise<void> {
    switch (operation.kind) {
      case 'publish':
        await this.#publish(operation.type, { text: operation.text });
        break;
      case 'republish':
        await this.#republish(operation.pick);
        break;
      case 'connect':
        await this.#connect(operation.slot, operation.transport, operation.from);
        break;
      case 'watchJob':
        await this.#watchJob(operation.slot, operation.jobId, operation.version);
        break;
      case 'disconnect':
        this.#disconnect(operation.slot);
        break;
      case 'prune':
        await this.#prune(operation.advanceMs);
        break;
      case 'poll':
        await this.#poll(operation.from, operation.limit);
        break;
      case 'updateJob':
        await this.#updateJob(operation.jobId, operation.status, operation.progress);
        break;
      case 'advance':
        this.#model.now += operation.ms;
        break;
      case 'restart':
        await this.#restart();
        break;
    }
    this.#checkConnections();
  }

  #checking(check: Check): boolean {
    return this.#checks.has(check);
  }

  async #hubLastId(): Promise<number> {
    return Number((await this.#hub.poll(undefined, 1)).lastId);
  }

  #liveSessions(): Session[] {
    return this.#clients.flatMap((client) => (client.session ? [client.session] : []));
  }

  #framesSent(): number {
    return this.#liveSessions().reduce((sum, session) => sum + session.connection.frames.length, 0);
  }

  #resolve(point: ResumePoint, lastSeen: number | undefined): number | undefined {
    switch (point.kind) {
      case 'none':
        return undefined;
      case 'lastSeen':
        return lastSeen;
      case 'exact':
        return point.id;
      case 'behindLast':
        return Math.max(0, this.#model.lastId - point.by);
      case 'aboveLast':
        return this.#model.lastId + point.by;
    }
  }

  #nextWebhookId(prefix: string): string {
    return `${prefix}_${++this.#webhookCounter}`;
  }

  // ---- operations

  async #publish(type: string, data: unknown): Promise<void> {
    const webhookId = this.#nextWebhookId('msg');
    this.#model.publishes.push({ webhookId, type, data });
    await this.#publishNew(webhookId, type, data);
  }

  /** A publish the hub has not seen (or has forgotten): the next id, written to every stream. */
  async #publishNew(webhookId: string, type: string, data: unknown): Promise<void> {
    const result = (await this.#hub.publish({ type, data: json(JSON.stringify(data)), webhookId }, this.#model.now));
    const event = this.#appendEvent(type, data);
    const expected = { id: String(event.id), delivered: this.#receivers() };
    this.#model.dedupe.set(webhookId, { createdAt: this.#model.now, result: expected });
    if (this.#checking('log')) expect(result, 'a new webhook-id gets the next id').toEqual(expected);
  }

  async #republish(pick: number): Promise<void> {
    const { publishes, dedupe } = this.#model;
    if (publishes.length === 0) return;
    const { webhookId, type, data } = publishes[pick % publishes.length]!;
    const remembered = dedupe.get(webhookId)?.result;
    if (!remembered) {
      // Forgotten: pruned after its dedupe TTL, so the retry is a new event.
      await this.#publishNew(webhookId, type, data);
      return;
    }
    const sentBefore = this.#framesSent();
    const result = (await this.#hub.publish({ type, data: json(JSON.stringify(data)), webhookId }, this.#model.now));
    if (this.#checking('log')) {
      expect(result, `a retry of ${webhookId} returns the original result`).toEqual({ ...remembered, duplicate: true });
      expect((await this.#hubLastId()), 'a duplicate stores nothing').toBe(this.#model.lastId);
      expect(this.#framesSent(), 'a duplicate sends nothing').toBe(sentBefore);
    }
  }

  /** Appends to the model and to what every stream session should now receive. */
  #appendEvent(type: string, data: unknown): ModelEvent {
    const event = this.#model.append(type, data);
    this.#allEvents.set(String(event.id), event);
    for (const session of this.#liveSessions()) if (session.isStream) session.expected.push(notification(event));
    return event;
  }

  #receivers(): number {
    return this.#liveSessions().filter((session) => session.isStream).length;
  }

  async #connect(slot: number, transport: StreamTransport | 'poll', from: ResumePoint): Promise<void> {
    this.#disconnect(slot);
    const client = this.#clients[slot]!;
    const after = this.#resolve(from, client.resumePoint);
    const connection = new RecordingConnection(transport);
    await this.#hub.open(connection, { after });
    const session = new Session(connection, after, this.#model.resumeFrames(after));
    client.session = session;
    if (this.#checking('streams')) this.#checkResume(session);
  }

  #checkResume(session: Session): void {
    const { after } = session;
    const { prunedThrough, lastId } = this.#model;
    const window = `retained ${prunedThrough}..${lastId}`;
    const frames = session.received.map((received) => received.frame);
    const shouldReset = after !== undefined && (after < prunedThrough || after > lastId);
    expect(frames[0]?.type === HUB_RESET, `hub.reset for resume point ${after}, ${window}`).toBe(shouldReset);
    if (after !== undefined && !shouldReset) {
      const replayed = frames.filter((frame) => !isControl(frame)).map((frame) => Number(frame.id));
      const full = Array.from({ length: lastId - after }, (_, index) => after + 1 + index);
      expect(replayed, `full replay after ${after}, ${window}`).toEqual(full);
    }
  }

  async #watchJob(slot: number, jobId: string, version: number | 'current'): Promise<void> {
    this.#disconnect(slot);
    const job = this.#model.jobs.get(jobId);
    const since = version === 'current' ? (job?.version ?? 0) : version;
    const connection = new RecordingConnection('job');
    await this.#hub.open(connection, { job: { id: jobId, version: since } });
    const expected = job && job.version > since ? [jobFrame(job)] : [];
    this.#clients[slot]!.session = new Session(connection, undefined, expected, jobId);
  }

  #disconnect(slot: number): void {
    const client = this.#clients[slot]!;
    const session = client.session;
    if (!session) return;
    this.#hub.closed(session.connection);
    session.connection.markRemoved();
    if (session.isStream) client.resumePoint = resumePointAfter(session, client.resumePoint);
    client.session = undefined;
    this.#endedSessions.push(session);
  }

  async #prune(advanceMs: number): Promise<void> {
    this.#model.now += advanceMs;
    const due = (await this.#hub.prune(this.#model.now));
    const expectedDue = this.#model.prune();
    if (this.#checking('log')) {
      expect(due, 'when the next prune is due').toBe(expectedDue);
      await this.#checkRetainedWindow();
    }
  }

  /** The hub keeps exactly the model's window, and its ids do not move. */
  async #checkRetainedWindow(): Promise<void> {
    const { prunedThrough, lastId } = this.#model;
    expect((await this.#hubLastId()), 'lastId').toBe(lastId);
    const retained = (await this.#hub.poll(prunedThrough, 10_000)).frames.map((text) => Number((JSON.parse(text) as Frame).id));
    const window = Array.from({ length: lastId - prunedThrough }, (_, index) => prunedThrough + 1 + index);
    expect(retained, 'the retained events').toEqual(window);
    if (prunedThrough > 0) {
      const below = JSON.parse((await this.#hub.poll(prunedThrough - 1, 1)).frames[0]!) as Frame;
      expect(below.type, `resume point ${prunedThrough - 1} is no longer retained`).toBe(HUB_RESET);
    }
  }

  async #restart(): Promise<void> {
    this.#hub = new Hub(this.#sql, this.#connections, this.#limits);
    if (this.#checking('log')) (await this.#checkRetainedWindow());
  }

  async #poll(from: ResumePoint, limit: number): Promise<void> {
    const after = this.#resolve(from, this.#pollCursor);
    const answer = (await this.#hub.poll(after, limit));
    this.#pollCursor = Number(answer.lastId);
    if (!this.#checking('poll')) return;
    const decoded = { ...answer, frames: answer.frames.map((text) => JSON.parse(text) as Frame) };
    expect(decoded, `poll(${after}, ${limit})`).toEqual(this.#model.pollAnswer(after, limit));
    if (after !== undefined) (await this.#checkPagesFollow(after, limit));
  }

  /** Polling on from `after` until `more` is false reads every retained event once, in order, up to lastId. */
  async #checkPagesFollow(after: number, limit: number): Promise<void> {
    const ids: number[] = [];
    let cursor = after;
    for (let page = 0; ; page++) {
      const answer = (await this.#hub.poll(cursor, limit));
      const frames = answer.frames.map((text) => JSON.parse(text) as Frame);
      const events = frames.filter((frame) => !isControl(frame));
      expect(events.length, 'a page holds at most `limit` events').toBeLessThanOrEqual(limit);
      if (page > 0) expect(frames.length, 'a returned lastId never resets').toBe(events.length);
      ids.push(...events.map((frame) => Number(frame.id)));
      cursor = Number(answer.lastId);
      if (!answer.more) break;
      expect(page, 'pages end').toBeLessThan(MAX_OPERATIONS * 2);
    }
    expect(consecutive(ids), `ids read by polling from ${after}: ${ids.join(',')}`).toBe(true);
    expect(cursor, 'the last page ends at lastId').toBe(this.#model.lastId);
  }

  async #updateJob(jobId: string, status: JobStatus, progress: number | undefined): Promise<void> {
    const webhookId = this.#nextWebhookId('job_msg');
    const plan = this.#model.planJob(jobId, status, progress);
    const update = progress === undefined ? { status } : { status, progress };
    if (plan.kind === 'final') {
      await this.#updateFinishedJob(jobId, update, webhookId, plan.job);
      return;
    }
    const stored = (await this.#hub.getJob(jobId));
    const result = (await this.#hub.updateJob(jobId, update, { webhookId }, this.#model.now));
    this.#model.dedupe.set(webhookId, { createdAt: this.#model.now });
    if (plan.kind === 'unchanged') {
      if (this.#checking('jobs')) {
        expect(result, 'an update that changes nothing').toEqual({ job: stored, created: false, eventId: null, delivered: 0 });
      }
      return;
    }
    this.#model.jobs.set(jobId, plan.job);
    const event = this.#appendEvent(plan.eventType, jobFrame(plan.job));
    for (const session of this.#liveSessions()) {
      if (session.jobId === jobId) session.expected.push(jobFrame(plan.job));
    }
    if (!this.#checking('jobs')) return;
    const before = stored === null ? null : (JSON.parse(stored) as { version: number; status: JobStatus });
    if (before) expect(TERMINAL_STATUSES.has(before.status), `${jobId} was ${before.status} and changed`).toBe(false);
    expect(JSON.parse(result.job), `${jobId} after ${status}`).toEqual(jobFrame(plan.job));
    expect(plan.job.version, 'one version per change').toBe((before?.version ?? this.#model.jobVersionFloor) + 1);
    expect(result).toMatchObject({ created: plan.created, eventId: String(event.id), delivered: this.#receivers() });
  }

  /** A change to a job in a terminal state: refused, and nothing stored or sent. */
  async #updateFinishedJob(jobId: string, update: { status: JobStatus; progress?: number }, webhookId: string, job: ModelJob): Promise<void> {
    const stored = (await this.#hub.getJob(jobId));
    const sentBefore = this.#framesSent();
    let error: unknown;
    try {
      await this.#hub.updateJob(jobId, update, { webhookId }, this.#model.now);
    } catch (err) {
      error = err;
    }
    if (!this.#checking('jobs')) return;
    const change = `${job.status} -> ${JSON.stringify(update)}`;
    expect(error, `${jobId}: ${change} is refused`).toBeInstanceOf(HubError);
    expect(error).toMatchObject({ status: 409, code: 'job_final' });
    expect((await this.#hub.getJob(jobId)), 'a refused change stores nothing').toBe(stored);
    expect(JSON.parse(stored!), 'the stored job is the model job').toEqual(jobFrame(job));
    expect((await this.#hubLastId()), 'a refused change emits no event').toBe(this.#model.lastId);
    expect(this.#framesSent(), 'a refused change sends nothing').toBe(sentBefore);
  }

  // ---- checks on every connection after each operation

  #checkConnections(): void {
    for (const session of this.#liveSessions()) {
      if (session.isStream && this.#checking('streams')) this.#checkStream(session);
      if (!session.isStream && this.#checking('jobs')) this.#checkCompared(session, 'job watcher');
      if (this.#checking('sse')) this.#checkSse(session);
    }
    if (this.#checking('streams')) {
      for (const session of this.#endedSessions) {
        expect(session.connection.framesAfterRemoval, 'frames after disconnect').toBe(0);
      }
    }
  }

  #checkStream(session: Session): void {
    const frames = session.received.map((received) => received.frame);
    const problem = gapFreeProblem(frames, session.after);
    expect(problem, `${session.connection.transport} session from ${session.after}: ${JSON.stringify(frames.map(brief))}`).toBeNull();
    this.#checkCompared(session, `${session.connection.transport} session from ${session.after}`);
    expect(session.connection.closes, 'the hub closes nothing').toEqual([]);
  }

  /** Frames received since the last look are the ones the model predicts. */
  #checkCompared(session: Session, name: string): void {
    const received = session.received;
    const fresh = received.slice(session.comparedUpTo).map((r) => r.frame);
    expect(fresh, name).toEqual(session.expected.slice(session.comparedUpTo));
    session.comparedUpTo = received.length;
  }

  /** SSE frames are single well-formed messages; their events match the WebSocket ones. */
  #checkSse(session: Session): void {
    const received = session.received;
    for (const { text, frame, sse } of received.slice(session.sseCheckedUpTo)) {
      const isEvent = !isControl(frame);
      if (session.connection.transport === 'websocket' && isEvent) this.#seenOverWebSocket.set(String(frame.id), frame);
      if (session.connection.transport !== 'sse') continue;
      expect(sse, `one SSE message in ${JSON.stringify(text)}`).toHaveLength(1);
      expect(text, 'SSE frames end with a blank line').toMatch(/\n\n$/);
      expect(text.slice(0, -2), 'no raw line breaks inside an SSE message').not.toMatch(/[\r\u2028\u2029]|\n\n/);
      const message = sse![0]!;
      expect(message.event, 'the event line names the type').toBe(frame.type);
      if (!isEvent) {
        expect(message.id, 'control frames carry no id line').toBeUndefined();
        continue;
      }
      expect(message.id, 'the id line is the event id').toBe(frame.id);
      expect(frame, `SSE event ${message.id} as stored`).toEqual(notification(this.#allEvents.get(String(frame.id))!));
      const overWebSocket = this.#seenOverWebSocket.get(String(frame.id));
      if (overWebSocket) expect(frame, `SSE and WebSocket event ${frame.id}`).toEqual(overWebSocket);
    }
    session.sseCheckedUpTo = received.length;
  }
}

/** A frame in a failure message: the event id or the control type. */
function brief(frame: Frame): string {
  return isControl(frame) ? `${frame.type}${JSON.stringify(frame.data)}` : String(frame.id);
}

// ---------------------------------------------------------------- properties

/** The store the actor runs over: the host's SQLite store, or one that defers every call. */
type StoreKind = 'sqlite' | 'deferred';


function holds(checks: Check[], store: StoreKind = 'sqlite'): Promise<void> {
  return fc.assert(
    fc.asyncProperty(limitsArb, operationsArb, async (limits, operations) => {
      const simulation = await Simulation.start(limits, new Set(checks), store);
      try {
        for (const operation of operations) await simulation.apply(operation);
      } finally {
        simulation.close();
      }
    }),
    { numRuns: RUNS },
  );
}

describe.each([
  ['the host\'s SQLite store', 'sqlite'],
  ['a store that defers every call and holds nothing between calls', 'deferred'],
] as const)('Hub under random interleavings (real SQLite, model-checked) over %s', (_name, store) => {
  it(
    'assigns consecutive ids that are never reused, across prunes and restarts; a duplicate webhook-id returns the original result and stores nothing',
    () => holds(['log'], store),
    TIMEOUT_MS,
  );

  it(
    'gives every connected client a gap-free suffix: hub.reset only for a resume point outside the retained window, then replay, hub.ready and live events',
    () => holds(['streams'], store),
    TIMEOUT_MS,
  );

  it(
    'answers polls with the same gap-free pages: at most `limit` events, `more` and `lastId` right, ending at lastId',
    () => holds(['poll'], store),
    TIMEOUT_MS,
  );

  it(
    'never changes a job in a terminal state (409 job_final, nothing stored) and bumps versions by one per change',
    () => holds(['jobs'], store),
    TIMEOUT_MS,
  );

  it('writes SSE frames that parse to the same events as WebSocket frames', () => holds(['sse'], store), TIMEOUT_MS);
});
