// The actor's SQLite schema, versioned. Each entry migrates from the previous
// version; an actor applies what it lacks when it starts.

import type { SqlStore } from './ports.ts';

const MIGRATIONS: readonly string[][] = [
  [
    `CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL)`,
    // id is assigned by the actor (strictly increasing, never reused, even after pruning)
    `CREATE TABLE IF NOT EXISTS events (
       id INTEGER PRIMARY KEY, type TEXT NOT NULL, data TEXT NOT NULL, created_at INTEGER NOT NULL)`,
    `CREATE TABLE IF NOT EXISTS dedupe (
       webhook_id TEXT PRIMARY KEY, result TEXT NOT NULL, created_at INTEGER NOT NULL)`,
    `CREATE INDEX IF NOT EXISTS dedupe_created_at ON dedupe (created_at)`,
    `CREATE TABLE IF NOT EXISTS tickets (nonce TEXT PRIMARY KEY, expires_at INTEGER NOT NULL)`,
  ],
  [
    `CREATE TABLE IF NOT EXISTS jobs (
       id TEXT PRIMARY KEY, status TEXT NOT NULL, progress REAL, result TEXT, error TEXT,
       version INTEGER NOT NULL, created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL)`,
    `CREATE INDEX IF NOT EXISTS jobs_created_at ON jobs (created_at)`,
  ],
];

export const SCHEMA_VERSION = MIGRATIONS.length;

/** Brings the store up to SCHEMA_VERSION. Idempotent. */
export function migrate(sql: SqlStore): void {
  sql.run(`CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL)`);
  const row = sql.all<{ value: number }>(`SELECT value FROM meta WHERE key = 'schema_version'`)[0];
  for (let version = row?.value ?? 0; version < SCHEMA_VERSION; version++) {
    for (const statement of MIGRATIONS[version]!) sql.run(statement);
    sql.run(
      `INSERT INTO meta (key, value) VALUES ('schema_version', ?)
       ON CONFLICT (key) DO UPDATE SET value = excluded.value`,
      version + 1,
    );
  }
}
