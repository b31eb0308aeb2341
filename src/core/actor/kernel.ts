// One user's actor: what every feature needs. Admission and caps; open,
// replay and the switch to live; the log and delivery after commit; the
// once-per-webhook-id write; the schedule and prune (ending.ts: end and erase). Features
// (src/core/features/) plug in through feature.ts's hooks; hub.ts assembles.
// The store may answer asynchronously (ports.ts); the actor runs one call at a
// time (run()), so a replay and the switch to live are one call and no publish
// slips between them. Writes commit before anything reaches a connection (send).

import type { Credential } from '../auth/client-token.ts';
import type { Limits } from '../config.ts';
import { badRequest, HubError, unauthorized } from '../errors.ts';
import { log } from '../observability/log.ts';
import { CloseCode } from '../../protocol/wire.ts';
import { receiveClientFrame } from './client-frames.ts';
import { DedupeLedger, type IdempotencyKey } from './dedupe.ts';
import { EventLog } from './event-log.ts';
import type { Feature, FrameHandler } from './feature.ts';
import { OutgoingEvent, type Outgoing } from './frames.ts';
import type { JsonText } from '../json.ts';
import { EVENTS, isTransport, tagsFor, type Connection, type ConnectionSet, type SqlStore } from './ports.ts';
import type { TokenBucket } from './rate-limit.ts';
import { resume, type Replaying } from './replay.ts';
import { POLLED_ALARM, Schedule, type Alarm } from './schedule.ts';
import { Revocation } from './sessions.ts';
import { inTurn } from './turns.ts';
import { makeRoom, Positions } from './relay.ts';
import type { HubOptions, OpenOptions } from './options.ts';

/** Each list of features' client frames, merged once. */
const framesOf = new WeakMap<readonly Feature<Kernel>[], Record<string, FrameHandler<Kernel>>>();

export class Kernel implements Replaying {
  readonly sql: SqlStore;
  /** '' when the store holds one user (a Durable Object), the user id when it holds many (standalone). */
  readonly owner: string;
  readonly options: HubOptions;
  readonly connections: ConnectionSet;
  readonly limits: Limits;
  readonly schedule: Schedule;
  readonly log: EventLog;
  #dedupe: DedupeLedger | undefined;
  readonly revocation: Revocation;
  readonly features: readonly Feature<Kernel>[];
  /** Outbound rounds running (receipts, pushes): a host keeps an actor that sends in memory. */
  sending = 0;
  /** What features keep per user, made on first use (part()). */
  readonly #parts: Record<string, unknown> = {};
  /** What the actor keeps in memory (the log's position, the schedule) was read from the store. */
  #loaded = false;
  /** With a store other nodes write (SqlStore.singleWriter false): where each connection stands in the log (relay.ts). */
  readonly positions: Positions | undefined;

  /** The store is migrated first (migrate(), once per store; `options.ready` says when). */
  constructor(sql: SqlStore, connections: ConnectionSet, limits: Limits, options: HubOptions, features: readonly Feature<Kernel>[]) {
    const owner = (this.owner = options.owner ?? '');
    this.sql = sql;
    this.options = options;
    this.connections = connections;
    this.limits = limits;
    const localWakes = sql.singleWriter ? undefined : features.flatMap((feature) => feature.localWakes ?? []);
    this.schedule = new Schedule(sql, owner, options.alarm ?? POLLED_ALARM, localWakes);
    this.log = new EventLog(sql, owner);
    this.revocation = new Revocation(sql, owner);
    this.features = features;
    if (!sql.singleWriter) this.positions = new Positions();
  }

  /**
   * Runs one call after the call before it on the same store (turns.ts); every entry from a host comes
   * through here. What the actor keeps in memory is read first: once, or every call when other nodes write.
   */
  run<T>(call: () => Promise<T>): Promise<T> {
    return inTurn(this.sql, async () => {
      if (!this.#loaded || !this.sql.singleWriter) await this.#load();
      return call();
    });
  }

  async #load(): Promise<void> {
    this.revocation.forget();
    await this.options.ready;
    await this.log.load().then(() => this.schedule.load());
    this.#loaded = true;
  }

  /** Webhook-ids and their answers, made on first use (an idle user never needs it). */
  get dedupe(): DedupeLedger {
    return (this.#dedupe ??= new DedupeLedger(this.sql, this.owner));
  }

  /** A feature's per-user part (a store, a rate bucket), made by `make` on first use. */
  part<T>(key: string, make: () => T): T {
    return (this.#parts[key] ??= make()) as T;
  }

  /** Throws 401 for a credential issued before the user's revocation point (inside a call; Hub.admit is the call). */
  async refuseRevoked(credential: Credential | undefined): Promise<void> {
    if (credential && !(await this.revocation.admits(credential))) throw unauthorized();
  }

  /** Takes a token of the part `key`, or throws 429 with Retry-After; from the store's one bucket when other nodes write it. */
  async spend(key: string, make: () => TokenBucket, now: number, limit: string): Promise<void> {
    const bucket = this.part(key, make);
    const waitMs = this.sql.singleWriter ? bucket.take(now) : await bucket.takeStored(this.sql, this.owner, `bucket:${key}`, now);
    if (waitMs === 0) return;
    const seconds = Math.max(1, Math.ceil(waitMs / 1000));
    throw new HubError('rate_limited', `${limit}; retry in ${seconds} s.`, { headers: { 'Retry-After': String(seconds) } });
  }

  /**
   * Runs writes in one transaction, the only way the kernel and its features write. What the actor keeps
   * in memory (log position, schedule, revocation) follows only a commit: after a rollback it is read again.
   */
  async atomically<T>(fn: () => Promise<T>): Promise<T> {
    try {
      // Another node may have written since the call began: what the write builds on is read again under the user's lock.
      return await this.sql.transaction(async () => (this.sql.singleWriter ? fn() : this.#load().then(fn)));
    } catch (err) {
      this.#loaded = false;
      this.revocation.forget();
      await this.log.load().then(() => this.schedule.load()).then(
        () => (this.#loaded = true),
        () => undefined, // read again at the next call
      );
      throw err;
    }
  }

  /**
   * A publisher's write, once per webhook-id: a retry is answered from the
   * dedupe table; else `fn` writes in one transaction that keeps its answer,
   * and the event it emitted goes out once that commits.
   */
  async once<T extends object>(key: IdempotencyKey, now: number, fn: () => Promise<{ result: T; event?: OutgoingEvent }>): Promise<T> {
    const { result, event } = await this.atomically(async (): Promise<{ result: T; event?: OutgoingEvent }> => {
      const seen = await this.dedupe.seen<T>(key);
      if (seen) return { result: { ...seen, duplicate: true } };
      const written = await fn();
      await this.remember(key, written.result, now);
      return written;
    });
    if (event) await this.deliver(event);
    return result;
  }

  /** Keeps a result for its webhook-id; the next prune forgets it after DEDUPE_TTL_SECONDS. */
  async remember(key: IdempotencyKey, result: object, now: number): Promise<void> {
    await this.dedupe.remember(key, result, now);
    await this.pruneAfterWrite(now);
  }

  /** Appends an event; `counted: false` for one that does not count towards RETENTION_MAX_EVENTS (inbox.changed). */
  async insertEvent(type: string, data: JsonText, now: number, counted = true): Promise<OutgoingEvent> {
    const row = await this.log.append(type, data, now);
    await this.pruneAfterWrite(now, counted && this.log.mayHoldMoreThan(this.limits.retentionMaxEvents));
    return new OutgoingEvent(row);
  }

  /** Makes sure a prune is due when what was just written ages out, or within the prune delay once over the count limit (one due by then costs nothing). */
  async pruneAfterWrite(now: number, overCount = false, maxAgeSeconds = Infinity): Promise<void> {
    const { retentionMaxAgeSeconds, dedupeTtlSeconds, pruneDelaySeconds } = this.limits;
    const seconds = overCount ? pruneDelaySeconds : Math.min(retentionMaxAgeSeconds, dedupeTtlSeconds, maxAgeSeconds);
    await this.schedule.request('prune', now + seconds * 1000);
  }

  /** Writes a committed event to every live connection (and tells the other nodes, `peers`). */
  deliver(event: OutgoingEvent): void | Promise<void> {
    if (!this.positions) return this.sendLive(this.connections.tagged(EVENTS), event);
    this.options.peers?.event(event.row);
    return this.positions.bringUp(this, event.row.id, event).catch((err: unknown) => log.warn('deliver_failed', { error: String(err) }));
  }

  /**
   * Writes to each connection whose session has not ended. A wake can be late: a stream past its token's
   * `exp` is closed with 4401 here instead, and its client resumes the message with a fresh token.
   */
  sendLive(connections: Iterable<Connection>, message: Outgoing): void {
    const now = Date.now();
    for (const connection of connections) if (!this.closeIfEnded(connection, now)) this.send(connection, message);
  }

  /** Closes (4401) a stream whose session has ended by `now`; true when it did. The session is read once (on Cloudflare, an attachment). */
  closeIfEnded(connection: Connection, now: number, session = connection.session): boolean {
    if (!session || session.expiresAt > now) return false;
    this.close(connection, CloseCode.unauthorized, 'session expired');
    return true;
  }

  /** Writes once what was read or written is committed (SqlStore.afterCommit), in order. */
  send(connection: Connection, message: Outgoing): void {
    this.positions?.advance(connection, message);
    this.#whenCommitted(() => connection.send(message));
  }

  close(connection: Connection, code: number, reason: string): void {
    this.#whenCommitted(() => connection.close(code, reason));
  }

  #whenCommitted(fn: () => void): void {
    if (this.sql.afterCommit) this.sql.afterCommit(fn);
    else fn();
  }

  /**
   * Opens a connection in one turn: the cap, the features' checks (a ticket spent), registration, then
   * the replay and `hub.ready` unless a feature answered it (a job poll). Throws 429 or 401 before anything is registered.
   * With other nodes (peers) the cap counts theirs: admitted under the user's lock and announced before its release.
   */
  open(connection: Connection, options: OpenOptions = {}, now = Date.now()): Promise<void> {
    if (!isTransport(connection.transport) || (connection.transport === 'job') !== (options.job !== undefined)) {
      return Promise.reject(badRequest('A connection is one of websocket, sse, poll, or job with its job.'));
    }
    return this.run(async () => {
      await this.refuseRevoked(options.credential);
      const admit = async () => {
        await makeRoom(this);
        for (const feature of this.features) await feature.admitting?.(this, connection, options, now);
        this.connections.accept(connection, tagsFor(connection.transport, options.job?.id));
        await this.options.peers?.announce();
      };
      try {
        await (this.options.peers ? this.atomically(admit) : admit());
        let answered = false;
        for (const feature of this.features) if (await feature.opened?.(this, connection, options, now)) answered = true;
        if (!answered) await resume(this, connection, options.after, options.replayLimit);
      } catch (err) {
        // An open that failed past registration (a store that went away mid-replay) leaves nothing counted.
        this.connections.remove(connection);
        await this.options.peers?.announce();
        throw err;
      }
    });
  }

  /** The connection ended: the actor forgets it. */
  closed(connection: Connection): void {
    this.connections.remove(connection);
  }

  /** Tells the features which events reached a connection (the inbox marks its items delivered). */
  async replayed(events: readonly OutgoingEvent[]): Promise<void> {
    if (events.length > 0) for (const feature of this.features) await feature.replayed?.(this, events);
  }

  /** Answers a client frame: ping, and those of the features. */
  receive(connection: Connection, message: string | ArrayBuffer): Promise<void> {
    let frames = framesOf.get(this.features);
    if (!frames) framesOf.set(this.features, (frames = Object.assign({}, ...this.features.map((feature) => feature.frames ?? {})) as Record<string, FrameHandler<Kernel>>));
    return this.run(() => receiveClientFrame(this, connection, message, frames));
  }

  /**
   * Runs what is due at `now` when the platform's alarm fires (standalone:
   * when a row is due). `alarmFired`: the earliest time has come even if this
   * clock disagrees. Resolves once the actor's part is done, with what is
   * still being sent (`sent`: a Durable Object's alarm waits for it).
   */
  wake(now = Date.now(), alarmFired = false): Promise<{ sent: Promise<void> }> {
    return this.run(async () => {
      const earliest = this.schedule.earliest();
      const dueAt = alarmFired && earliest !== null ? Math.max(now, earliest) : now;
      const sending: Promise<void>[] = [];
      // Taken under the user's lock: where other nodes share the store, one of them runs each reason.
      for (const reason of await this.atomically(() => this.schedule.takeDue(dueAt))) {
        const sent: Promise<void>[] = [];
        if (reason === 'prune') {
          const next = await this.#prune(now);
          if (next !== null) await this.schedule.request('prune', Math.max(next, now + this.limits.pruneDelaySeconds * 1000));
        }
        for (const feature of this.features) {
          const woken = await feature.wakes?.[reason]?.(this, now, dueAt);
          if (woken) sent.push(woken.sent);
        }
        // Its row stays leased until the round is done (a failed release: one more wake after the lease).
        const release = () => (this.schedule.holds(reason) ? this.run(() => this.atomically(() => this.schedule.release(reason))) : undefined);
        sending.push(Promise.all(sent).then(release).catch(() => undefined));
      }
      return { sent: Promise.all(sending).then(() => undefined) };
    });
  }

  /** Drops events past retention, dedupe keys past their TTL, and each feature's rows past its limits; when next due, or null. */
  prune(now = Date.now()): Promise<number | null> {
    return this.run(() => this.#prune(now));
  }

  #prune(now: number): Promise<number | null> {
    const { retentionMaxEvents, retentionMaxAgeSeconds, dedupeTtlSeconds } = this.limits;
    const maxAge = retentionMaxAgeSeconds * 1000;
    return this.atomically(async () => {
      await this.log.prune(retentionMaxEvents, now - maxAge);
      await this.dedupe.forget(now - dedupeTtlSeconds * 1000);
      let next = Math.min(((await this.log.oldest()) ?? Infinity) + maxAge, ((await this.dedupe.oldest()) ?? Infinity) + dedupeTtlSeconds * 1000);
      for (const feature of this.features) next = Math.min(next, (await feature.prune?.(this, now)) ?? Infinity);
      return Number.isFinite(next) ? next : null;
    });
  }
}
