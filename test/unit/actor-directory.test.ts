import { DatabaseSync } from 'node:sqlite';
import { json } from '../helpers/wire.ts';
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_LIMITS } from '../../src/core/config.ts';
import { ActorDirectory, sqliteStorage } from '../../src/standalone/actor-directory.ts';
import { StandaloneBackend } from '../../src/standalone/backend.ts';
import { configure, createSqliteStore, type SqliteDatabase } from '../../src/standalone/sqlite-store.ts';

const directories: ActorDirectory[] = [];
afterEach(() => directories.splice(0).forEach((d) => d.close()));

async function open(limits = DEFAULT_LIMITS) {
  const db = new DatabaseSync(':memory:') as unknown as SqliteDatabase;
  configure(db);
  const sql = createSqliteStore(db);
  const directory = new ActorDirectory(sqliteStorage(sql), { limits, idleMs: 1000, alarmTickMs: 60_000 });
  await directory.ready;
  directories.push(directory);
  const backend = new StandaloneBackend(directory, () => new Response(null));
  return { sql, directory, backend };
}

const input = (i: number) => ({ type: 'n', data: json(String(i)), webhookId: `msg_${i}` });

describe('the in-process actor directory (real SQLite through node:sqlite)', () => {
  it('gives each user one actor and keeps users apart in one database', async () => {
    const { directory, backend } = await open();
    expect(directory.get('john')).toBe(directory.get('john'));
    await backend.actor('john').publish(input(1));
    await backend.actor('john').publish(input(2));
    expect(await backend.actor('jane').publish(input(1))).toEqual({ id: '1', delivered: 0 });
    expect((await backend.actor('jane').poll(0, 10)).frames).toHaveLength(1);
    expect((await backend.actor('john').poll(0, 10)).frames).toHaveLength(2);
  });

  it('serializes concurrent calls to one actor: ids are 1..n with no gap or repeat', async () => {
    const { backend } = await open();
    const results = await Promise.all(Array.from({ length: 200 }, (_, i) => backend.actor('busy').publish(input(i))));
    expect(results.map((r) => Number(r.id)).sort((a, b) => a - b)).toEqual(Array.from({ length: 200 }, (_, i) => i + 1));
  });

  it('evicts idle actors from memory and reloads their state from SQLite', async () => {
    const { directory, backend } = await open();
    await backend.actor('idle').publish(input(1));
    const actor = directory.get('idle');
    directory.evictIdle(Date.now() + 5000);
    expect(directory.size).toBe(0);
    expect(directory.get('idle')).not.toBe(actor);
    expect(await backend.actor('idle').publish(input(2))).toMatchObject({ id: '2' });
    expect(await backend.actor('idle').publish(input(1))).toMatchObject({ id: '1', duplicate: true });
  });

  it('keeps each actor\'s schedule in the database and wakes the actor when a row is due', async () => {
    const { sql, directory, backend } = await open({ ...DEFAULT_LIMITS, retentionMaxEvents: 3 });
    for (let i = 0; i < 5; i++) await backend.actor('old').publish(input(i));
    expect((await sql.all(`SELECT owner, reason FROM schedule`))).toEqual([{ owner: 'old', reason: 'prune' }]);
    await directory.runDueAlarms(Date.now() + 3_600_000);
    const { frames } = await backend.actor('old').poll(0, 10);
    expect(JSON.parse(frames[0]!)).toMatchObject({ type: 'hub.reset', data: { reason: 'not_retained' } });
    expect(frames.slice(1).map((f) => JSON.parse(f).id)).toEqual(['3', '4', '5']);
  });

  it('asks for no earlier prune while the log is within the count limit: one schedule write per prune cycle, not per publish', async () => {
    const { sql, directory, backend } = await open({ ...DEFAULT_LIMITS, retentionMaxEvents: 10, pruneDelaySeconds: 1 });
    const at = async () => (await sql.all<{ at: number }>(`SELECT at FROM schedule WHERE owner = 'quiet' AND reason = 'prune'`))[0]!.at;
    await backend.actor('quiet').publish(input(0));
    // Due when the first write ages out (the dedupe TTL, sooner than the retention age), not a minute later.
    const first = (await at());
    expect(first).toBeGreaterThan(Date.now() + (DEFAULT_LIMITS.dedupeTtlSeconds - 60) * 1000);
    for (let i = 1; i < 10; i++) await backend.actor('quiet').publish(input(i));
    expect((await at())).toBe(first);
    await directory.runDueAlarms(Date.now() + 2000);
    expect((await at())).toBe(first);
  });

  it('brings a far-off age alarm back within the prune delay after a write, so the count limit holds', async () => {
    const { sql, directory, backend } = await open({ ...DEFAULT_LIMITS, retentionMaxEvents: 3, pruneDelaySeconds: 1 });
    const at = async () => (await sql.all<{ at: number }>(`SELECT at FROM schedule WHERE owner = 'busy' AND reason = 'prune'`))[0]!.at;
    await backend.actor('busy').publish(input(0));
    // The alarm runs; the next one is the age limit, days away.
    await directory.runDueAlarms(Date.now() + 2000);
    expect((await at())).toBeGreaterThan(Date.now() + 86_400_000);
    for (let i = 1; i < 6; i++) await backend.actor('busy').publish(input(i));
    expect((await at())).toBeLessThanOrEqual(Date.now() + 1000);
    await directory.runDueAlarms(Date.now() + 2000);
    const { frames } = await backend.actor('busy').poll(0, 10);
    expect(frames.slice(1).map((f) => JSON.parse(f).id)).toEqual(['4', '5', '6']);
  });

  it('rolls back a refused job change: nothing is stored and ids do not move', async () => {
    const { backend } = await open();
    await backend.actor('u').updateJob('j', { status: 'succeeded' }, { webhookId: 'msg_a' });
    await expect(backend.actor('u').updateJob('j', { status: 'running' }, { webhookId: 'msg_b' })).rejects.toMatchObject({ status: 409 });
    expect(await backend.actor('u').publish(input(9))).toMatchObject({ id: '2' });
    await expect(backend.actor('u').updateJob('j', { status: 'running' }, { webhookId: 'msg_b' })).rejects.toMatchObject({ status: 409 });
  });

  it('drains a backlog of due prunes in one tick within its budget, and the rest in the next', async () => {
    const { sql, directory } = await open({ ...DEFAULT_LIMITS, retentionMaxEvents: 1 });
    // 3,000 users whose prune is overdue (written as a restart would find them).
    await sql.transaction(async () => {
      for (let i = 0; i < 3000; i++) await sql.run(`INSERT INTO schedule (owner, reason, at) VALUES (?, 'prune', 0)`, `u${i}`);
    });
    const due = async () => (await sql.all<{ n: number }>(`SELECT count(*) AS n FROM schedule WHERE at <= ?`, Date.now()))[0]!.n;
    // Before, one tick woke at most 100; now it goes on until none is due or the budget is spent.
    expect((await directory.runDueAlarms(Date.now(), 10_000))).toBe(3000);
    expect((await due())).toBe(0);
    for (let i = 0; i < 500; i++) (await sql.run(`INSERT INTO schedule (owner, reason, at) VALUES (?, 'prune', 0)`, `v${i}`));
    const first = (await directory.runDueAlarms(Date.now(), 0)); // a spent budget stops after one batch
    expect(first).toBe(100);
    expect((await due())).toBe(400);
    // Actors loaded only for their alarm leave memory at the next eviction.
    directory.evictIdle(Date.now());
    expect(directory.size).toBe(0);
  });

  it('prunes spent-ticket rows for a user who never gets a publish', async () => {
    const { sql, directory } = await open();
    const hub = directory.get('connects-only').hub;
    const exp = Math.floor(Date.now() / 1000) + 30;
    const connection = { transport: 'poll' as const, identity: {}, session: undefined, send: () => true, close: () => {} };
    for (let i = 0; i < 5; i++) {
      await hub.open(connection, { redeem: { nonce: `nonce-${i}`.padEnd(22, 'x'), exp } });
      hub.closed(connection);
    }
    expect((await sql.all(`SELECT reason FROM schedule WHERE owner = 'connects-only'`))).toEqual([{ reason: 'prune' }]);
    await directory.runDueAlarms(exp * 1000 + 1);
    expect((await sql.all(`SELECT nonce FROM tickets WHERE owner = 'connects-only'`))).toEqual([]);
  });

  it('never prunes a running job for the count, and a job pruned and created again goes on above its old version', async () => {
    const { backend, directory } = await open({ ...DEFAULT_LIMITS, retentionMaxEvents: 2 });
    const actor = backend.actor('jobs');
    await actor.updateJob('long', { status: 'running' }, { webhookId: 'msg_long' });
    for (let i = 0; i < 4; i++) {
      await actor.updateJob(`done-${i}`, { status: 'queued' }, { webhookId: `msg_q${i}` });
      await actor.updateJob(`done-${i}`, { status: 'succeeded' }, { webhookId: `msg_s${i}` });
    }
    directory.get('jobs').hub.prune(Date.now());
    const kept = (await actor.listJobs(undefined, 100)).map((job) => JSON.parse(job).id).sort();
    expect(kept).toEqual(['done-2', 'done-3', 'long']);
    await actor.updateJob('done-0', { status: 'queued' }, { webhookId: 'msg_again' });
    expect(JSON.parse((await actor.getJob('done-0'))!).version).toBe(3); // done-0 had reached 2
  });

  it('refuses at the actor what the routes refuse, for a caller that skipped them', async () => {
    const { directory } = await open({ ...DEFAULT_LIMITS, maxEventBytes: 1024 });
    const hub = directory.get('direct').hub;
    const refused = (call: () => Promise<unknown>) => expect(call()).rejects.toMatchObject({ status: 400 });
    await refused(() => hub.publish({ type: 'hub.ready', data: json('1'), webhookId: 'msg_1' }));
    await refused(() => hub.publish({ type: 'bad type', data: json('1'), webhookId: 'msg_2' }));
    await refused(() => hub.publish({ type: 'ok', data: json('x'.repeat(2000)), webhookId: 'msg_3' }));
    await refused(() => hub.publish({ type: 'ok', data: json(''), webhookId: 'msg_4' }));
    await refused(() => hub.updateJob('bad id!', { status: 'queued' }, { webhookId: 'msg_5' }));
    await refused(() => hub.updateJob('ok', { status: 'exploded' as 'queued' }, { webhookId: 'msg_6' }));
    const stranger = { transport: 'carrier-pigeon' as 'poll', identity: {}, session: undefined, send: () => true, close: () => {} };
    await refused(() => hub.open(stranger));
    expect((await hub.stats())).toMatchObject({ lastEventId: '0', retainedEvents: 0, connections: { websocket: 0, sse: 0, poll: 0 } });
  });
});
