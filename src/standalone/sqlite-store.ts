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

/** A store whose writes commit together at the end of each turn of the event loop. */
export interface GroupCommitStore extends SqlStore {
  afterCommit(fn: () => void): void;
  /** Resolves once every write made so far is committed (at once when none is pending). */
  committed(): Promise<void>;
  /** Commits what is pending now (before the database closes). */
  flush(): void;
}

/** The longest a commit is put off after a slow one (the added latency's bound). */
const MAX_COMMIT_WAIT_MS = 10;

/** Runs `fn` after the I/O callbacks of this turn of the event loop. */
const endOfTurn: (fn: () => void) => void =
  typeof (globalThis as { setImmediate?: unknown }).setImmediate === 'function'
    ? (fn) => void (globalThis as unknown as { setImmediate(fn: () => void): unknown }).setImmediate(fn)
    : (fn) => void setTimeout(fn, 0);

/**
 * SqlStore over one SQLite connection, with group commit: the first write of
 * a turn of the event loop opens a transaction, every transaction() inside
 * it is a savepoint (a refused request rolls back only itself), and the
 * transaction commits once, at the end of the turn. Only then do the
 * afterCommit callbacks run (the actor's writes to connections) and
 * committed() resolve (the answers to requests): nothing reaches a client
 * before it is durable, and a turn with a hundred publishes costs one commit
 * (one fsync with synchronous=FULL) instead of a hundred.
 *
 * A commit that fails (an I/O error, a full disk) leaves the actors' memory
 * ahead of the database: `onCommitFailure` is told, and the host exits rather
 * than hand out ids it may reuse. Nothing of that turn was acknowledged.
 */
export function createSqliteStore(db: SqliteDatabase, options: { onCommitFailure?: (error: unknown) => void } = {}): GroupCommitStore {
  const statements = new Map<string, SqliteStatement>();
  const prepared = (sql: string) => {
    let statement = statements.get(sql);
    if (!statement) statements.set(sql, (statement = db.prepare(sql)));
    return statement;
  };
  // Prepared once: exec() would parse these on every transaction.
  const begin = db.prepare('BEGIN IMMEDIATE');
  const commit = db.prepare('COMMIT');
  const savepoint = db.prepare('SAVEPOINT request');
  const release = db.prepare('RELEASE request');
  const rollbackTo = db.prepare('ROLLBACK TO request');
  const onCommitFailure =
    options.onCommitFailure ??
    ((error: unknown) => {
      throw error;
    });
  let depth = 0;
  let open = false;
  let callbacks: Array<() => void> = [];
  let waiters: Array<() => void> = [];

  // How long the last commit took, and when it ended: a commit that waits on
  // the disk (an fsync with synchronous=FULL) blocks the event loop, so the
  // next one waits at least as long again, gathering the requests that arrive
  // meanwhile. A service at rest commits at the end of each turn; a busy one
  // spends at most about half its time committing, however slow the disk.
  let lastCommitMs = 0;
  let lastCommitEnd = 0;

  const openGroup = () => {
    if (open) return;
    begin.run();
    open = true;
    const wait = lastCommitEnd + lastCommitMs - performance.now();
    if (wait > 0.1) setTimeout(commitGroup, Math.ceil(wait));
    else endOfTurn(commitGroup);
  };

  function commitGroup(): void {
    if (!open) return;
    // Never inside a transaction: its savepoint is released first (it awaits only this store, so it ends within the turn).
    if (depth > 0) return endOfTurn(commitGroup);
    const started = performance.now();
    try {
      commit.run();
    } catch (error) {
      onCommitFailure(error);
      return;
    }
    lastCommitEnd = performance.now();
    lastCommitMs = Math.min(lastCommitEnd - started, MAX_COMMIT_WAIT_MS);
    open = false;
    const [ran, woken] = [callbacks, waiters];
    callbacks = [];
    waiters = [];
    for (const fn of ran) {
      try {
        fn();
      } catch {
        // a connection's write failing is that connection's business
      }
    }
    for (const wake of woken) wake();
  }

  return {
    // One process owns the file (locking_mode = EXCLUSIVE).
    singleWriter: true,
    async all<Row>(sql: string, ...params: SqlValue[]): Promise<Row[]> {
      return prepared(sql).all(...params) as Row[];
    },
    async run(sql: string, ...params: SqlValue[]): Promise<void> {
      openGroup();
      prepared(sql).run(...params);
    },
    // The actors' calls on this store run one at a time (Kernel.run), so the
    // statements between the savepoint and its release are this transaction's.
    async transaction<T>(fn: () => Promise<T>): Promise<T> {
      // A transaction inside a transaction joins the outer one.
      if (depth > 0) return fn();
      openGroup();
      savepoint.run();
      depth++;
      try {
        const result = await fn();
        release.run();
        return result;
      } catch (err) {
        rollbackTo.run();
        release.run();
        throw err;
      } finally {
        depth--;
      }
    },
    afterCommit(fn) {
      if (open) callbacks.push(fn);
      else fn();
    },
    committed() {
      return open ? new Promise<void>((resolve) => waiters.push(resolve)) : Promise.resolve();
    },
    flush: commitGroup,
  };
}
