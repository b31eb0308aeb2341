// The actor's SQLite schema, versioned. Each entry migrates from the previous
// version; a store applies what it lacks when an actor starts.
//
// Every table is keyed by `owner`, the user the rows belong to. A Durable
// Object holds one user per database and uses the empty owner; a standalone
// host keeps every user in one database file.

import type { SqlStore } from './ports.ts';

const MIGRATIONS: readonly string[][] = [
  [
    `CREATE TABLE IF NOT EXISTS meta (
       owner TEXT NOT NULL, key TEXT NOT NULL, value INTEGER NOT NULL, PRIMARY KEY (owner, key))`,
    // ids are assigned by the actor: strictly increasing, never reused, even after pruning
    `CREATE TABLE IF NOT EXISTS events (
       owner TEXT NOT NULL, id INTEGER NOT NULL, type TEXT NOT NULL, data TEXT NOT NULL,
       created_at INTEGER NOT NULL, PRIMARY KEY (owner, id))`,
    `CREATE TABLE IF NOT EXISTS dedupe (
       owner TEXT NOT NULL, webhook_id TEXT NOT NULL, result TEXT NOT NULL, created_at INTEGER NOT NULL,
       PRIMARY KEY (owner, webhook_id))`,
    `CREATE INDEX IF NOT EXISTS dedupe_created_at ON dedupe (owner, created_at)`,
    `CREATE TABLE IF NOT EXISTS tickets (
       owner TEXT NOT NULL, nonce TEXT NOT NULL, expires_at INTEGER NOT NULL, PRIMARY KEY (owner, nonce))`,
  ],
  [
    `CREATE TABLE IF NOT EXISTS jobs (
       owner TEXT NOT NULL, id TEXT NOT NULL, status TEXT NOT NULL, progress REAL, result TEXT, error TEXT,
       version INTEGER NOT NULL, created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL,
       PRIMARY KEY (owner, id))`,
    `CREATE INDEX IF NOT EXISTS jobs_created_at ON jobs (owner, created_at)`,
    `CREATE INDEX IF NOT EXISTS jobs_updated_at ON jobs (owner, updated_at)`,
  ],
  [
    // The actor's timetable (schedule.ts): one row per reason it asked to be woken for.
    `CREATE TABLE IF NOT EXISTS schedule (
       owner TEXT NOT NULL, reason TEXT NOT NULL, at INTEGER NOT NULL, PRIMARY KEY (owner, reason))`,
    `CREATE INDEX IF NOT EXISTS schedule_at ON schedule (at)`,
    // Standalone hosts kept prune alarms in a table of their own, created outside
    // these migrations; they become 'prune' rows. (A Durable Object never had it:
    // the empty table is created, copied from and dropped.)
    `CREATE TABLE IF NOT EXISTS alarms (owner TEXT PRIMARY KEY, at INTEGER NOT NULL)`,
    `INSERT OR IGNORE INTO schedule (owner, reason, at) SELECT owner, 'prune', at FROM alarms`,
    `DROP TABLE alarms`,
    // A Durable Object's alarm was set by the platform alone: every user with
    // events gets a prune due now, run when that alarm next fires.
    `INSERT OR IGNORE INTO schedule (owner, reason, at) SELECT DISTINCT owner, 'prune', 0 FROM events`,
  ],
  [
    // What each webhook-id came with (dedupe.ts). Rows written before this
    // have none and match any request: they expire within DEDUPE_TTL_SECONDS.
    `ALTER TABLE dedupe ADD COLUMN fingerprint TEXT`,
  ],
  [
    // Events, dedupe keys and schedule rows clustered on their primary keys
    // (WITHOUT ROWID): one B-tree each instead of a table and a separate
    // primary-key index, so storing an event writes 3 rows, not 5 (on
    // Cloudflare, rows written are most of what a notification costs).
    ...rebuildWithoutRowid('events', `owner TEXT NOT NULL, id INTEGER NOT NULL, type TEXT NOT NULL, data TEXT NOT NULL,
       created_at INTEGER NOT NULL, PRIMARY KEY (owner, id)`, 'owner, id, type, data, created_at'),
    ...rebuildWithoutRowid('dedupe', `owner TEXT NOT NULL, webhook_id TEXT NOT NULL, result TEXT NOT NULL, created_at INTEGER NOT NULL,
       fingerprint TEXT, PRIMARY KEY (owner, webhook_id)`, 'owner, webhook_id, result, created_at, fingerprint'),
    `CREATE INDEX dedupe_created_at ON dedupe (owner, created_at)`,
    ...rebuildWithoutRowid('schedule', `owner TEXT NOT NULL, reason TEXT NOT NULL, at INTEGER NOT NULL, PRIMARY KEY (owner, reason)`, 'owner, reason, at'),
    `CREATE INDEX schedule_at ON schedule (at)`,
  ],
  [
    // The inbox (inbox.ts): one row per notification, keyed by the id of the
    // event that announced it; read state in the same row. The collapse index
    // holds only items that have a key.
    `CREATE TABLE IF NOT EXISTS inbox (
       owner TEXT NOT NULL, id INTEGER NOT NULL, type TEXT NOT NULL, title TEXT, body TEXT, url TEXT, data TEXT,
       category TEXT, collapse_key TEXT, created_at INTEGER NOT NULL, delivered_at INTEGER, received_at INTEGER,
       seen_at INTEGER, read_at INTEGER, archived_at INTEGER, push TEXT, pushed_at INTEGER,
       PRIMARY KEY (owner, id)) WITHOUT ROWID`,
    `CREATE INDEX IF NOT EXISTS inbox_collapse_key ON inbox (owner, collapse_key) WHERE collapse_key IS NOT NULL`,
    // Receipts waiting to be sent to RECEIPTS_URL (receipts.ts), one per kind and item.
    `CREATE TABLE IF NOT EXISTS receipts (
       owner TEXT NOT NULL, receipt TEXT NOT NULL, body TEXT NOT NULL, created_at INTEGER NOT NULL,
       attempts INTEGER NOT NULL, due_at INTEGER NOT NULL, PRIMARY KEY (owner, receipt)) WITHOUT ROWID`,
    // Web Push (push.ts): each browser's subscription, and the pushes the actor owes.
    `CREATE TABLE IF NOT EXISTS push_subscriptions (
       owner TEXT NOT NULL, endpoint TEXT NOT NULL, p256dh TEXT NOT NULL, auth TEXT NOT NULL, created_at INTEGER NOT NULL,
       PRIMARY KEY (owner, endpoint)) WITHOUT ROWID`,
    `CREATE TABLE IF NOT EXISTS push_queue (
       owner TEXT NOT NULL, item_id INTEGER NOT NULL, endpoint TEXT NOT NULL, due_at INTEGER NOT NULL, attempts INTEGER NOT NULL,
       unless_received INTEGER NOT NULL, shrunk INTEGER NOT NULL, PRIMARY KEY (owner, item_id, endpoint)) WITHOUT ROWID`,
  ],
];

/** Statements that copy `table` into a WITHOUT ROWID table of the same name (its indexes go with the old one). */
function rebuildWithoutRowid(table: string, columns: string, names: string): string[] {
  return [
    `CREATE TABLE ${table}_rebuilt (${columns}) WITHOUT ROWID`,
    `INSERT INTO ${table}_rebuilt (${names}) SELECT ${names} FROM ${table}`,
    `DROP TABLE ${table}`,
    `ALTER TABLE ${table}_rebuilt RENAME TO ${table}`,
  ];
}

export const SCHEMA_VERSION = MIGRATIONS.length;

/** The meta row that records the schema version of the whole database. */
const VERSION_OWNER = '';
const VERSION_KEY = 'schema_version';

/**
 * Brings the store up to SCHEMA_VERSION in one transaction. Idempotent. A
 * store already there costs one read: every Durable Object runs this each
 * time it starts, and on Cloudflare it starts again after each hibernation.
 */
export async function migrate(sql: SqlStore): Promise<void> {
  if ((await storedVersion(sql)) === SCHEMA_VERSION) return;
  await sql.transaction(async () => {
    await sql.run(MIGRATIONS[0]![0]!);
    const row = (await sql.all<{ value: number }>(
      `SELECT value FROM meta WHERE owner = ? AND key = ?`,
      VERSION_OWNER,
      VERSION_KEY,
    ))[0];
    for (let version = row?.value ?? 0; version < SCHEMA_VERSION; version++) {
      for (const statement of MIGRATIONS[version]!) await sql.run(statement);
      await sql.run(
        `INSERT INTO meta (owner, key, value) VALUES (?, ?, ?)
         ON CONFLICT (owner, key) DO UPDATE SET value = excluded.value`,
        VERSION_OWNER,
        VERSION_KEY,
        version + 1,
      );
    }
  });
}

/** The schema version the store records; 0 for a new store, which has no meta table yet. */
async function storedVersion(sql: SqlStore): Promise<number> {
  try {
    return (await sql.all<{ value: number }>(`SELECT value FROM meta WHERE owner = ? AND key = ?`, VERSION_OWNER, VERSION_KEY))[0]?.value ?? 0;
  } catch {
    return 0;
  }
}
