import { env } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { uniqueUser } from '../helpers/requests.ts';
import { openSocket, publish } from './clients.ts';

describe('publish and WebSocket delivery', () => {
  it('stores an event with strictly increasing ids and reports live deliveries', async () => {
    const user = uniqueUser();
    const first = await publish(user, 'export.ready', { zip: 'a.zip' });
    expect(first.status).toBe(202);
    expect(await first.json()).toEqual({ id: '1', delivered: 0 });

    const socket = await openSocket(user);
    expect(await socket.untilReady()).toEqual([{ type: 'hub.ready', data: { lastId: '1', protocol: 1 } }]);
    const second = await publish(user, 'export.ready', { zip: 'b.zip' });
    expect(await second.json()).toEqual({ id: '2', delivered: 1 });

    const frame = await socket.frames.next();
    expect(frame).toMatchObject({ id: '2', type: 'export.ready', data: { zip: 'b.zip' } });
    expect(new Date(frame.time!).toISOString()).toBe(frame.time);
  });

  it('delivers a job completion to every socket of that user', async () => {
    const user = uniqueUser();
    const sockets = [await openSocket(user), await openSocket(user), await openSocket(user)];
    for (const socket of sockets) await socket.untilReady();
    const response = await publish(user, 'export.ready', { n: 1 });
    expect(await response.json()).toMatchObject({ delivered: 3 });
    for (const socket of sockets) expect(await socket.frames.next()).toMatchObject({ id: '1', data: { n: 1 } });
  });

  it("never shows John's events to Jane", async () => {
    const john = uniqueUser('john');
    const jane = uniqueUser('jane');
    const janeSocket = await openSocket(jane);
    await janeSocket.untilReady();
    await publish(john, 'secret', { for: 'john' });
    await publish(jane, 'hello', { for: 'jane' });
    expect(await janeSocket.frames.next()).toMatchObject({ type: 'hello', data: { for: 'jane' } });
    expect(janeSocket.frames.pending).toEqual([]);
  });

  it('answers a repeated webhook-id with the first result and delivers nothing twice', async () => {
    const user = uniqueUser();
    const socket = await openSocket(user);
    await socket.untilReady();
    const first = await publish(user, 'a', 1, { webhookId: 'msg_same' });
    const again = await publish(user, 'a', 1, { webhookId: 'msg_same' });
    expect(await first.json()).toEqual({ id: '1', delivered: 1 });
    expect(again.status).toBe(202);
    expect(await again.json()).toEqual({ id: '1', delivered: 1, duplicate: true });
    const next = await publish(user, 'b', 2);
    expect(await next.json()).toMatchObject({ id: '2' });
    expect((await socket.frames.next()).id).toBe('1');
    expect((await socket.frames.next()).id).toBe('2');
  });

  it('keeps dedupe per user: the same webhook-id for two users is two events', async () => {
    const [a, b] = [uniqueUser(), uniqueUser()];
    expect(await (await publish(a, 'x', 1, { webhookId: 'msg_shared' })).json()).toEqual({ id: '1', delivered: 0 });
    expect(await (await publish(b, 'x', 1, { webhookId: 'msg_shared' })).json()).toEqual({ id: '1', delivered: 0 });
  });

  it('keeps data with CR, LF and U+2028 intact', async () => {
    const user = uniqueUser();
    const socket = await openSocket(user);
    await socket.untilReady();
    const data = { text: 'line1\r\nline2\u2028line3\u2029', nested: [1, { deep: true }] };
    await publish(user, 'text', data);
    expect((await socket.frames.next()).data).toEqual(data);
  });

  it('answers ping with pong, and unknown frames with an error frame without closing', async () => {
    const user = uniqueUser();
    const socket = await openSocket(user);
    await socket.untilReady();
    socket.ws.send('{"type":"ping"}');
    expect(await socket.frames.next()).toEqual({ type: 'pong' });
    socket.ws.send('{ "type" : "ping" }');
    expect(await socket.frames.next()).toEqual({ type: 'pong' });
    socket.ws.send('{"type":"subscribe"}');
    expect(await socket.frames.next()).toMatchObject({ type: 'hub.error', data: { code: 'unknown_frame' } });
    socket.ws.send('not json');
    expect(await socket.frames.next()).toMatchObject({ type: 'hub.error', data: { code: 'invalid_frame' } });
    await publish(user, 'still.open', null);
    expect(await socket.frames.next()).toMatchObject({ type: 'still.open' });
  });

  it('closes with 1009 when a client frame is over the limit', async () => {
    const socket = await openSocket(uniqueUser());
    await socket.untilReady();
    socket.ws.send(JSON.stringify({ type: 'ping', pad: 'x'.repeat(5000) }));
    expect((await socket.closed).code).toBe(1009);
  });

  it('refuses connections over the per-user limit with 429', async () => {
    const user = uniqueUser();
    const limit = Number(env.MAX_CONNECTIONS_PER_USER);
    for (let i = 0; i < limit; i++) await (await openSocket(user)).untilReady();
    await expect(openSocket(user)).rejects.toThrow(/429.*connection_limit/);
  });
});
