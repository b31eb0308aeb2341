import { env, runDurableObjectAlarm, runInDurableObject } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import type { UserHub } from '../../src/cloudflare/user-hub.ts';
import { uniqueUser } from '../helpers/requests.ts';
import { openSocket, publish } from './clients.ts';

async function publishMany(user: string, count: number) {
  for (let i = 0; i < count; i++) expect((await publish(user, 'n', i)).status).toBe(202);
}

describe('resume and retention', () => {
  it('resumes from any retained id with every later event exactly once, then live', async () => {
    const user = uniqueUser();
    await publishMany(user, 5);
    const socket = await openSocket(user, { after: '2' });
    const replay = await socket.untilReady();
    expect(replay.map((f) => f.id ?? f.type)).toEqual(['3', '4', '5', 'hub.ready']);
    await publish(user, 'live', null);
    expect((await socket.frames.next()).id).toBe('6');
  });

  it('loses nothing published between a disconnect and the resume', async () => {
    const user = uniqueUser();
    const first = await openSocket(user);
    await first.untilReady();
    await publishMany(user, 3);
    const seen = [(await first.frames.next()).id, (await first.frames.next()).id];
    first.ws.close(1000);
    await publishMany(user, 4); // published while the client is away
    const second = await openSocket(user, { after: seen.at(-1) });
    const replay = await second.untilReady();
    const ids = [...seen, ...replay.filter((f) => f.id).map((f) => f.id)];
    expect(ids).toEqual(['1', '2', '3', '4', '5', '6', '7']);
  });

  it('prunes by count in the alarm and sends hub.reset for a resume point no longer retained', async () => {
    const user = uniqueUser();
    const max = Number(env.RETENTION_MAX_EVENTS);
    await publishMany(user, max + 5);
    const stub = env.USER_HUB.getByName(user);
    expect(await runDurableObjectAlarm(stub)).toBe(true);

    const old = await openSocket(user, { after: '1' });
    const replay = await old.untilReady();
    expect(replay[0]).toEqual({
      type: 'hub.reset',
      data: { reason: 'not_retained', after: '1', lastId: String(max + 5) },
    });
    expect(replay.filter((f) => f.id).map((f) => f.id)).toEqual(
      Array.from({ length: max }, (_, i) => String(i + 6)),
    );

    // The oldest point that lost nothing resumes without a reset.
    const edge = await openSocket(user, { after: '5' });
    const edgeReplay = await edge.untilReady();
    expect(edgeReplay[0]!.type).toBe('n');
    expect(edgeReplay[0]!.id).toBe('6');
  });

  it('prunes by age and keeps ids increasing after the log empties', async () => {
    const user = uniqueUser();
    await publishMany(user, 3);
    const stub = env.USER_HUB.getByName(user);
    await runInDurableObject(stub, (_: UserHub, state) => {
      state.storage.sql.exec('UPDATE events SET created_at = created_at - ?', 8 * 86400 * 1000);
    });
    await runDurableObjectAlarm(stub);
    const socket = await openSocket(user, { after: '3' });
    expect(await socket.untilReady()).toEqual([{ type: 'hub.ready', data: { lastId: '3', protocol: 1 } }]);
    expect(await (await publish(user, 'n', 4)).json()).toMatchObject({ id: '4' });
  });

  it('sends hub.reset for a resume point beyond the last id', async () => {
    const user = uniqueUser();
    await publishMany(user, 2);
    const socket = await openSocket(user, { after: '99' });
    const replay = await socket.untilReady();
    expect(replay[0]).toMatchObject({ type: 'hub.reset', data: { reason: 'unknown_id' } });
    expect(replay.filter((f) => f.id).map((f) => f.id)).toEqual(['1', '2']);
  });

  it('schedules pruning with an alarm after a publish', async () => {
    const user = uniqueUser();
    await publishMany(user, 1);
    const stub = env.USER_HUB.getByName(user);
    const alarm = await runInDurableObject(stub, (_: UserHub, state) => state.storage.getAlarm());
    expect(alarm).toBeGreaterThan(Date.now());
  });
});
