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
    all<Row>(query: string, ...params: SqlValue[]): Row[] {
      return exec(query, params) as Row[];
    },
    run(query: string, ...params: SqlValue[]): void {
      exec(query, params);
    },
    transaction<T>(fn: () => T): T {
      return storage.transactionSync(fn);
    },
  };
}
