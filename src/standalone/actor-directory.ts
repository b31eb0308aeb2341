// The in-process actor directory: one Hub per user id, created on first use,
// evicted from memory when idle (its state stays in SQLite), and alarms that
// survive restarts, kept in the same database.
//
// One at a time per actor: every Hub method is synchronous and JavaScript runs
// one task at a time, so a call runs to completion before any other call to
// any actor begins. That is the guarantee a Durable Object's input gate gives,
// without a queue.

import type { Limits } from '../core/config.ts';
import { Hub } from '../core/actor/hub.ts';
import type { SqlStore } from '../core/actor/ports.ts';
import { MemoryConnectionSet } from './memory-connections.ts';

export interface Actor {
  readonly userId: string;
  readonly hub: Hub;
  readonly connections: MemoryConnectionSet;
  lastUsed: number;
  /** When this actor's prune alarm is due; null when none is set. */
  alarmAt: number | null;
}

export interface DirectoryOptions {
  limits: Limits;
  /** Idle actors (no connection, no call) are dropped from memory after this. */
  idleMs: number;
  /** How often due alarms are looked for. */
  alarmTickMs: number;
}

export class ActorDirectory {
  readonly #sql: SqlStore;
  readonly #options: DirectoryOptions;
  readonly #actors = new Map<string, Actor>();
  readonly #timers: Array<ReturnType<typeof setInterval>>;

  constructor(sql: SqlStore, options: DirectoryOptions) {
    this.#sql = sql;
    this.#options = options;
    sql.run(`CREATE TABLE IF NOT EXISTS alarms (owner TEXT PRIMARY KEY, at INTEGER NOT NULL)`);
    sql.run(`CREATE INDEX IF NOT EXISTS alarms_at ON alarms (at)`);
    this.#timers = [
      setInterval(() => this.evictIdle(), Math.max(1000, options.idleMs / 2)),
      setInterval(() => this.runDueAlarms(), options.alarmTickMs),
    ];
  }

  /** The actor of a user, created (and its state loaded) on first use. */
  get(userId: string): Actor {
    let actor = this.#actors.get(userId);
    if (!actor) {
      const connections = new MemoryConnectionSet();
      actor = {
        userId,
        hub: new Hub(this.#sql, connections, this.#options.limits, userId),
        connections,
        lastUsed: Date.now(),
        alarmAt: this.#sql.all<{ at: number }>(`SELECT at FROM alarms WHERE owner = ?`, userId)[0]?.at ?? null,
      };
      this.#actors.set(userId, actor);
    }
    actor.lastUsed = Date.now();
    return actor;
  }

  /**
   * Makes sure a prune alarm fires within the prune delay of a write, so the
   * count limit holds even when the next age-based prune is days away.
   */
  schedulePrune(actor: Actor): void {
    const at = Date.now() + this.#options.limits.pruneDelaySeconds * 1000;
    if (actor.alarmAt !== null && actor.alarmAt <= at) return;
    this.#setAlarm(actor.userId, at);
    actor.alarmAt = at;
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
      if (actor.connections.count() === 0 && now - actor.lastUsed >= this.#options.idleMs) this.#actors.delete(userId);
    }
  }

  runDueAlarms(now = Date.now()): void {
    const due = this.#sql.all<{ owner: string }>(`SELECT owner FROM alarms WHERE at <= ? LIMIT 100`, now);
    for (const { owner } of due) {
      const actor = this.get(owner);
      const next = actor.hub.prune(now);
      if (next === null) {
        this.#sql.run(`DELETE FROM alarms WHERE owner = ?`, owner);
        actor.alarmAt = null;
      } else {
        const at = Math.max(next, now + this.#options.limits.pruneDelaySeconds * 1000);
        this.#setAlarm(owner, at);
        actor.alarmAt = at;
      }
    }
  }

  close(): void {
    for (const timer of this.#timers) clearInterval(timer);
    this.#actors.clear();
  }

  #setAlarm(owner: string, at: number): void {
    this.#sql.run(
      `INSERT INTO alarms (owner, at) VALUES (?, ?) ON CONFLICT (owner) DO UPDATE SET at = excluded.at`,
      owner,
      at,
    );
  }
}
