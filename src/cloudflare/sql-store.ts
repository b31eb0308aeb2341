// SqlStore over a Durable Object's SQLite storage (ctx.storage.sql).

import type { SqlStore, SqlValue } from '../core/actor/ports.ts';

export function createDurableSqlStore(storage: DurableObjectStorage): SqlStore {
  const sql = storage.sql;
  return {
    all<Row>(query: string, ...params: SqlValue[]): Row[] {
      return sql.exec(query, ...params).toArray() as Row[];
    },
    run(query: string, ...params: SqlValue[]): void {
      // Draining the cursor makes the statement run to completion now.
      sql.exec(query, ...params).toArray();
    },
    transaction<T>(fn: () => T): T {
      return storage.transactionSync(fn);
    },
  };
}
