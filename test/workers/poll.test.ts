import { env } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { uniqueUser } from '../helpers/requests.ts';
import { clientGet, eventually, openSocket, openSse, publish, putJob } from './clients.ts';
import { tokenFor } from '../helpers/requests.ts';

interface PollBody {
  events: Array<{ id?: string; type: string; data: unknown }>;
  lastId: string;
  more: boolean;
}

const poll = async (user: string, query: string, init?: RequestInit) => {
  const response = await clientGet(user, `/v1/poll${query}`, init);
  expect(response.status).toBe(200);
  return { body: (await response.json()) as PollBody, timedOut: response.headers.get('Hub-Timed-Out') };
};

describe('polling the event stream', () => {
  it('short-polls events after a resume point, a page at a time', async () => {
    const user = uniqueUser();
    for (let i = 0; i < 5; i++) await publish(user, 'n', i);
    const page1 = await poll(user, '?after=0&limit=2');
    expect(page1.body.events.map((e) => e.id)).toEqual(['1', '2']);
    expect(page1.body).toMatchObject({ lastId: '2', more: true });
    const page2 = await poll(user, `?after=${page1.body.lastId}&limit=2`);
    expect(page2.body.events.map((e) => e.id)).toEqual(['3', '4']);
    const page3 = await poll(user, `?after=${page2.body.lastId}&limit=2`);
    expect(page3.body).toMatchObject({ lastId: '5', more: false });
    expect(page3.body.events[0]).toMatchObject({ id: '5', type: 'n', data: 4 });
    const empty = await poll(user, '?after=5');
    expect(empty.body).toEqual({ events: [], lastId: '5', more: false });
  });

  it('starts from now without a resume point', async () => {
    const user = uniqueUser();
    await publish(user, 'old', 1);
    expect((await poll(user, '')).body).toEqual({ events: [], lastId: '1', more: false });
  });

  it('applies the same reset rule as the streams', async () => {
    const user = uniqueUser();
    await publish(user, 'n', 1);
    const { body } = await poll(user, '?after=9');
    expect(body.events[0]).toMatchObject({ type: 'hub.reset', data: { reason: 'unknown_id' } });
    expect(body.events[1]).toMatchObject({ id: '1' });
    expect(body.lastId).toBe('1');
  });

  it('releases a parked long poll the moment an event arrives', async () => {
    const user = uniqueUser();
    const started = Date.now();
    const parked = poll(user, '?after=0&wait=20');
    await eventually(async () => (await env.USER_HUB.getByName(user).connections()).poll === 1);
    await publish(user, 'wake', { up: true });
    const { body, timedOut } = await parked;
    expect(Date.now() - started).toBeLessThan(5000);
    expect(timedOut).toBeNull();
    expect(body).toMatchObject({ events: [{ id: '1', type: 'wake', data: { up: true } }], lastId: '1' });
    await eventually(async () => (await env.USER_HUB.getByName(user).connections()).poll === 0);
  });

  it('answers an expired long poll with no events and a timed-out header', async () => {
    const user = uniqueUser();
    const started = Date.now();
    const { body, timedOut } = await poll(user, '?after=0&wait=0.3');
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
    expect(timedOut).toBe('true');
    expect(body).toEqual({ events: [], lastId: '0', more: false });
    await eventually(async () => (await env.USER_HUB.getByName(user).connections()).poll === 0);
  });

  it('leaves nothing behind when the client goes away while parked', async () => {
    const user = uniqueUser();
    const controller = new AbortController();
    const parked = clientGet(user, '/v1/poll?after=0&wait=25', { signal: controller.signal }).catch(() => null);
    const stub = env.USER_HUB.getByName(user);
    await eventually(async () => (await stub.connections()).poll === 1);
    controller.abort();
    await parked;
    await eventually(async () => (await stub.connections()).poll === 0, 5000);
  });

  it('delivers the same event once each to WebSocket, SSE and long-poll clients', async () => {
    const user = uniqueUser();
    const socket = await openSocket(user);
    const sse = await openSse('/v1/events', { headers: { Authorization: `Bearer ${await tokenFor(user)}` } });
    await socket.untilReady();
    await sse.untilReady();
    const parked = poll(user, '?after=0&wait=20');
    await eventually(async () => (await env.USER_HUB.getByName(user).connections()).poll === 1);
    expect(await (await publish(user, 'all', 1)).json()).toMatchObject({ id: '1', delivered: 3 });
    expect((await socket.frames.next()).id).toBe('1');
    expect((await sse.nextEvent()).id).toBe('1');
    expect((await parked).body.events.map((e) => e.id)).toEqual(['1']);
    await publish(user, 'next', 2);
    expect((await socket.frames.next()).id).toBe('2');
    expect((await sse.nextEvent()).id).toBe('2');
    await sse.cancel();
  });

  it('refuses bad poll parameters with 400', async () => {
    const user = uniqueUser();
    for (const query of ['?wait=abc', '?wait=31', '?wait=-1', '?after=-1', '?after=x', '?limit=101', '?limit=0']) {
      const response = await clientGet(user, `/v1/poll${query}`);
      expect(response.status, query).toBe(400);
      expect(await response.json()).toMatchObject({ error: { code: 'invalid_request' } });
    }
  });
});

describe('long-polling a job', () => {
  it('answers at once when the version is already above ?version=', async () => {
    const user = uniqueUser();
    await putJob(user, 'j', { status: 'queued' });
    await putJob(user, 'j', { status: 'running' });
    const response = await clientGet(user, '/v1/jobs/j?wait=20&version=1');
    expect(await response.json()).toMatchObject({ status: 'running', version: 2 });
  });

  it('is released the moment the job changes', async () => {
    const user = uniqueUser();
    await putJob(user, 'j', { status: 'running' });
    const started = Date.now();
    const parked = clientGet(user, '/v1/jobs/j?wait=20&version=1');
    await eventually(async () => (await env.USER_HUB.getByName(user).connections()).job === 1);
    await putJob(user, 'j', { status: 'succeeded', result: { ok: 1 } });
    const response = await parked;
    expect(Date.now() - started).toBeLessThan(5000);
    expect(response.headers.get('Hub-Timed-Out')).toBeNull();
    expect(await response.json()).toMatchObject({ status: 'succeeded', result: { ok: 1 }, version: 2 });
    await eventually(async () => (await env.USER_HUB.getByName(user).connections()).job === 0);
  });

  it('waits for a job that does not exist yet', async () => {
    const user = uniqueUser();
    const parked = clientGet(user, '/v1/jobs/later?wait=20');
    await eventually(async () => (await env.USER_HUB.getByName(user).connections()).job === 1);
    await putJob(user, 'later', { status: 'queued' });
    expect(await (await parked).json()).toMatchObject({ id: 'later', version: 1 });
  });

  it('times out with the unchanged job and a header, or 404 for a job that never came', async () => {
    const user = uniqueUser();
    await putJob(user, 'j', { status: 'running' });
    const response = await clientGet(user, '/v1/jobs/j?wait=0.3&version=1');
    expect(response.headers.get('Hub-Timed-Out')).toBe('true');
    expect(await response.json()).toMatchObject({ status: 'running', version: 1 });
    expect((await clientGet(user, '/v1/jobs/none?wait=0.2')).status).toBe(404);
  });

  it('refuses bad wait and version with 400', async () => {
    const user = uniqueUser();
    for (const query of ['?wait=x', '?wait=60', '?version=-1', '?version=a']) {
      expect((await clientGet(user, `/v1/jobs/j${query}`)).status, query).toBe(400);
    }
  });
});
