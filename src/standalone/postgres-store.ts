// The actor's store on PostgreSQL, for a cluster of standalone nodes
// (DATABASE_URL): the same tables and the same SQL as SQLite, every user's
// rows in one database, and a lock row per user taken at the start of every
// write transaction (SELECT … FOR UPDATE), so one user's writes are serial
// across every node. A write commits (synchronous_commit on) before anything
// is answered or delivered: the transaction resolves only once committed.

import { AsyncLocalStorage } from 'node:async_hooks';
import postgres from 'postgres';
import type { SqlStore, SqlValue } from '../core/actor/ports.ts';
import { SCHEMA_VERSION } from '../core/actor/schema.ts';

type Sql = postgres.Sql;
type TransactionSql = postgres.TransactionSql;

/**
 * The schema SQLite reaches through its migrations (core/actor/schema.ts),
 * written for PostgreSQL, and the user lock rows. Ids are BIGINT; times are
 * DOUBLE PRECISION (milliseconds, which the actor may compute with a fraction,
 * as SQLite's INTEGER affinity takes).
 */
const SCHEMA = [
  `CREATE TABLE IF NOT EXISTS meta (owner TEXT NOT NULL, key TEXT NOT NULL, value DOUBLE PRECISION NOT NULL, PRIMARY KEY (owner, key))`,
  `CREATE TABLE IF NOT EXISTS user_locks (owner TEXT PRIMARY KEY)`,
  `CREATE TABLE IF NOT EXISTS events (owner TEXT NOT NULL, id BIGINT NOT NULL, type TEXT NOT NULL, data TEXT NOT NULL,
     created_at DOUBLE PRECISION NOT NULL, PRIMARY KEY (owner, id))`,
  `CREATE TABLE IF NOT EXISTS dedupe (owner TEXT NOT NULL, webhook_id TEXT NOT NULL, result TEXT NOT NULL, created_at DOUBLE PRECISION NOT NULL,
     fingerprint TEXT, PRIMARY KEY (owner, webhook_id))`,
  `CREATE INDEX IF NOT EXISTS dedupe_created_at ON dedupe (owner, created_at)`,
  `CREATE TABLE IF NOT EXISTS tickets (owner TEXT NOT NULL, nonce TEXT NOT NULL, expires_at DOUBLE PRECISION NOT NULL, PRIMARY KEY (owner, nonce))`,
  `CREATE TABLE IF NOT EXISTS jobs (owner TEXT NOT NULL, id TEXT NOT NULL, status TEXT NOT NULL, progress DOUBLE PRECISION, result TEXT, error TEXT,
     version BIGINT NOT NULL, created_at DOUBLE PRECISION NOT NULL, updated_at DOUBLE PRECISION NOT NULL, PRIMARY KEY (owner, id))`,
  `CREATE INDEX IF NOT EXISTS jobs_created_at ON jobs (owner, created_at)`,
  `CREATE INDEX IF NOT EXISTS jobs_updated_at ON jobs (owner, updated_at)`,
  `CREATE TABLE IF NOT EXISTS schedule (owner TEXT NOT NULL, reason TEXT NOT NULL, at DOUBLE PRECISION NOT NULL, PRIMARY KEY (owner, reason))`,
  `CREATE INDEX IF NOT EXISTS schedule_at ON schedule (at)`,
  `CREATE TABLE IF NOT EXISTS inbox (owner TEXT NOT NULL, id BIGINT NOT NULL, type TEXT NOT NULL, title TEXT, body TEXT, url TEXT, data TEXT,
     category TEXT, collapse_key TEXT, created_at DOUBLE PRECISION NOT NULL, delivered_at DOUBLE PRECISION, received_at DOUBLE PRECISION,
     seen_at DOUBLE PRECISION, read_at DOUBLE PRECISION, archived_at DOUBLE PRECISION, push TEXT, pushed_at DOUBLE PRECISION, PRIMARY KEY (owner, id))`,
  `CREATE INDEX IF NOT EXISTS inbox_collapse_key ON inbox (owner, collapse_key) WHERE collapse_key IS NOT NULL`,
  `CREATE TABLE IF NOT EXISTS receipts (owner TEXT NOT NULL, receipt TEXT NOT NULL, body TEXT NOT NULL, created_at DOUBLE PRECISION NOT NULL,
     attempts BIGINT NOT NULL, due_at DOUBLE PRECISION NOT NULL, PRIMARY KEY (owner, receipt))`,
  `CREATE TABLE IF NOT EXISTS push_subscriptions (owner TEXT NOT NULL, endpoint TEXT NOT NULL, p256dh TEXT NOT NULL, auth TEXT NOT NULL,
     created_at DOUBLE PRECISION NOT NULL, PRIMARY KEY (owner, endpoint))`,
  `CREATE TABLE IF NOT EXISTS push_queue (owner TEXT NOT NULL, item_id BIGINT NOT NULL, endpoint TEXT NOT NULL, due_at DOUBLE PRECISION NOT NULL,
     attempts BIGINT NOT NULL, unless_received BIGINT NOT NULL, shrunk BIGINT NOT NULL, PRIMARY KEY (owner, item_id, endpoint))`,
];

const translated = new Map<string, string>();

/**
 * One of the actor's statements in PostgreSQL's dialect: `?` and `?N`
 * parameters as `$N` (a bare `?` is one more than the largest so far, as in
 * SQLite), INSERT OR IGNORE as ON CONFLICT DO NOTHING, json_each over a JSON
 * array of ids, LIMIT -1 as LIMIT ALL.
 */
export function toPostgres(sql: string): string {
  let text = translated.get(sql);
  if (text !== undefined) return text;
  let largest = 0;
  text = sql.replace(/\?(\d*)/g, (_, n: string) => {
    const index = n ? Number(n) : largest + 1;
    largest = Math.max(largest, index);
    return `$${index}`;
  });
  text = text.replace(/SELECT value FROM json_each\((\$\d+)\)/g, 'SELECT value::bigint FROM json_array_elements_text($1::text::json)');
  text = text.replace(/LIMIT -1\b/g, 'LIMIT ALL');
  if (/^\s*INSERT OR IGNORE INTO/i.test(text)) {
    text = text.replace(/INSERT OR IGNORE INTO/i, 'INSERT INTO');
    text = /\bRETURNING\b/i.test(text) ? text.replace(/\s+RETURNING\b/i, ' ON CONFLICT DO NOTHING RETURNING') : `${text} ON CONFLICT DO NOTHING`;
  }
  translated.set(sql, text);
  return text;
}

/** Every user's rows in one PostgreSQL database, reached through a pool. */
export interface PostgresStorage {
  /** The store of one user (its rows, its lock). */
  storeFor(owner: string): SqlStore;
  /** Resolves once the schema is in place. */
  readonly ready: Promise<void>;
  /** Users with a schedule row due at `now`. */
  due(now: number, limit: number): Promise<string[]>;
  /** Each of these users' last event id and revocation point (0: none), in one query. */
  positions(owners: string[]): Promise<Map<string, { lastId: number; revokedBefore: number }>>;
  close(): Promise<void>;
}

export function createPostgresStorage(url: string, options: { max?: number } = {}): PostgresStorage {
  const pool = postgres(url, {
    max: options.max ?? 10,
    onnotice: () => {},
    // Ids and times are BIGINT; every one of them fits a double.
    types: { bigint: { to: 20, from: [20, 1700], serialize: (value: number) => String(value), parse: (text: string) => Number(text) } },
    connection: { synchronous_commit: 'on' },
  });
  const ready = migrate(pool);
  return {
    storeFor: (owner) => new PostgresStore(pool, owner, ready),
    ready,
    async due(now, limit) {
      // A user whose lock a write holds (on any node) is skipped, not waited for: the next tick finds what is still due.
      const rows = await pool.unsafe<{ owner: string }[]>(
        `SELECT owner FROM user_locks WHERE owner IN (SELECT owner FROM schedule WHERE at <= $1) LIMIT $2 FOR UPDATE SKIP LOCKED`,
        [now, limit],
      );
      return rows.map((row) => row.owner);
    },
    async positions(owners) {
      const rows = await pool.unsafe<{ owner: string; last: number | null; revoked: number | null }[]>(
        `SELECT u.owner, (SELECT max(id) FROM events e WHERE e.owner = u.owner) AS last,
           (SELECT value FROM meta m WHERE m.owner = u.owner AND m.key = 'revoked_before') AS revoked
         FROM unnest($1::text[]) AS u(owner)`,
        [owners as unknown as string],
      );
      return new Map(rows.map((row) => [row.owner, { lastId: row.last ?? 0, revokedBefore: row.revoked ?? 0 }]));
    },
    close: () => pool.end({ timeout: 5 }),
  };
}

/**
 * Creates the tables once. A node that finds the schema in place touches no
 * table (DDL takes table locks, which would deadlock with the writes of nodes
 * already serving); the first nodes to start take turns on an advisory lock
 * and look again once they hold it.
 */
async function migrate(pool: Sql, attempts = 5): Promise<void> {
  if (await schemaInPlace(pool)) return;
  // An upgrade's DDL can still meet serving nodes' writes: PostgreSQL ends one side of a deadlock, and this side tries again.
  for (let attempt = 1; ; attempt++) {
    try {
      return await createSchema(pool);
    } catch (err) {
      if ((err as { code?: string }).code !== '40P01' || attempt >= attempts) throw err;
      await new Promise((resolve) => setTimeout(resolve, 100 * attempt));
    }
  }
}

async function createSchema(pool: Sql): Promise<void> {
  await pool.begin(async (tx) => {
    await tx.unsafe(`SELECT pg_advisory_xact_lock(7212024)`);
    if (await schemaInPlace(tx)) return;
    for (const statement of SCHEMA) await tx.unsafe(statement);
    await tx.unsafe(
      `INSERT INTO meta (owner, key, value) VALUES ('', 'schema_version', $1) ON CONFLICT (owner, key) DO UPDATE SET value = excluded.value`,
      [SCHEMA_VERSION],
    );
  });
}

/** Whether the schema is at this version already (read without touching a table that is not there). */
async function schemaInPlace(sql: Sql | TransactionSql): Promise<boolean> {
  const [{ exists }] = await sql.unsafe<[{ exists: boolean }]>(`SELECT to_regclass('meta') IS NOT NULL AS exists`);
  if (!exists) return false;
  const rows = await sql.unsafe<{ value: number }[]>(`SELECT value FROM meta WHERE owner = '' AND key = 'schema_version'`);
  return (rows[0]?.value ?? 0) >= SCHEMA_VERSION;
}

/**
 * The transaction a flow of calls is inside, if any (per async flow: another
 * flow on the same store never joins it). A timer or callback started inside
 * a transaction inherits this context and outlives it: once the transaction
 * has settled (`done`) the context is ignored, and that later work runs on
 * the pool, or opens a transaction of its own.
 */
const current = new AsyncLocalStorage<{ tx: TransactionSql; done: boolean }>();

/** The transaction still open in this flow, if any. */
function openTransaction(): TransactionSql | undefined {
  const context = current.getStore();
  return context && !context.done ? context.tx : undefined;
}

class PostgresStore implements SqlStore {
  readonly singleWriter = false;
  readonly #pool: Sql;
  readonly #owner: string;
  readonly #ready: Promise<void>;

  constructor(pool: Sql, owner: string, ready: Promise<void>) {
    this.#pool = pool;
    this.#owner = owner;
    this.#ready = ready;
  }

  async all<Row = Record<string, SqlValue>>(sql: string, ...params: SqlValue[]): Promise<Row[]> {
    const db = openTransaction() ?? this.#pool;
    return [...(await db.unsafe(toPostgres(sql), params as postgres.ParameterOrJSON<never>[]))] as Row[];
  }

  async run(sql: string, ...params: SqlValue[]): Promise<void> {
    const db = openTransaction() ?? this.#pool;
    await db.unsafe(toPostgres(sql), params as postgres.ParameterOrJSON<never>[]);
  }

  /** One transaction that first takes the user's lock row: every node's writes of this user run one after another. */
  async transaction<T>(fn: () => Promise<T>): Promise<T> {
    if (openTransaction()) return fn();
    await this.#ready;
    const context = { tx: undefined as unknown as TransactionSql, done: false };
    try {
      return (await this.#pool.begin(async (tx) => {
        context.tx = tx;
        await tx.unsafe(`INSERT INTO user_locks (owner) VALUES ($1) ON CONFLICT DO NOTHING`, [this.#owner]);
        await tx.unsafe(`SELECT owner FROM user_locks WHERE owner = $1 FOR UPDATE`, [this.#owner]);
        // Settled: what it started and left running (a timer, a callback) no longer joins it.
        return current.run(context, fn).finally(() => (context.done = true));
      })) as T;
    } finally {
      context.done = true;
    }
  }
}
