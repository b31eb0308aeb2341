// The actor on PostgreSQL, as cluster nodes run it: the dialect the SQLite
// statements are translated to, and two actors of one user on two pools (two
// nodes in one process) writing at once, each telling the other what it
// committed, with half of those messages lost on the way. Ids stay
// consecutive, a stream on either node gets every event once and in order
// (what was lost is filled from the log), and the inbox, jobs and
// revocation run on the same tables as on SQLite.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Outgoing } from '../../src/core/actor/frames.ts';
import { Hub, type Peers } from '../../src/core/actor/hub.ts';
import type { ReceiptSender } from '../../src/core/actor/receipts.ts';
import { LEASE_MS } from '../../src/core/actor/schedule.ts';
import type { Connection, Session, Transport } from '../../src/core/actor/ports.ts';
import { DEFAULT_LIMITS } from '../../src/core/config.ts';
import { databaseName, readStandaloneOptions } from '../../src/standalone/host.ts';
import { MemoryConnectionSet } from '../../src/standalone/memory-connections.ts';
import { createPostgresStorage, toPostgres, type PostgresStorage } from '../../src/standalone/postgres-store.ts';
import { haveEngines, startPostgres, type Engine } from '../hosts/engines.ts';
import { TEST_VARS } from '../helpers/test-vars.ts';
import { eventually, json } from '../helpers/wire.ts';

describe('the SQLite statements in PostgreSQL', () => {
  it('numbers parameters as SQLite does, and translates what PostgreSQL spells differently', () => {
    expect(toPostgres('SELECT a FROM t WHERE owner = ? AND id > ? LIMIT ?')).toBe('SELECT a FROM t WHERE owner = $1 AND id > $2 LIMIT $3');
    expect(toPostgres('UPDATE t SET a = ?3 WHERE owner = ?1 AND b = ?2')).toBe('UPDATE t SET a = $3 WHERE owner = $1 AND b = $2');
    expect(toPostgres('SELECT ?2, ?')).toBe('SELECT $2, $3');
    expect(toPostgres('INSERT OR IGNORE INTO t (a) VALUES (?)')).toBe('INSERT INTO t (a) VALUES ($1) ON CONFLICT DO NOTHING');
    expect(toPostgres('INSERT OR IGNORE INTO t (a) VALUES (?) RETURNING a')).toBe('INSERT INTO t (a) VALUES ($1) ON CONFLICT DO NOTHING RETURNING a');
    expect(toPostgres('DELETE FROM t WHERE id IN (SELECT value FROM json_each(?2))')).toBe('DELETE FROM t WHERE id IN (SELECT value::bigint FROM json_array_elements_text($2::text::json))');
    expect(toPostgres('SELECT id FROM t ORDER BY id LIMIT -1 OFFSET ?')).toBe('SELECT id FROM t ORDER BY id LIMIT ALL OFFSET $1');
  });

  it('names a cluster node\'s database without its password, even a URL only the driver parses', () => {
    const options = (databaseUrl: string) => ({ ...readStandaloneOptions({ ...TEST_VARS, HOST: '127.0.0.1' }), cluster: { databaseUrl, redisUrl: 'redis://h' } });
    expect(databaseName(options('postgres://u:secret@db:5432/app'))).toBe('postgres://db:5432/app');
    expect(databaseName(options('postgres://u:p#ss@db/app'))).not.toMatch(/p#ss|secret/);
  });

  it('starts a cluster node only with both engines', () => {
    const vars = { ...TEST_VARS, HOST: '127.0.0.1' };
    expect(() => readStandaloneOptions({ ...vars, DATABASE_URL: 'postgres://h/db' })).toThrow(/REDIS_URL/);
    expect(() => readStandaloneOptions({ ...vars, REDIS_URL: 'redis://h' })).toThrow(/REDIS_URL/);
    expect(() => readStandaloneOptions({ ...vars, DATABASE_URL: 'mysql://h/db', REDIS_URL: 'redis://h' })).toThrow(/postgres/);
    expect(readStandaloneOptions({ ...vars, DATABASE_URL: 'postgres://h/db', REDIS_URL: 'redis://h' }).cluster).toEqual({ databaseUrl: 'postgres://h/db', redisUrl: 'redis://h' });
    expect(readStandaloneOptions(vars).cluster).toBeUndefined();
  });
});

class Recording implements Connection {
  readonly identity = this;
  session: Session | undefined;
  readonly ids: number[] = [];
  readonly closed: number[] = [];
  readonly transport: Transport = 'websocket';
  send(message: Outgoing): boolean {
    if (message.kind === 'event') this.ids.push(message.row.id);
    return true;
  }
  close(code: number): void {
    this.closed.push(code);
  }
}

let postgres: Engine;
const pools: PostgresStorage[] = [];

beforeAll(async () => {
  if (haveEngines()) postgres = await startPostgres();
}, 60_000);

afterAll(async () => {
  await Promise.all(pools.map((pool) => pool.close()));
  await postgres?.stop();
});

/** Two nodes' actors of one user; each tells the other what it committed, dropping every other message when `lossy`. */
function twoNodes(userId: string, lossy: boolean, options: { receipts?: [ReceiptSender, ReceiptSender] } = {}) {
  const [one, two] = [createPostgresStorage(postgres.url, { max: 4 }), createPostgresStorage(postgres.url, { max: 4 })];
  pools.push(one, two);
  const hubs: Hub[] = [];
  let sent = 0;
  const peersOf = (other: () => Hub): Peers => ({
    event: (row) => void (!lossy || sent++ % 2 === 0 ? other().relay(row) : undefined),
    job: (jobId, json) => void other().relayJob(jobId, json),
    ended: (code, reason) => void other().relayEnded(code, reason),
    count: async () => ({ websocket: 0, sse: 0, poll: 0, job: 0 }),
    announce: async () => {},
  });
  const receipts = (i: 0 | 1) => (options.receipts ? { receipts: { userId, retrySeconds: 3600, send: options.receipts[i] } } : {});
  hubs.push(new Hub(one.storeFor(userId), new MemoryConnectionSet(), DEFAULT_LIMITS, { owner: userId, ready: one.ready, peers: peersOf(() => hubs[1]!), ...receipts(0) }));
  hubs.push(new Hub(two.storeFor(userId), new MemoryConnectionSet(), DEFAULT_LIMITS, { owner: userId, ready: two.ready, peers: peersOf(() => hubs[0]!), ...receipts(1) }));
  return hubs as [Hub, Hub];
}

const publish = (hub: Hub, i: number) => hub.publish({ type: 'n', data: json(String(i)), webhookId: `msg_${i}` });

describe.skipIf(!haveEngines())('two nodes of one user on PostgreSQL', () => {
  it('gives concurrent publishes on both nodes consecutive ids, and each stream every event once, in order, lost messages filled from the log', { timeout: 60_000 }, async () => {
    const [a, b] = twoNodes('pg-order', true);
    const [onA, onB] = [new Recording(), new Recording()];
    await a.open(onA, {});
    await b.open(onB, {});
    const results = await Promise.all(Array.from({ length: 60 }, (_, i) => publish(i % 2 ? a : b, i)));
    const ids = results.map((result) => Number(result.id)).sort((x, y) => x - y);
    expect(ids).toEqual(Array.from({ length: 60 }, (_, i) => i + 1));
    await a.catchUp();
    await b.catchUp(); // the periodic check of a cluster node
    expect(onA.ids).toEqual(ids);
    expect(onB.ids).toEqual(ids);
  });

  it('lets a timer started inside a transaction use the store after the commit, outside it', async () => {
    const storage = createPostgresStorage(postgres.url, { max: 2 });
    pools.push(storage);
    const store = storage.storeFor('pg-timer');
    let later: Promise<unknown> | undefined;
    await store.transaction(async () => {
      await store.run(`INSERT INTO meta (owner, key, value) VALUES (?, 'k', 1)`, 'pg-timer');
      later = new Promise((resolve) => setTimeout(resolve, 20)).then(() => store.all(`SELECT value FROM meta WHERE owner = ? AND key = 'k'`, 'pg-timer'));
    });
    expect(await later).toEqual([{ value: 1 }]); // not run on the committed transaction (which would refuse it)
    let nested: Promise<unknown> | undefined;
    await store.transaction(async () => {
      nested = new Promise((resolve) => setTimeout(resolve, 20)).then(() => store.transaction(() => store.run(`UPDATE meta SET value = 2 WHERE owner = ? AND key = 'k'`, 'pg-timer')));
    });
    await nested; // a transaction of its own, with the lock
    expect(await store.all(`SELECT value FROM meta WHERE owner = ? AND key = 'k'`, 'pg-timer')).toEqual([{ value: 2 }]);
  });

  it('answers a webhook-id retried on the other node from the first write', async () => {
    const [a, b] = twoNodes('pg-dedupe', false);
    const first = await publish(a, 1);
    expect(await publish(b, 1)).toMatchObject({ id: first.id, duplicate: true });
  });

  it('keeps the inbox, jobs and revocation on the same tables as SQLite', async () => {
    const [a, b] = twoNodes('pg-features', false);
    await a.notify({ type: 'mention', title: 'Hi', webhookId: 'n1' });
    await b.notify({ type: 'mention', title: 'Again', collapseKey: 'k', webhookId: 'n2' });
    const listing = await b.listInbox('all', undefined, 10);
    expect(listing.items).toHaveLength(2);
    expect(listing.counts).toMatchObject({ unread: 2, total: 2 });
    const ids = listing.items.map((item) => Number((JSON.parse(item) as { id: string }).id));
    expect(await a.changeInbox('read', { ids })).toMatchObject({ counts: { unread: 0 } });
    const job = await b.updateJob('j1', { status: 'running', progress: 0.5 }, { webhookId: 'j-1' });
    expect(JSON.parse(job.job)).toMatchObject({ status: 'running', progress: 0.5 });
    expect(JSON.parse((await a.getJob('j1'))!)).toMatchObject({ status: 'running' });
    const stream = new Recording();
    await b.open(stream, { credential: { userId: 'pg-features', expiresAt: Date.now() + 60_000, issuedAt: Math.floor(Date.now() / 1000) - 10 } });
    await a.endSessions({ revoke: true });
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(stream.closed).toEqual([4503]);
    await expect(b.admit({ userId: 'pg-features', expiresAt: Date.now() + 60_000, issuedAt: Math.floor(Date.now() / 1000) - 10 })).rejects.toMatchObject({ code: 'unauthorized' });
  });

  it('sends a due receipt once when both nodes wake at once, and again, with its webhook-id, after the lease of a node that died sending it', { timeout: 30_000 }, async () => {
    const sent: [number, string][] = [];
    let answer!: (ok: boolean) => void;
    const slow = new Promise<boolean>((resolve) => (answer = resolve));
    // Node 0 sends slowly (then never answers: it died); node 1 answers at once.
    const dies: ReceiptSender = async (id) => (sent.push([0, id]), slow);
    const answers: ReceiptSender = async (id) => (sent.push([1, id]), true);
    const [a, b] = twoNodes('pg-receipts', false, { receipts: [dies, answers] });
    await a.notify({ type: 'mention', title: 'Hi', webhookId: 'r1' });
    await a.changeInbox('read', { ids: [1] });
    const now = Date.now();
    const dying = await a.wake(now);
    await eventually(() => sent.length === 2);
    const first = sent.map(([, id]) => id).sort();
    expect(first).toEqual(['rcpt_read_1_pg-receipts', 'rcpt_seen_1_pg-receipts']);
    // While node 0 is sending, another item is read: node 1's round sends its receipts only, not node 0's claimed ones.
    const again = Number((await b.notify({ type: 'mention', title: 'Again', webhookId: 'r2' })).id);
    await b.changeInbox('read', { ids: [again] });
    await (await b.wake(Date.now())).sent;
    expect(sent.slice(2).map(([node, id]) => `${node} ${id}`).sort()).toEqual([`1 rcpt_read_${again}_pg-receipts`, `1 rcpt_seen_${again}_pg-receipts`]);
    // Node 0 never answers (it died). Before its lease ends node 1 sends nothing more; after it, node 1 sends them again.
    await (await b.wake(now + LEASE_MS - 1000)).sent;
    expect(sent).toHaveLength(4);
    await (await b.wake(now + LEASE_MS + 1000)).sent;
    expect(sent.slice(4).map(([node]) => node)).toEqual([1, 1]);
    expect(sent.slice(4).map(([, id]) => id).sort()).toEqual(first); // the same webhook-ids: the receiver dedupes them
    answer(false); // the dead node's round settles late: it must not bring the delivered receipts back
    await dying.sent;
    await (await b.wake(now + 2 * LEASE_MS + 10 * 60_000)).sent;
    expect(sent).toHaveLength(6);
  });

  it('skips a due user whose lock another node holds when it looks for due rows, and finds it once the lock is released', async () => {
    const storage = createPostgresStorage(postgres.url, { max: 3 });
    pools.push(storage);
    const store = storage.storeFor('pg-due');
    await store.transaction(() => store.run(`INSERT INTO schedule (owner, reason, at) VALUES (?, 'prune', 1)`, 'pg-due'));
    expect(await storage.due(Date.now(), 100)).toContain('pg-due');
    let release!: () => void;
    const held = store.transaction(() => new Promise<void>((resolve) => (release = resolve)));
    await new Promise((resolve) => setTimeout(resolve, 100)); // the lock is taken
    expect(await storage.due(Date.now(), 100)).not.toContain('pg-due'); // not waited for
    release();
    await held;
    expect(await storage.due(Date.now(), 100)).toContain('pg-due');
  });
});
