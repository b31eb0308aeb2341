// SqlStore over a synchronous SQLite driver. node:sqlite (Node 22+, Deno) and
// bun:sqlite share the shape used here: prepare() with all()/run(), and exec().

import type { SqlStore, SqlValue } from '../core/actor/ports.ts';

export interface SqliteStatement {
  all(...params: SqlValue[]): unknown[];
  run(...params: SqlValue[]): unknown;
}

export interface SqliteDatabase {
  prepare(sql: string): SqliteStatement;
  exec(sql: string): void;
  close(): void;
}

/**
 * Durability: WAL with synchronous=NORMAL survives a killed process (every
 * commit is in the WAL before the call returns); SQLITE_SYNCHRONOUS=FULL also
 * survives power loss, at the cost of an fsync per commit.
 */
export function configure(db: SqliteDatabase, synchronous: 'NORMAL' | 'FULL' = 'NORMAL'): void {
  db.exec('PRAGMA journal_mode = WAL');
  db.exec(`PRAGMA synchronous = ${synchronous}`);
  db.exec('PRAGMA busy_timeout = 5000');
  // One process owns the file: holding the lock saves lock syscalls on every
  // transaction, and the OS releases it if the process dies.
  db.exec('PRAGMA locking_mode = EXCLUSIVE');
}

export function createSqliteStore(db: SqliteDatabase): SqlStore {
  const statements = new Map<string, SqliteStatement>();
  const prepared = (sql: string) => {
    let statement = statements.get(sql);
    if (!statement) statements.set(sql, (statement = db.prepare(sql)));
    return statement;
  };
  // Prepared once: exec() would parse these on every transaction.
  const begin = db.prepare('BEGIN IMMEDIATE');
  const commit = db.prepare('COMMIT');
  const rollback = db.prepare('ROLLBACK');
  let depth = 0;
  return {
    all<Row>(sql: string, ...params: SqlValue[]): Row[] {
      return prepared(sql).all(...params) as Row[];
    },
    run(sql: string, ...params: SqlValue[]): void {
      prepared(sql).run(...params);
    },
    transaction<T>(fn: () => T): T {
      // A transaction inside a transaction joins the outer one.
      if (depth > 0) return fn();
      begin.run();
      depth++;
      try {
        const result = fn();
        commit.run();
        return result;
      } catch (err) {
        rollback.run();
        throw err;
      } finally {
        depth--;
      }
    },
  };
}
