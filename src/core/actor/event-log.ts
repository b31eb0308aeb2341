// The user's durable event log: ids strictly increasing and never reused, even
// after pruning; what is retained; and whether a resume point is still covered
// (if not, the reset notice a client gets instead of a silent gap).

import { decode, encode, type JsonText } from '../json.ts';
import { INBOX_CHANGED, type ResetInfo } from '../../protocol/wire.ts';
import type { EventRow } from './frames.ts';
import { OwnedRows, type SqlStore } from './ports.ts';

const EVENT_COLUMNS = 'id, type, data, created_at';

export class EventLog extends OwnedRows {
  #lastId = 0;
  /** Highest id ever pruned: a resume point below it has lost events. */
  #prunedThrough = 0;
  /**
   * Events after this id are at most all the events that count towards the
   * count limit (every id after it, less those found not to count at the last
   * prune): the limit may be passed only once lastId - countBase exceeds it.
   */
  #countBase = 0;

  /** Reads where the log stands (when the actor starts, and at every call when another node may write it). */
  async load(): Promise<void> {
    // One statement: an actor starts on every wake from hibernation.
    const start = (await this.sql.all<{ pruned: number | null; last: number | null }>(
      `SELECT (SELECT value FROM meta WHERE owner = ? AND key = 'pruned_through') AS pruned, (SELECT max(id) FROM events WHERE owner = ?) AS last`,
      this.owner,
      this.owner,
    ))[0];
    this.#prunedThrough = start?.pruned ?? 0;
    this.#lastId = Math.max(start?.last ?? 0, this.#prunedThrough);
    this.#countBase = this.#prunedThrough;
  }

  get lastId(): number {
    return this.#lastId;
  }

  get prunedThrough(): number {
    return this.#prunedThrough;
  }

  /** Appends an event with the next id, inside the caller's transaction (after a rollback the kernel reads the log's position again). */
  async append(type: string, data: JsonText, now: number): Promise<EventRow> {
    const row: EventRow = { id: this.#lastId + 1, type, data, created_at: now };
    await this.sql.run(`INSERT INTO events (owner, ${EVENT_COLUMNS}) VALUES (?, ?, ?, ?, ?)`, this.owner, row.id, row.type, row.data, row.created_at);
    this.#lastId = row.id;
    return row;
  }

  /** Events after `after` in id order; `limit` -1 for all. */
  async after(after: number, limit: number): Promise<EventRow[]> {
    return await this.sql.all<EventRow>(
      `SELECT ${EVENT_COLUMNS} FROM events WHERE owner = ? AND id > ? ORDER BY id LIMIT ?`,
      this.owner,
      after,
      limit,
    );
  }

  /** Why `after` cannot be resumed from without a gap, or null when it can. */
  resetFor(after: number): ResetInfo | null {
    if (after >= this.#prunedThrough && after <= this.#lastId) return null;
    return { reason: after > this.#lastId ? 'unknown_id' : 'not_retained', after: String(after), lastId: String(this.#lastId) };
  }

  async retained(): Promise<number> {
    return (await this.#one<number>(`SELECT count(*) AS v FROM events WHERE owner = ?`)) ?? 0;
  }

  /**
   * Drops every event. The ids stay taken, and one more besides: every resume
   * point a client can hold is then before the log and gets `hub.reset`.
   */
  async erase(): Promise<number> {
    const count = await this.retained();
    await this.sql.run(`DELETE FROM events WHERE owner = ?`, this.owner);
    await this.#markPruned(this.#lastId + 1);
    this.#lastId = this.#prunedThrough;
    this.#countBase = this.#prunedThrough;
    return count;
  }

  /**
   * Drops events older than `before`, and those before the newest `maxEvents`
   * that are not `inbox.changed` (what the user's own clicks write never
   * counts, so it never evicts what a publisher sent); the ids stay taken.
   */
  async prune(maxEvents: number, before: number): Promise<void> {
    const beyondCount =
      (await this.sql.all<{ id: number }>(
        `SELECT id FROM events WHERE owner = ? AND type <> '${INBOX_CHANGED}' ORDER BY id DESC LIMIT 1 OFFSET ?`,
        this.owner,
        maxEvents,
      ))[0]?.id ?? 0;
    const beyondAge = (await this.#one<number>(`SELECT max(id) AS v FROM events WHERE owner = ? AND created_at <= ?`, before)) ?? 0;
    const through = Math.max(beyondCount, beyondAge);
    if (through > this.#prunedThrough) {
      await this.sql.run(`DELETE FROM events WHERE owner = ? AND id <= ?`, this.owner, through);
      await this.#markPruned(through);
    }
    const counted = (await this.#one<number>(`SELECT count(*) AS v FROM events WHERE owner = ? AND type <> '${INBOX_CHANGED}'`)) ?? 0;
    this.#countBase = this.#lastId - counted;
  }

  /** Whether the events that count towards the count limit may now be more than `maxEvents` (a prune is then due). */
  mayHoldMoreThan(maxEvents: number): boolean {
    return this.#lastId - this.#countBase > maxEvents;
  }

  /**
   * Before an `inbox.changed` event for `itemIds` is appended: earlier ones
   * keep only the items it does not carry again, and one left with none is
   * dropped. The new event has those items' latest states and the latest
   * counts, so a device resuming from anywhere still ends up with every item's
   * state, and the user's clicks keep at most one retained event per item.
   */
  async supersedeInboxChanges(itemIds: ReadonlySet<string>): Promise<void> {
    const rows = (await this.sql.all<{ id: number; data: string }>(`SELECT id, data FROM events WHERE owner = ? AND type = '${INBOX_CHANGED}'`, this.owner));
    for (const row of rows) {
      const change = decode<{ counts: unknown; items: Array<{ id: string }> }>(row.data);
      const items = change.items.filter((item) => !itemIds.has(item.id));
      if (items.length === change.items.length) continue;
      if (items.length === 0) await this.sql.run(`DELETE FROM events WHERE owner = ? AND id = ?`, this.owner, row.id);
      else await this.sql.run(`UPDATE events SET data = ? WHERE owner = ? AND id = ?`, encode({ ...change, items }), this.owner, row.id);
    }
  }

  async #markPruned(through: number): Promise<void> {
    await this.sql.run(
      `INSERT INTO meta (owner, key, value) VALUES (?, 'pruned_through', ?) ON CONFLICT (owner, key) DO UPDATE SET value = excluded.value`,
      this.owner,
      through,
    );
    this.#prunedThrough = through;
  }

  /** When the oldest retained event was stored, or null. */
  async oldest(): Promise<number | null> {
    return await this.#one<number>(`SELECT min(created_at) AS v FROM events WHERE owner = ?`);
  }

  /** A single value from a query whose first parameter is the owner. */
  async #one<T>(query: string, ...params: Array<string | number>): Promise<T | null> {
    return (await this.sql.all<{ v: T | null }>(query, this.owner, ...params))[0]?.v ?? null;
  }
}
