// SqlStore over a Durable Object's SQLite storage (ctx.storage.sql), counting
// the rows each statement read and wrote (what Cloudflare bills for SQLite).

import type { SqlStore, SqlValue } from '../core/actor/ports.ts';

export interface RowCounts {
  rowsRead: number;
  rowsWritten: number;
}

export function createDurableSqlStore(storage: DurableObjectStorage, counts: RowCounts = { rowsRead: 0, rowsWritten: 0 }): SqlStore {
  const sql = storage.sql;
  const exec = (query: string, params: SqlValue[]) => {
    const cursor = sql.exec(query, ...params);
    // Draining the cursor makes the statement run to completion now.
    const rows = cursor.toArray();
    counts.rowsRead += cursor.rowsRead;
    counts.rowsWritten += cursor.rowsWritten;
    return rows;
  };
  return {
    // The object is the only writer of its storage: what the actor reads may be kept between calls.
    singleWriter: true,
    async all<Row>(query: string, ...params: SqlValue[]): Promise<Row[]> {
      return exec(query, params) as Row[];
    },
    async run(query: string, ...params: SqlValue[]): Promise<void> {
      exec(query, params);
    },
    // Rolled back as a whole when `fn` rejects, across its awaits (transactionSync cannot span one).
    transaction<T>(fn: () => Promise<T>): Promise<T> {
      return storage.transaction(fn);
    },
  };
}
