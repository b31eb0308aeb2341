import { describe, expect, it } from 'vitest';
import { json } from '../helpers/wire.ts';
import { env } from 'cloudflare:test';
import { uniqueUser } from '../helpers/requests.ts';
import { clientGet, openSocket, openSse, signedCall } from './clients.ts';
import { tokenFor } from '../helpers/requests.ts';

describe('presence', () => {
  it('counts a user’s connections by transport, for signed requests only', async () => {
    const user = uniqueUser();
    const presence = async () => (await signedCall('GET', `/v1/users/${user}/presence`)).json();
    expect(await presence()).toEqual({ online: false, connections: { websocket: 0, sse: 0, poll: 0 } });
    const socket = await openSocket(user);
    await socket.untilReady();
    const sse = await openSse('/v1/events', { headers: { Authorization: `Bearer ${await tokenFor(user)}` } });
    await sse.untilReady();
    expect(await presence()).toEqual({ online: true, connections: { websocket: 1, sse: 1, poll: 0 } });
    await sse.cancel();
    socket.ws.close();

    const unsigned = await clientGet(user, `/v1/users/${user}/presence`);
    expect(unsigned.status).toBe(401);
    const wrongSecret = await signedCall('GET', `/v1/users/${user}/presence`, undefined, {
      secret: 'whsec_d3Jvbmctc2VjcmV0LXdyb25nLXNlY3JldA==',
    });
    expect(wrongSecret.status).toBe(401);
  });
});

describe('batch publish', () => {
  it('routes one event to each named user’s actor with a per-user result', async () => {
    const [a, b, c] = [uniqueUser(), uniqueUser(), uniqueUser()];
    const sa = await openSocket(a);
    const sb = await openSocket(b);
    await sa.untilReady();
    await sb.untilReady();
    const response = await signedCall('POST', '/v1/events:batch', { userIds: [a, b, c, a], type: 'news', data: { n: 1 } }, { webhookId: 'msg_batch' });
    expect(response.status).toBe(202);
    expect(await response.json()).toEqual({
      results: [
        { userId: a, id: '1', delivered: 1 },
        { userId: b, id: '1', delivered: 1 },
        { userId: c, id: '1', delivered: 0 },
      ],
    });
    expect(await sa.frames.next()).toMatchObject({ type: 'news', data: { n: 1 } });
    expect(await sb.frames.next()).toMatchObject({ type: 'news' });

    const again = await signedCall('POST', '/v1/events:batch', { userIds: [a], type: 'news', data: { n: 1 } }, { webhookId: 'msg_batch' });
    expect(await again.json()).toEqual({ results: [{ userId: a, id: '1', delivered: 1, duplicate: true }] });
  });

  it('refuses a batch over 1,000 users, with a bad user id, or empty, with 400', async () => {
    const many = Array.from({ length: 1001 }, (_, i) => `u${i}`);
    for (const userIds of [many, ['ok', 'bad user'], []]) {
      const response = await signedCall('POST', '/v1/events:batch', { userIds, type: 'x' });
      expect(response.status).toBe(400);
      expect(await response.json()).toMatchObject({ error: { code: 'invalid_request' } });
    }
  });
});

describe('the actor’s one RPC method', () => {
  it('runs the actor’s calls by name and refuses any other name, running nothing', async () => {
    const user = uniqueUser();
    const stub = env.USER_HUB.getByName(user);
    const published = await stub.call('publish', [{ type: 'n', data: json('1'), webhookId: 'msg_rpc' }]);
    expect(published).toEqual({ ok: true, value: { id: '1', delivered: 0 } });
    for (const name of ['prune', 'wake', 'open', 'constructor', 'toString']) {
      const refused = await stub.call(name as 'stats', [] as never);
      expect(refused).toMatchObject({ ok: false, error: { code: 'invalid_request' } });
    }
    expect(await stub.call('stats', [])).toMatchObject({ ok: true, value: { lastEventId: '1', retainedEvents: 1 } });
  });
});
