// The actor's own timetable over the platform's single alarm: the actor asks
// "wake me at t for reason r", one row per reason in the actor's SQLite, and
// the platform's alarm is kept at the earliest of them. A Durable Object has
// exactly one alarm (ctx.storage.setAlarm); a standalone host reads the rows.
// https://developers.cloudflare.com/durable-objects/api/alarms/

import { OwnedRows, type SqlStore } from './ports.ts';

/** Why the actor asked to be woken: 'prune' (the kernel's), or one of a feature's `wakes` (session expiry, receipts, pushes). */
export type WakeReason = string;

/** The platform's one alarm for this actor: set to a time, or cleared. */
export interface Alarm {
  set(at: number | null): void;
}

/** An alarm nobody reads: the host polls the schedule rows itself (standalone). */
export const POLLED_ALARM: Alarm = { set() {} };

const NONE: readonly WakeReason[] = [];

/**
 * Where other nodes read the rows, a reason taken stays as a row this much
 * later until its wake is done (and what a round claims to send is held as
 * long): should the node die meanwhile, another runs the wake then.
 */
export const LEASE_MS = 60_000;

export class Schedule extends OwnedRows {
  readonly #alarm: Alarm;
  /** The rows, mirrored: asking again for a later time costs no write. */
  readonly #due = new Map<WakeReason, number>();
  /** Reasons that concern this process's connections only (a session's expiry on a cluster node): kept here, never in a row another node could take. */
  readonly #localReasons: readonly WakeReason[];
  /** Made on first use: an idle actor of a single process keeps none. */
  #local: Map<WakeReason, number> | undefined;
  /** Reasons taken and not done yet, with the time their row holds (its due time, or a node's lease). */
  #taken: Map<WakeReason, number> | undefined;

  constructor(sql: SqlStore, owner: string, alarm: Alarm, localReasons: readonly WakeReason[] = NONE) {
    super(sql, owner);
    this.#alarm = alarm;
    this.#localReasons = localReasons;
  }

  /** Reads the rows (when the actor starts, and at every call when another node may write them). */
  async load(): Promise<void> {
    this.#due.clear();
    for (const row of await this.sql.all<{ reason: WakeReason; at: number }>(`SELECT reason, at FROM schedule WHERE owner = ?`, this.owner)) {
      // One process's taken row stays due in the store while its wake runs (takeDue): not due again here.
      if (this.sql.singleWriter && this.#taken?.has(row.reason)) continue;
      this.#due.set(row.reason, row.at);
    }
  }

  /** Wake at `at` for `reason`, unless it is already due as early; moves the alarm when it is the earliest. */
  async request(reason: WakeReason, at: number): Promise<void> {
    const local = this.#localReasons.includes(reason);
    const current = (local ? this.#local : this.#due)?.get(reason);
    // A taken reason's row is replaced by whatever its wake asks for next.
    const taken = this.#taken?.delete(reason) ?? false;
    if (current !== undefined && current <= at && !taken) return;
    const earliest = this.earliest();
    if (local) {
      (this.#local ??= new Map()).set(reason, at);
      if (earliest === null || at < earliest) this.#alarm.set(at);
      return;
    }
    await this.sql.run(
      `INSERT INTO schedule (owner, reason, at) VALUES (?, ?, ?) ON CONFLICT (owner, reason) DO UPDATE SET at = excluded.at`,
      this.owner,
      reason,
      at,
    );
    this.#due.set(reason, at);
    if (earliest === null || at < earliest || taken) this.#alarm.set(this.earliest());
  }

  /**
   * The reasons due at `now`, taken until release() or a new request(). Their
   * rows stay, written again only where other nodes read them: one process's
   * row stays due (a restart runs the wake again), a cluster node's is leased
   * LEASE_MS ahead (another node runs it then). The alarm moves to what remains.
   */
  async takeDue(now: number): Promise<WakeReason[]> {
    const due = [...this.#due].filter(([, at]) => at <= now).map(([reason]) => reason);
    for (const reason of due) {
      let holds = this.#due.get(reason)!;
      this.#due.delete(reason);
      if (!this.sql.singleWriter) {
        holds = now + LEASE_MS;
        await this.sql.run(`UPDATE schedule SET at = ? WHERE owner = ? AND reason = ?`, holds, this.owner, reason);
        this.#due.set(reason, holds);
      }
      (this.#taken ??= new Map()).set(reason, holds);
    }
    for (const [reason, at] of this.#local ?? []) {
      if (at > now) continue;
      this.#local!.delete(reason);
      due.push(reason);
    }
    this.#alarm.set(this.earliest());
    return due;
  }

  /** Whether a reason is due at `now` (one process's in-memory view: what it took is not). */
  isDue(now: number): boolean {
    const earliest = this.earliest();
    return earliest !== null && earliest <= now;
  }

  /** Whether `reason` was taken and its wake is not done (nor asked for again). */
  holds(reason: WakeReason): boolean {
    return this.#taken?.has(reason) ?? false;
  }

  /** The wake of a taken reason is done: its row goes, unless it was asked for again (or another node took it over). */
  async release(reason: WakeReason): Promise<void> {
    const holds = this.#taken?.get(reason);
    if (holds === undefined) return;
    this.#taken!.delete(reason);
    await this.sql.run(`DELETE FROM schedule WHERE owner = ? AND reason = ? AND at = ?`, this.owner, reason, holds);
    if (this.#due.get(reason) === holds) this.#due.delete(reason);
    this.#alarm.set(this.earliest());
  }

  /** Whether a reason kept in memory (localReasons) is due at `now`: a process that polls rows looks here too. */
  localDue(now: number): boolean {
    for (const at of this.#local?.values() ?? []) if (at <= now) return true;
    return false;
  }

  /** Forgets every row and clears the alarm. */
  async clear(): Promise<void> {
    await this.sql.run(`DELETE FROM schedule WHERE owner = ?`, this.owner);
    this.#due.clear();
    this.#local = undefined;
    this.#taken = undefined;
    this.#alarm.set(null);
  }

  /** The earliest time the actor asked for, or null. */
  earliest(): number | null {
    let min: number | null = null;
    for (const at of this.#due.values()) if (min === null || at < min) min = at;
    for (const at of this.#local?.values() ?? []) if (min === null || at < min) min = at;
    return min;
  }
}
