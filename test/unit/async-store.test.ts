// The actor over a store whose every call completes later (as PostgreSQL
// would): calls made at the same moment still run one at a time, so a stream
// opened while events are being published gets each event once, in order,
// and a refused write leaves nothing behind.

import { DatabaseSync } from 'node:sqlite';
import { describe, expect, it } from 'vitest';
import type { Outgoing } from '../../src/core/actor/frames.ts';
import { Hub } from '../../src/core/actor/hub.ts';
import type { Connection, Session, SqlStore, Transport } from '../../src/core/actor/ports.ts';
import { migrate } from '../../src/core/actor/schema.ts';
import { DEFAULT_LIMITS } from '../../src/core/config.ts';
import { MemoryConnectionSet } from '../../src/standalone/memory-connections.ts';
import { configure, createSqliteStore, type SqliteDatabase } from '../../src/standalone/sqlite-store.ts';
import { deferringStore } from '../helpers/deferring-store.ts';
import { json } from '../helpers/wire.ts';

class Recording implements Connection {
  readonly identity = this;
  session: Session | undefined;
  readonly frames: Array<{ id?: string; type: string }> = [];
  readonly transport: Transport;
  constructor(transport: Transport) {
    this.transport = transport;
  }
  send(message: Outgoing): boolean {
    this.frames.push(JSON.parse(message.json) as { id?: string; type: string });
    return true;
  }
  close(): void {}
}

async function actor(limits = DEFAULT_LIMITS) {
  const db = new DatabaseSync(':memory:') as unknown as SqliteDatabase;
  configure(db);
  const sql = deferringStore(db);
  await migrate(sql);
  return { hub: new Hub(sql, new MemoryConnectionSet(), limits), sql };
}

const publish = (hub: Hub, i: number) => hub.publish({ type: 'n', data: json(String(i)), webhookId: `msg_${i}` });

describe('the actor over a store that answers later', () => {
  it('opens streams in the middle of a burst of publishes: every event once, in order, replay then live', async () => {
    const { hub } = await actor();
    await Promise.all([1, 2, 3].map((i) => publish(hub, i)));
    const streams = Array.from({ length: 4 }, () => new Recording('websocket'));
    // Everything at once: the publishes and the opens race at every await of the store.
    await Promise.all([
      ...Array.from({ length: 20 }, (_, i) => publish(hub, i + 4)),
      ...streams.map((stream, i) => hub.open(stream, { after: i })),
    ]);
    for (const [i, stream] of streams.entries()) {
      const ids = stream.frames.filter((frame) => frame.id !== undefined).map((frame) => Number(frame.id));
      expect(ids, `stream from ${i}`).toEqual(Array.from({ length: 23 - i }, (_, k) => i + 1 + k));
      expect(stream.frames.filter((frame) => frame.type === 'hub.ready')).toHaveLength(1);
    }
  });

  it('gives concurrent publishes consecutive ids and answers each webhook-id once', async () => {
    const { hub } = await actor();
    const results = await Promise.all([...Array.from({ length: 30 }, (_, i) => publish(hub, i)), publish(hub, 3), publish(hub, 7)]);
    expect(results.slice(0, 30).map((result) => Number(result.id))).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));
    expect(results.slice(30)).toEqual([
      { id: '4', delivered: 0, duplicate: true },
      { id: '8', delivered: 0, duplicate: true },
    ]);
    expect((await hub.poll(0, 100)).lastId).toBe('30');
  });

  it('reads what it keeps in memory again after a rollback: a failed write leaves no schedule the store does not have', async () => {
    const db = new DatabaseSync(':memory:') as unknown as SqliteDatabase;
    configure(db);
    const base = createSqliteStore(db);
    let failDedupe = false;
    // The host's store, except that the first dedupe write fails (a full disk, say).
    const sql: SqlStore = {
      singleWriter: true,
      all: base.all,
      transaction: base.transaction,
      run: (text, ...params) => {
        if (failDedupe && text.startsWith('INSERT INTO dedupe')) {
          failDedupe = false;
          return Promise.reject(new Error('disk I/O error'));
        }
        return base.run(text, ...params);
      },
    };
    await migrate(sql);
    failDedupe = true;
    const hub = new Hub(sql, new MemoryConnectionSet(), DEFAULT_LIMITS);
    await expect(publish(hub, 1)).rejects.toThrow('disk I/O error');
    expect(await sql.all('SELECT id FROM events')).toEqual([]);
    expect(await publish(hub, 2)).toEqual({ id: '1', delivered: 0 });
    // The prune the failed write asked for was rolled back with it; the next write asks again.
    expect(await sql.all(`SELECT reason FROM schedule`)).toEqual([{ reason: 'prune' }]);
  });

  it('rolls a refused write back whole: a notification too large stores no item and no event', async () => {
    const { hub, sql } = await actor({ ...DEFAULT_LIMITS, maxEventBytes: 100 });
    await expect(hub.notify({ type: 'big', title: 'x'.repeat(9000), webhookId: 'msg_big' })).rejects.toMatchObject({ status: 400 });
    expect(await sql.all('SELECT id FROM inbox')).toEqual([]);
    expect(await sql.all('SELECT id FROM events')).toEqual([]);
    expect(await hub.publish({ type: 'n', data: json('1'), webhookId: 'msg_next' })).toEqual({ id: '1', delivered: 0 });
  });
});
