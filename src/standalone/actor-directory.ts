// The in-process actor directory: one Hub per user id, created on first use,
// evicted from memory when idle (its state stays in SQLite), and woken when a
// row of its schedule (core/actor/schedule.ts) falls due, even after a restart.
//
// One at a time per actor: every Hub method is synchronous and JavaScript runs
// one task at a time, so a call runs to completion before any other call to
// any actor begins. That is the guarantee a Durable Object's input gate gives,
// without a queue.

import type { Limits } from '../core/config.ts';
import { Hub, type Peers, type TicketReader } from '../core/actor/hub.ts';
import type { SqlStore } from '../core/actor/ports.ts';
import type { ReceiptSettings } from '../core/actor/receipts.ts';
import type { PushSender } from '../core/actor/push.ts';
import type { PushObservation } from '../core/observability/observer.ts';
import { log } from '../core/observability/log.ts';
import { migrate } from '../core/actor/schema.ts';
import type { Alarm } from '../core/actor/schedule.ts';
import { MemoryConnectionSet } from './memory-connections.ts';

export interface Actor {
  readonly userId: string;
  readonly hub: Hub;
  readonly connections: MemoryConnectionSet;
  lastUsed: number;
}

/**
 * Where the actors' rows live: one SQLite store for every user (sqliteStorage),
 * or PostgreSQL, a store per user over one pool (postgres-store.ts).
 */
export interface Storage {
  storeFor(userId: string): SqlStore;
  /** Resolves once the schema is in place; every actor's first call waits for it. */
  readonly ready: Promise<void>;
  /** Users with a schedule row due at `now`, at most `limit`. */
  due(now: number, limit: number): Promise<string[]>;
  /** Resolves once every write so far is committed (a group commit; at once without one). */
  committed(): Promise<void>;
}

/** One SQLite store for every user, migrated once. */
export function sqliteStorage(sql: SqlStore): Storage {
  const ready = migrate(sql);
  return {
    storeFor: () => sql,
    ready,
    async due(now, limit) {
      await ready;
      return (await sql.all<{ owner: string }>(`SELECT DISTINCT owner FROM schedule WHERE at <= ? LIMIT ?`, now, limit)).map((row) => row.owner);
    },
    committed: () => sql.committed?.() ?? Promise.resolve(),
  };
}

/** What a cluster node adds to each actor: a connection set that tells the node when the user has connections here, and the peers it tells of its commits. */
export interface ClusterHooks {
  connectionsFor(userId: string): MemoryConnectionSet;
  peersFor(userId: string): Peers;
}

export interface DirectoryOptions {
  limits: Limits;
  cluster?: ClusterHooks;
  /** Idle actors (no connection, no call) are dropped from memory after this. */
  idleMs: number;
  /** How often due schedule rows are looked for. */
  alarmTickMs: number;
  /** Checks the ticket of an in-band session refresh. */
  readTicket?: TicketReader;
  /** Receipts to the publisher (RECEIPTS_URL), sent by every actor for its user. */
  receipts?: ReceiptSettings;
  /** Web Push (VAPID keys set), and where each attempt is reported. */
  push?: PushSender;
  onPush?: (push: PushObservation) => void;
}

/** One actor's alarm: its wakes go to the directory's timers (one object per actor, no closure). */
class UserAlarm implements Alarm {
  readonly #userId: string;
  readonly #wake: (userId: string, at: number | null) => void;
  constructor(userId: string, wake: (userId: string, at: number | null) => void) {
    this.#userId = userId;
    this.#wake = wake;
  }
  set(at: number | null): void {
    this.#wake(this.#userId, at);
  }
}

/** How long one tick may spend waking due actors before it yields to requests. */
const TICK_BUDGET_MS = 50;

export class ActorDirectory {
  readonly #storage: Storage;
  readonly #options: DirectoryOptions;
  /** Resolves once the store is migrated; every actor's first call waits for it. */
  readonly ready: Promise<void>;
  readonly #actors = new Map<string, Actor>();
  readonly #timers: Array<ReturnType<typeof setInterval>>;
  /** Per actor, a timer for a wake due sooner than the tick would find it (a session's warning). */
  readonly #soon = new Map<string, ReturnType<typeof setTimeout>>();
  readonly #wake = (userId: string, at: number | null) => this.#wakeSoon(userId, at);

  constructor(storage: Storage, options: DirectoryOptions) {
    this.#storage = storage;
    this.#options = options;
    this.ready = storage.ready;
    this.ready.catch((err: unknown) => log.error('migration_failed', { error: String(err) }));
    this.#timers = [
      setInterval(() => this.evictIdle(), Math.max(1000, options.idleMs / 2)),
      setInterval(() => void this.runDueAlarms().catch((err: unknown) => log.error('wake_failed', { error: String(err) })), options.alarmTickMs),
    ];
  }

  /** The actor of a user, created (and its state loaded) on first use. */
  get(userId: string): Actor {
    let actor = this.#actors.get(userId);
    if (!actor) {
      const { limits, readTicket, receipts, push, onPush, cluster } = this.#options;
      const connections = cluster?.connectionsFor(userId) ?? new MemoryConnectionSet();
      const hub = new Hub(this.#storage.storeFor(userId), connections, limits, {
        ready: this.ready,
        owner: userId,
        readTicket,
        alarm: new UserAlarm(userId, this.#wake),
        receipts: receipts && { ...receipts, userId },
        push,
        onPush: push && onPush && ((attempt) => onPush({ ...attempt, userId })),
        ...(cluster && { peers: cluster.peersFor(userId) }),
      });
      actor = { userId, hub, connections, lastUsed: Date.now() };
      this.#actors.set(userId, actor);
    }
    actor.lastUsed = Date.now();
    return actor;
  }

  /** Resolves once every write so far is committed (the store's group commit; at once without one). */
  committed(): Promise<void> {
    return this.#storage.committed();
  }

  /** The actor of a user if it is in memory (a cluster relays only to users with connections here). */
  peek(userId: string): Actor | undefined {
    return this.#actors.get(userId);
  }

  get size(): number {
    return this.#actors.size;
  }

  /** The actors in memory now (for metrics). */
  all(): IterableIterator<Actor> {
    return this.#actors.values();
  }

  evictIdle(now = Date.now()): void {
    for (const [userId, actor] of this.#actors) {
      // Not while it sends: another actor of the same user would send the same rows again.
      if (actor.connections.count() === 0 && actor.hub.sending === 0 && now - actor.lastUsed >= this.#options.idleMs) this.#actors.delete(userId);
    }
  }

  /**
   * Wakes every actor with a schedule row due at `now`, in batches, until none
   * is left or the tick's budget is spent (the rest wait for the next tick):
   * a backlog drains at full speed without starving requests.
   * @returns how many actors were woken.
   */
  async runDueAlarms(now = Date.now(), budgetMs = TICK_BUDGET_MS): Promise<number> {
    const started = performance.now();
    let woken = 0;
    await this.ready;
    if (this.#options.cluster) {
      for (const actor of [...this.#actors.values()]) {
        if (!actor.hub.schedule.localDue(now)) continue;
        await actor.hub.wake(now);
        woken++;
      }
    }
    for (;;) {
      const due = await this.#storage.due(now, 100);
      let fresh = 0;
      for (const owner of due) {
        const loaded = this.#actors.get(owner);
        // One process's actor in memory knows its schedule: a row it took (its round still sending) stays due in the store but is not due again.
        if (loaded && !this.#options.cluster && !loaded.hub.schedule.isDue(now)) continue;
        const actor = loaded ?? this.get(owner);
        // A cluster node leases what it takes before the next query; what it sends goes on by itself.
        await actor.hub.wake(now);
        woken++;
        fresh++;
        // An actor loaded only for this leaves memory with the next eviction.
        if (!loaded) actor.lastUsed = 0;
      }
      if (due.length < 100 || fresh === 0 || performance.now() - started >= budgetMs) return woken;
    }
  }

  /**
   * The schedule rows are the record (and survive a restart); a wake due
   * within a minute also gets a timer of its own, so it runs on time rather
   * than at the next tick. A cluster node's session expiries have no row
   * (Feature.localWakes): the tick finds them in the actors in memory.
   */
  #wakeSoon(userId: string, at: number | null): void {
    clearTimeout(this.#soon.get(userId));
    this.#soon.delete(userId);
    if (at === null || at - Date.now() > 60_000) return;
    const timer = setTimeout(() => {
      this.#soon.delete(userId);
      this.get(userId).hub.wake().catch((err: unknown) => log.error('wake_failed', { error: String(err) }));
    }, Math.max(0, at - Date.now()));
    this.#soon.set(userId, timer);
  }

  close(): void {
    for (const timer of this.#soon.values()) clearTimeout(timer);
    this.#soon.clear();
    for (const timer of this.#timers) clearInterval(timer);
    this.#actors.clear();
  }
}
