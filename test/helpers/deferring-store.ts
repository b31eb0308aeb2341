// A store for the actor's tests that answers like a database across the
// network: SQLite underneath (node:sqlite), but every call completes on a
// later turn of the event loop.

import type { SqlStore, SqlValue } from '../../src/core/actor/ports.ts';
import type { SqliteDatabase } from '../../src/standalone/sqlite-store.ts';

/**
 * SQLite behind a store whose every call completes on a later turn of the
 * event loop, as a database across the network would, with explicit
 * transactions (BEGIN, statements, COMMIT or ROLLBACK), and which says another
 * node may write it: the actor keeps nothing of it between calls.
 */
export function deferringStore(db: SqliteDatabase): SqlStore {
  const later = () => new Promise<void>((resolve) => setImmediate(resolve));
  let depth = 0;
  return {
    singleWriter: false,
    async all<Row>(sql: string, ...params: SqlValue[]): Promise<Row[]> {
      await later();
      return db.prepare(sql).all(...params) as Row[];
    },
    async run(sql: string, ...params: SqlValue[]): Promise<void> {
      await later();
      db.prepare(sql).run(...params);
    },
    async transaction<T>(fn: () => Promise<T>): Promise<T> {
      if (depth > 0) return fn();
      await later();
      db.exec('BEGIN');
      depth++;
      try {
        const result = await fn();
        await later();
        db.exec('COMMIT');
        return result;
      } catch (err) {
        db.exec('ROLLBACK');
        throw err;
      } finally {
        depth--;
      }
    },
  };
}
