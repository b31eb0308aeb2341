import { env } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { tokenFor, uniqueUser } from '../helpers/requests.ts';
import { eventually, openSocket, openSse, publish } from './clients.ts';

const bearer = async (user: string) => ({ headers: { Authorization: `Bearer ${await tokenFor(user)}` } });

describe('Server-Sent Events', () => {
  it('streams events with id, event and one-line JSON data, and proxy-safe headers', async () => {
    const user = uniqueUser();
    const sse = await openSse('/v1/events', await bearer(user));
    expect(sse.response.headers.get('Content-Type')).toBe('text/event-stream; charset=utf-8');
    expect(sse.response.headers.get('Cache-Control')).toBe('no-cache, no-transform');
    expect(sse.response.headers.get('X-Accel-Buffering')).toBe('no');
    expect((await sse.frames.next()).retry).toBe('200');
    expect(await sse.untilReady()).toEqual([
      { event: 'hub.ready', data: JSON.stringify({ type: 'hub.ready', data: { lastId: '0', protocol: 1 } }) },
    ]);

    const data = { text: 'a\nb\rc\u2028d' };
    await publish(user, 'export.ready', data);
    const frame = await sse.nextEvent();
    expect(frame.id).toBe('1');
    expect(frame.event).toBe('export.ready');
    expect(frame.data).not.toMatch(/[\r\n\u2028\u2029]/);
    expect(JSON.parse(frame.data!)).toMatchObject({ id: '1', type: 'export.ready', data });
    await sse.cancel();
  });

  it('sends comment heartbeats', async () => {
    const sse = await openSse('/v1/events', await bearer(uniqueUser()));
    for (;;) if ((await sse.frames.next(3000)).comment) break;
    await sse.cancel();
  });

  it('resumes from Last-Event-ID, which wins over ?after=', async () => {
    const user = uniqueUser();
    for (let i = 0; i < 4; i++) await publish(user, 'n', i);
    const init = await bearer(user);
    const sse = await openSse('/v1/events?after=1', { headers: { ...init.headers, 'Last-Event-ID': '3' } });
    expect((await sse.untilReady()).map((f) => f.id ?? f.event)).toEqual(['4', 'hub.ready']);
    await sse.cancel();
  });

  it('holds the stream in the Worker: the actor keeps no request open, and forgets a client that left', async () => {
    const user = uniqueUser();
    const stub = env.USER_HUB.getByName(user);
    const sse = await openSse('/v1/events', await bearer(user));
    await sse.untilReady();
    expect(await stub.connections()).toEqual({ websocket: 0, sse: 1, poll: 0, job: 0, openRequests: 0 });

    await sse.cancel();
    // The next heartbeat write fails, which closes the bridge.
    await eventually(async () => (await stub.connections()).sse === 0, 5000);
  });

  it('delivers the same event once to WebSocket and SSE clients of the user', async () => {
    const user = uniqueUser();
    const socket = await openSocket(user);
    const sse = await openSse('/v1/events', await bearer(user));
    await socket.untilReady();
    await sse.untilReady();
    expect(await (await publish(user, 'both', 1)).json()).toMatchObject({ delivered: 2 });
    expect((await socket.frames.next()).id).toBe('1');
    expect((await sse.nextEvent()).id).toBe('1');
    await sse.cancel();
  });

  it('sends a hub.reset event when the resume point is not retained', async () => {
    const user = uniqueUser();
    await publish(user, 'n', 1);
    const sse = await openSse('/v1/events?after=7', await bearer(user));
    const frames = await sse.untilReady();
    expect(frames[0]!.event).toBe('hub.reset');
    expect(frames[0]!.id).toBeUndefined();
    await sse.cancel();
  });
});
