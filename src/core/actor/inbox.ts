// The user's inbox: notifications with read state, in the same actor and the
// same transactions as the event log, so its counts are computed where the
// rows change and cannot drift. The rules (collapse, what each action
// changes, retention) and the storage; hub.ts emits the events.

import type { InboxAction, InboxCounts, InboxStatus } from '../../protocol/wire.ts';
import { decode, encode, raw, type Encodable, type JsonText } from '../json.ts';
import { OwnedRows, type SqlValue } from './ports.ts';

/** What a publisher sends for one notification; `data` is canonical JSON text. */
export interface NotificationContent {
  type: string;
  title?: string;
  body?: string;
  url?: string;
  data?: JsonText;
  category?: string;
  collapseKey?: string;
  /** Web Push for this item (push.ts): options, or false for never; absent: the defaults. */
  push?: PushOptions | false;
}

interface ItemRow {
  id: number;
  type: string;
  title: string | null;
  body: string | null;
  url: string | null;
  data: JsonText | null;
  category: string | null;
  collapse_key: string | null;
  created_at: number;
  delivered_at: number | null;
  received_at: number | null;
  seen_at: number | null;
  read_at: number | null;
  archived_at: number | null;
  /** The item's push options as JSON text, or null for the defaults. */
  push: string | null;
  /** First accepted (2xx) by a push service. */
  pushed_at: number | null;
}

const COLUMNS =
  'id, type, title, body, url, data, category, collapse_key, created_at, delivered_at, received_at, seen_at, read_at, archived_at, push, pushed_at';

const time = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

/** An inbox row with its JSON rendered once. */
export class StoredItem {
  readonly row: ItemRow;
  #json?: JsonText;

  constructor(row: ItemRow) {
    this.row = row;
  }

  get id(): string {
    return String(this.row.id);
  }

  /** The item as clients and publishers see it (wire.ts InboxItem), as a value for encode(). */
  get value(): { readonly [key: string]: Encodable } {
    const r = this.row;
    return {
      id: String(r.id),
      type: r.type,
      title: r.title,
      body: r.body,
      url: r.url,
      data: raw(r.data),
      category: r.category,
      collapseKey: r.collapse_key,
      createdAt: time(r.created_at),
      deliveredAt: time(r.delivered_at),
      receivedAt: time(r.received_at),
      seenAt: time(r.seen_at),
      readAt: time(r.read_at),
      archivedAt: time(r.archived_at),
      pushedAt: time(r.pushed_at),
    };
  }

  /** The item's JSON, rendered once. */
  get json(): JsonText {
    return (this.#json ??= encode(this.value));
  }

  /** The item's push options (null: the defaults). */
  get pushOptions(): PushOptions | null {
    return this.row.push === null ? null : decode<PushOptions>(this.row.push);
  }

  /** The state an `inbox.changed` event carries for it. */
  get state(): { readonly [key: string]: Encodable } {
    const r = this.row;
    return { id: String(r.id), seenAt: time(r.seen_at), readAt: time(r.read_at), archivedAt: time(r.archived_at) };
  }
}

/** Which items a status lists. */
const STATUS_WHERE: Record<InboxStatus, string> = {
  unread: 'read_at IS NULL AND archived_at IS NULL',
  unseen: 'seen_at IS NULL AND archived_at IS NULL',
  all: 'archived_at IS NULL',
  archived: 'archived_at IS NOT NULL',
};

/**
 * What each action sets (?3 is the time), and which items it changes: the
 * others already are that way, so every action is idempotent.
 */
const ACTIONS: Record<InboxAction, { set: string; when: string }> = {
  seen: { set: 'seen_at = ?3', when: 'seen_at IS NULL' },
  // Reading an item is seeing it too.
  read: { set: 'read_at = ?3, seen_at = coalesce(seen_at, ?3)', when: 'read_at IS NULL' },
  unread: { set: 'read_at = NULL', when: 'read_at IS NOT NULL' },
  archive: { set: 'archived_at = ?3', when: 'archived_at IS NULL' },
};

/** How a notification is pushed to the user's browsers when no client took it (push.ts sends it). */
export interface PushOptions {
  /** Push only if no client acknowledged the item by then (seconds after it was created). */
  after?: number;
  /** How long the push service keeps the message for an offline browser, seconds. */
  ttl?: number;
  urgency?: 'very-low' | 'low' | 'normal' | 'high';
}

/** The items an action names: listed ids, or every item up to an id. */
export type InboxTarget = { ids: number[] } | { through: number };

export class Inbox extends OwnedRows {
  /**
   * Stores a new item under its event's id; `delivered` when it is being
   * written to a live connection now. An unread item with the same collapse
   * key is removed first: the new one replaces it (`replaces`, its id).
   */
  async create(id: number, content: NotificationContent, now: number, delivered: boolean): Promise<{ item: StoredItem; replaces: number | null }> {
    const row: ItemRow = {
      id,
      type: content.type,
      title: content.title ?? null,
      body: content.body ?? null,
      url: content.url ?? null,
      data: content.data ?? null,
      category: content.category ?? null,
      collapse_key: content.collapseKey ?? null,
      created_at: now,
      delivered_at: delivered ? now : null,
      received_at: null,
      seen_at: null,
      read_at: null,
      archived_at: null,
      push: content.push ? JSON.stringify(content.push) : null,
      pushed_at: null,
    };
    const replaces =
      row.collapse_key === null
        ? null
        : ((await this.sql.all<{ id: number }>(
            `SELECT id FROM inbox WHERE owner = ? AND collapse_key = ? AND read_at IS NULL AND archived_at IS NULL ORDER BY id DESC LIMIT 1`,
            this.owner,
            row.collapse_key,
          ))[0]?.id ?? null);
    if (replaces !== null) await this.sql.run(`DELETE FROM inbox WHERE owner = ? AND id = ?`, this.owner, replaces);
    await this.sql.run(
      `INSERT INTO inbox (owner, id, type, title, body, url, data, category, collapse_key, created_at, delivered_at, push) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      this.owner,
      row.id,
      row.type,
      row.title,
      row.body,
      row.url,
      row.data,
      row.category,
      row.collapse_key,
      row.created_at,
      row.delivered_at,
      row.push,
    );
    return { item: new StoredItem(row), replaces };
  }

  async get(id: number): Promise<StoredItem | null> {
    const row = (await this.sql.all<ItemRow>(`SELECT ${COLUMNS} FROM inbox WHERE owner = ? AND id = ?`, this.owner, id))[0];
    return row ? new StoredItem(row) : null;
  }

  /** Newest first, older than `before` when given; `next` is the cursor of the following page. */
  async list(status: InboxStatus, before: number | undefined, limit: number): Promise<{ items: StoredItem[]; next: string | null }> {
    const rows = await this.sql.all<ItemRow>(
      `SELECT ${COLUMNS} FROM inbox WHERE owner = ? AND id < ? AND ${STATUS_WHERE[status]} ORDER BY id DESC LIMIT ?`,
      this.owner,
      before ?? Number.MAX_SAFE_INTEGER,
      limit + 1,
    );
    const items = rows.slice(0, limit).map((row) => new StoredItem(row));
    return { items, next: rows.length > limit ? items.at(-1)!.id : null };
  }

  /** Counted from the rows, in the caller's transaction: what the user sees always adds up. */
  async counts(): Promise<InboxCounts> {
    const row = (await this.sql.all<{ unread: number | null; unseen: number | null; total: number }>(
      // count() of a CASE, not sum() of a comparison: the same statement in SQLite and PostgreSQL.
      `SELECT count(CASE WHEN read_at IS NULL THEN 1 END) AS unread, count(CASE WHEN seen_at IS NULL THEN 1 END) AS unseen, count(*) AS total
       FROM inbox WHERE owner = ? AND archived_at IS NULL`,
      this.owner,
    ))[0];
    return { unread: row?.unread ?? 0, unseen: row?.unseen ?? 0, total: row?.total ?? 0 };
  }

  /**
   * Applies an action to the items it names that it changes. Returns those
   * items as they are now, and the named ids that are not in the inbox.
   */
  async change(action: InboxAction, target: InboxTarget, now: number): Promise<{ changed: StoredItem[]; unknown: number[] }> {
    const { set, when } = ACTIONS[action];
    // ?1 the owner, ?2 the target: a JSON array of ids (one parameter however many) or the last id.
    const [where, named]: [string, SqlValue] =
      'ids' in target ? ['id IN (SELECT value FROM json_each(?2))', JSON.stringify(target.ids)] : ['id <= ?2', target.through];
    const select = async (condition: string) =>
      (await this.sql.all<{ id: number }>(`SELECT id FROM inbox WHERE owner = ?1 AND ${where} AND ${condition}`, this.owner, named)).map((r) => r.id);
    const unknown: number[] = [];
    if ('ids' in target) {
      const known = new Set(await select('1 = 1'));
      for (const id of target.ids) if (!known.has(id)) unknown.push(id);
    }
    const ids = await select(when);
    if (ids.length === 0) return { changed: [], unknown };
    const update = `UPDATE inbox SET ${set} WHERE owner = ?1 AND ${where} AND ${when}`;
    if (set.includes('?3')) await this.sql.run(update, this.owner, named, now);
    else await this.sql.run(update, this.owner, named);
    const rows = await this.sql.all<ItemRow>(`SELECT ${COLUMNS} FROM inbox WHERE owner = ? AND id IN (SELECT value FROM json_each(?)) ORDER BY id`, this.owner, JSON.stringify(ids));
    const changed = rows.map((row) => new StoredItem(row));
    return { changed, unknown };
  }

  /** Items up to `through` that a client now has: their first `receivedAt` (and `deliveredAt`, if unset). Returns them. */
  async acknowledge(through: number, now: number): Promise<StoredItem[]> {
    const rows = await this.sql.all<ItemRow>(
      `SELECT ${COLUMNS} FROM inbox WHERE owner = ? AND id <= ? AND received_at IS NULL ORDER BY id`,
      this.owner,
      through,
    );
    if (rows.length === 0) return [];
    await this.sql.run(
      `UPDATE inbox SET received_at = ?3, delivered_at = coalesce(delivered_at, ?3) WHERE owner = ?1 AND id <= ?2 AND received_at IS NULL`,
      this.owner,
      through,
      now,
    );
    return rows.map((row) => new StoredItem({ ...row, received_at: now, delivered_at: row.delivered_at ?? now }));
  }

  /** A push service accepted a push of the item: its first `pushedAt`. */
  async pushed(id: number, now: number): Promise<void> {
    await this.sql.run(`UPDATE inbox SET pushed_at = ? WHERE owner = ? AND id = ? AND pushed_at IS NULL`, now, this.owner, id);
  }

  /** The items among `ids` written to a live connection for the first time now. */
  async delivered(ids: readonly number[], now: number): Promise<void> {
    if (ids.length === 0) return;
    await this.sql.run(
      `UPDATE inbox SET delivered_at = ? WHERE owner = ? AND id IN (SELECT value FROM json_each(?)) AND delivered_at IS NULL`,
      now,
      this.owner,
      JSON.stringify(ids),
    );
  }

  /** Drops items created at or before `before`, and those beyond the newest `maxItems`. */
  async prune(maxItems: number, before: number): Promise<void> {
    await this.sql.run(`DELETE FROM inbox WHERE owner = ? AND created_at <= ?`, this.owner, before);
    await this.trim(maxItems);
  }

  /** Drops the items beyond the newest `maxItems`. */
  async trim(maxItems: number): Promise<void> {
    const beyond = (await this.sql.all<{ id: number }>(
      `SELECT id FROM inbox WHERE owner = ? ORDER BY id DESC LIMIT 1 OFFSET ?`,
      this.owner,
      maxItems,
    ))[0]?.id;
    if (beyond !== undefined) await this.sql.run(`DELETE FROM inbox WHERE owner = ? AND id <= ?`, this.owner, beyond);
  }

  /** When the oldest item was created, or null. */
  async oldest(): Promise<number | null> {
    return (await this.sql.all<{ t: number | null }>(`SELECT min(created_at) AS t FROM inbox WHERE owner = ?`, this.owner))[0]?.t ?? null;
  }

  async erase(): Promise<number> {
    const count = (await this.sql.all<{ n: number }>(`SELECT count(*) AS n FROM inbox WHERE owner = ?`, this.owner))[0]?.n ?? 0;
    await this.sql.run(`DELETE FROM inbox WHERE owner = ?`, this.owner);
    return count;
  }
}
