// The standalone store's group commit, on real SQLite (node:sqlite): the
// writes of one turn of the event loop commit once, a refused request rolls
// back only itself, and nothing reaches a connection or a caller before the
// commit.

import { json } from '../helpers/wire.ts';
import { DatabaseSync } from 'node:sqlite';
import { describe, expect, it } from 'vitest';
import type { Outgoing } from '../../src/core/actor/frames.ts';
import type { Connection, Session } from '../../src/core/actor/ports.ts';
import { DEFAULT_LIMITS } from '../../src/core/config.ts';
import { ActorDirectory, sqliteStorage } from '../../src/standalone/actor-directory.ts';
import { StandaloneBackend } from '../../src/standalone/backend.ts';
import { configure, createSqliteStore, type SqliteDatabase } from '../../src/standalone/sqlite-store.ts';

/** A database that counts its commits, and can be told to fail the next one. */
function countingDatabase() {
  const db = new DatabaseSync(':memory:') as unknown as SqliteDatabase;
  configure(db);
  const stats = { commits: 0, failNext: false, slowMs: 0 };
  const counting: SqliteDatabase = {
    exec: (sql) => db.exec(sql),
    close: () => db.close(),
    prepare(sql) {
      const statement = db.prepare(sql);
      if (sql !== 'COMMIT') return statement;
      return {
        all: (...params) => statement.all(...params),
        run: (...params) => {
          if (stats.failNext) {
            stats.failNext = false;
            throw new Error('disk I/O error');
          }
          stats.commits++;
          const until = performance.now() + stats.slowMs;
          while (performance.now() < until); // a disk that takes its time to sync
          return statement.run(...params);
        },
      };
    },
  };
  return { db: counting, stats };
}

class Recorder implements Connection {
  readonly transport = 'websocket' as const;
  readonly identity = this;
  session: Session | undefined;
  readonly frames: string[] = [];
  send(message: Outgoing): boolean {
    this.frames.push(message.json);
    return true;
  }
  close(): void {}
}

/** Long enough for any commit to have run (a commit after a slow one waits at most 10 ms). */
const turn = () => new Promise((resolve) => setTimeout(resolve, 20));

async function open() {
  const { db, stats } = countingDatabase();
  const failures: unknown[] = [];
  const store = createSqliteStore(db, { onCommitFailure: (error) => failures.push(error) });
  const directory = new ActorDirectory(sqliteStorage(store), { limits: DEFAULT_LIMITS, idleMs: 60_000, alarmTickMs: 60_000 });
  await directory.ready;
  const backend = new StandaloneBackend(directory, () => new Response(null));
  return { store, stats, failures, directory, backend, close: () => (directory.close(), store.flush(), db.close()) };
}

const input = (i: number) => ({ type: 'n', data: json(String(i)), webhookId: `msg_${i}` });

describe('group commit on a standalone host', () => {
  it('commits the writes of one turn once, and answers only after the commit', async () => {
    const { stats, backend, close } = await open();
    await turn();
    const before = stats.commits;
    let answered = 0;
    const answers = Array.from({ length: 50 }, (_, i) => backend.actor(`u${i % 5}`).publish(input(i)).then((r) => (answered++, r)));
    expect(answered).toBe(0);
    const results = await Promise.all(answers);
    expect(stats.commits - before).toBe(1);
    expect(results.filter((r) => r.id === '10')).toHaveLength(5);
    close();
  });

  it('writes to a connection only after the commit, in order', async () => {
    const { directory, backend, close } = await open();
    const connection = new Recorder();
    directory.get('john').hub.open(connection, { after: 0 });
    await turn();
    expect(connection.frames.map((f) => JSON.parse(f).type)).toEqual(['hub.ready']);
    const publishing = [backend.actor('john').publish(input(1)), backend.actor('john').publish(input(2))];
    expect(connection.frames).toHaveLength(1); // not yet: the turn has not committed
    await Promise.all(publishing);
    expect(connection.frames.slice(1).map((f) => JSON.parse(f).id)).toEqual(['1', '2']);
    close();
  });

  it('rolls back a refused request alone; the rest of its turn commits', async () => {
    const { backend, close } = await open();
    await backend.actor('jane').updateJob('zip', { status: 'succeeded' }, { webhookId: 'msg_done' });
    const ok = backend.actor('jane').publish(input(1));
    const refused = backend.actor('jane').updateJob('zip', { status: 'running' }, { webhookId: 'msg_again' });
    const ok2 = backend.actor('jane').publish(input(2));
    await expect(refused).rejects.toMatchObject({ status: 409 });
    expect((await ok).id).toBe('2');
    expect((await ok2).id).toBe('3');
    const page = await backend.actor('jane').poll(0, 10);
    expect(page.frames.map((f) => JSON.parse(f).type)).toEqual(['job.succeeded', 'n', 'n']);
    close();
  });

  it('reports a failed commit and sends nothing of that turn', async () => {
    const { stats, failures, directory, close } = await open();
    const connection = new Recorder();
    directory.get('kim').hub.open(connection, { after: 0 });
    await turn();
    stats.failNext = true;
    directory.get('kim').hub.publish(input(1));
    await turn();
    expect(failures).toHaveLength(1);
    expect(connection.frames.map((f) => JSON.parse(f).type)).toEqual(['hub.ready']); // the event never went out
    close();
  });

  it('after a slow commit, waits as long again and commits what several turns wrote at once', async () => {
    const { stats, backend, close } = await open();
    await turn();
    stats.slowMs = 5;
    await backend.actor('slow').publish(input(1)); // a commit that takes 5 ms
    stats.slowMs = 0;
    const before = stats.commits;
    const first = backend.actor('slow').publish(input(2));
    await new Promise((resolve) => setImmediate(resolve)); // another turn of the event loop
    const second = backend.actor('slow').publish(input(3));
    expect((await Promise.all([first, second])).map((r) => r.id)).toEqual(['2', '3']);
    expect(stats.commits - before).toBe(1);
    close();
  });
});
