import { DatabaseSync } from 'node:sqlite';
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_LIMITS } from '../../src/core/config.ts';
import { ActorDirectory } from '../../src/standalone/actor-directory.ts';
import { StandaloneBackend } from '../../src/standalone/backend.ts';
import { configure, createSqliteStore, type SqliteDatabase } from '../../src/standalone/sqlite-store.ts';

const directories: ActorDirectory[] = [];
afterEach(() => directories.splice(0).forEach((d) => d.close()));

function open(limits = DEFAULT_LIMITS) {
  const db = new DatabaseSync(':memory:') as unknown as SqliteDatabase;
  configure(db);
  const sql = createSqliteStore(db);
  const directory = new ActorDirectory(sql, { limits, idleMs: 1000, alarmTickMs: 60_000 });
  directories.push(directory);
  const backend = new StandaloneBackend(directory, () => new Response(null));
  return { sql, directory, backend };
}

const input = (i: number) => ({ type: 'n', data: String(i), webhookId: `msg_${i}` });

describe('the in-process actor directory (real SQLite through node:sqlite)', () => {
  it('gives each user one actor and keeps users apart in one database', async () => {
    const { directory, backend } = open();
    expect(directory.get('john')).toBe(directory.get('john'));
    await backend.actor('john').publish(input(1));
    await backend.actor('john').publish(input(2));
    expect(await backend.actor('jane').publish(input(1))).toEqual({ id: '1', delivered: 0 });
    expect((await backend.actor('jane').poll(0, 10)).frames).toHaveLength(1);
    expect((await backend.actor('john').poll(0, 10)).frames).toHaveLength(2);
  });

  it('serializes concurrent calls to one actor: ids are 1..n with no gap or repeat', async () => {
    const { backend } = open();
    const results = await Promise.all(Array.from({ length: 200 }, (_, i) => backend.actor('busy').publish(input(i))));
    expect(results.map((r) => Number(r.id)).sort((a, b) => a - b)).toEqual(Array.from({ length: 200 }, (_, i) => i + 1));
  });

  it('evicts idle actors from memory and reloads their state from SQLite', async () => {
    const { directory, backend } = open();
    await backend.actor('idle').publish(input(1));
    const actor = directory.get('idle');
    directory.evictIdle(Date.now() + 5000);
    expect(directory.size).toBe(0);
    expect(directory.get('idle')).not.toBe(actor);
    expect(await backend.actor('idle').publish(input(2))).toMatchObject({ id: '2' });
    expect(await backend.actor('idle').publish(input(1))).toMatchObject({ id: '1', duplicate: true });
  });

  it('keeps each actor\'s schedule in the database and wakes the actor when a row is due', async () => {
    const { sql, directory, backend } = open({ ...DEFAULT_LIMITS, retentionMaxEvents: 3 });
    for (let i = 0; i < 5; i++) await backend.actor('old').publish(input(i));
    expect(sql.all(`SELECT owner, reason FROM schedule`)).toEqual([{ owner: 'old', reason: 'prune' }]);
    directory.runDueAlarms(Date.now() + 3_600_000);
    const { frames } = await backend.actor('old').poll(0, 10);
    expect(JSON.parse(frames[0]!)).toMatchObject({ type: 'hub.reset', data: { reason: 'not_retained' } });
    expect(frames.slice(1).map((f) => JSON.parse(f).id)).toEqual(['3', '4', '5']);
  });

  it('brings a far-off age alarm back within the prune delay after a write, so the count limit holds', async () => {
    const { sql, directory, backend } = open({ ...DEFAULT_LIMITS, retentionMaxEvents: 3, pruneDelaySeconds: 1 });
    const at = () => sql.all<{ at: number }>(`SELECT at FROM schedule WHERE owner = 'busy' AND reason = 'prune'`)[0]!.at;
    await backend.actor('busy').publish(input(0));
    // The alarm runs; the next one is the age limit, days away.
    directory.runDueAlarms(Date.now() + 2000);
    expect(at()).toBeGreaterThan(Date.now() + 86_400_000);
    for (let i = 1; i < 6; i++) await backend.actor('busy').publish(input(i));
    expect(at()).toBeLessThanOrEqual(Date.now() + 1000);
    directory.runDueAlarms(Date.now() + 2000);
    const { frames } = await backend.actor('busy').poll(0, 10);
    expect(frames.slice(1).map((f) => JSON.parse(f).id)).toEqual(['4', '5', '6']);
  });

  it('rolls back a refused job change: nothing is stored and ids do not move', async () => {
    const { backend } = open();
    await backend.actor('u').updateJob('j', { status: 'succeeded' }, { webhookId: 'msg_a' });
    await expect(backend.actor('u').updateJob('j', { status: 'running' }, { webhookId: 'msg_b' })).rejects.toMatchObject({ status: 409 });
    expect(await backend.actor('u').publish(input(9))).toMatchObject({ id: '2' });
    await expect(backend.actor('u').updateJob('j', { status: 'running' }, { webhookId: 'msg_b' })).rejects.toMatchObject({ status: 409 });
  });
});
