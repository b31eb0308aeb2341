// What each operation costs on Cloudflare, counted on workerd: Durable Object
// invocations (RPC calls, fetches, alarms, incoming WebSocket messages) and
// SQLite rows read and written, from the object's own counters (UserHub.usage).
// bench/cost.ts prices these counts for docs/benchmarks.md; when a change
// moves one, this test fails until COUNTS there says the new figure.

import { env, runDurableObjectAlarm, runInDurableObject } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { COUNTS } from '../../bench/cost.ts';
import { tokenFor, uniqueUser } from '../helpers/requests.ts';
import { clientGet, eventually, openSocket, openSse, publish, signedCall } from './clients.ts';
import type { Usage, UserHub } from '../../src/cloudflare/user-hub.ts';

const usageOf = (user: string): Promise<Usage> => env.USER_HUB.getByName(user).usage();

/** Each counter's growth while `action` runs, on an object already started. */
async function counted(user: string, action: () => Promise<unknown>): Promise<Usage> {
  const before = await usageOf(user);
  await action();
  const after = await usageOf(user);
  return Object.fromEntries(Object.entries(after).map(([key, value]) => [key, value - before[key as keyof Usage]])) as unknown as Usage;
}

const NONE = { rpc: 0, fetches: 0, webSocketMessages: 0, alarms: 0, rowsRead: 0, rowsWritten: 0 };

describe('what each operation costs on Cloudflare (counted on workerd)', () => {
  it('a publish is one RPC to one object and a fixed number of rows, whether or not the user is connected', async () => {
    const user = uniqueUser();
    expect((await publish(user, 'warm', 0)).status).toBe(202);
    const offline = await counted(user, async () => expect((await publish(user, 'n', 1)).status).toBe(202));
    expect(offline).toEqual({ ...NONE, ...COUNTS.publish });

    const socket = await openSocket(user);
    await socket.untilReady();
    const online = await counted(user, async () => {
      expect(await (await publish(user, 'n', 2)).json()).toMatchObject({ delivered: 1 });
      await socket.frames.next();
    });
    // Writing to the user's sockets is free: outgoing WebSocket messages are not billed.
    expect(online).toEqual({ ...NONE, ...COUNTS.publish });
    socket.ws.close();
  });

  it('a prune is an alarm that deletes each event and each dedupe key with a row written, and moves the schedule row', async () => {
    // One event and its key aged out together: the alarm deletes both (the cheapest case).
    const user = uniqueUser();
    expect((await publish(user, 'n', 1)).status).toBe(202);
    const stub = env.USER_HUB.getByName(user);
    const age = (table: string) => runInDurableObject(stub, (_: UserHub, state) => void state.storage.sql.exec(`UPDATE ${table} SET created_at = created_at - ?`, 8 * 86400 * 1000));
    await age('events');
    await age('dedupe');
    const together = await counted(user, async () => expect(await runDurableObjectAlarm(stub)).toBe(true));
    expect(together).toEqual({ ...NONE, ...COUNTS.pruneTogether });
    // Only the key aged out (its event is still retained): an alarm of its own.
    const other = uniqueUser();
    expect((await publish(other, 'n', 1)).status).toBe(202);
    const otherStub = env.USER_HUB.getByName(other);
    await runInDurableObject(otherStub, (_: UserHub, state) => void state.storage.sql.exec(`UPDATE dedupe SET created_at = created_at - ?`, 5 * 86400 * 1000));
    const keyOnly = await counted(other, async () => expect(await runDurableObjectAlarm(otherStub)).toBe(true));
    expect(keyOnly).toEqual({ ...NONE, ...COUNTS.pruneKey });
    // Over the count limit: the oldest event goes, its key stays for its 96 h.
    const third = uniqueUser();
    for (let i = 0; i <= Number(env.RETENTION_MAX_EVENTS); i++) expect((await publish(third, 'n', i)).status).toBe(202);
    const thirdStub = env.USER_HUB.getByName(third);
    const byCount = await counted(third, async () => expect(await runDurableObjectAlarm(thirdStub)).toBe(true));
    expect(byCount).toEqual({ ...NONE, ...COUNTS.pruneByCount });
  });

  it("a new user's first publish also creates the object's tables", async () => {
    const user = uniqueUser();
    expect((await publish(user, 'first', 0)).status).toBe(202);
    const usage = await usageOf(user);
    expect(usage).toEqual({ ...NONE, ...COUNTS.firstPublish });
  });

  it('a duplicate publish reads the first answer and writes nothing', async () => {
    const user = uniqueUser();
    expect((await publish(user, 'a', 1, { webhookId: 'msg_once' })).status).toBe(202);
    const usage = await counted(user, async () => expect(await (await publish(user, 'a', 1, { webhookId: 'msg_once' })).json()).toMatchObject({ duplicate: true }));
    expect(usage).toEqual({ ...NONE, ...COUNTS.duplicatePublish });
  });

  it('a batch to N users is one Worker request and one RPC per user', async () => {
    const users = [uniqueUser(), uniqueUser(), uniqueUser()];
    for (const user of users) await publish(user, 'warm', 0);
    const before = await Promise.all(users.map(usageOf));
    const response = await signedCall('POST', '/v1/events:batch', { userIds: users, type: 'n', data: 1 });
    expect(response.status).toBe(202);
    const after = await Promise.all(users.map(usageOf));
    users.forEach((_, i) => {
      expect(after[i]!.rpc - before[i]!.rpc).toBe(1);
      expect(after[i]!.rowsWritten - before[i]!.rowsWritten).toBe(COUNTS.publish.rowsWritten);
    });
  });

  it('an idle WebSocket costs nothing: its pings are answered without invoking the object', async () => {
    const user = uniqueUser();
    const socket = await openSocket(user);
    await socket.untilReady();
    const usage = await counted(user, async () => {
      for (let i = 0; i < 5; i++) {
        socket.ws.send('{"type":"ping"}');
        expect(await socket.frames.next()).toEqual({ type: 'pong' });
      }
    });
    expect(usage).toEqual(NONE);
    socket.ws.close();
  });

  it('opening a WebSocket or an SSE stream is one fetch to the object; the first also writes its expiry wake', async () => {
    const user = uniqueUser();
    await publish(user, 'warm', 0);
    const ws = await counted(user, async () => (await openSocket(user)).untilReady());
    expect(ws).toEqual({ ...NONE, ...COUNTS.openStream });
    let sse: Awaited<ReturnType<typeof openSse>> | undefined;
    const stream = await counted(user, async () => {
      sse = await openSse('/v1/events', { headers: { Authorization: `Bearer ${await tokenFor(user)}` } });
      await sse.untilReady();
    });
    // Its session ends no sooner than the WebSocket's, whose expiry wake is already due: nothing to write.
    expect(stream).toEqual({ ...NONE, ...COUNTS.openAnotherStream });
    await sse!.cancel();
  });

  it('a long poll that times out is one fetch to the object (the bridge), and an answered one reads the event', async () => {
    const user = uniqueUser();
    await publish(user, 'warm', 0);
    const idle = await counted(user, async () => {
      const response = await clientGet(user, '/v1/poll?after=1&wait=0.3');
      expect(response.headers.get('Hub-Timed-Out')).toBe('true');
      await response.body?.cancel();
    });
    expect(idle).toEqual({ ...NONE, ...COUNTS.longPollTimedOut });
    await eventually(async () => (await env.USER_HUB.getByName(user).connections()).poll === 0);
  });

  it('an inbox notification, its acknowledgement and marking it read: one invocation each, and the rows they touch', async () => {
    const user = uniqueUser();
    expect((await publish(user, 'warm', 0)).status).toBe(202);
    const socket = await openSocket(user);
    await socket.untilReady();
    const notify = () => signedCall('POST', `/v1/users/${user}/notifications`, { type: 'n', title: 't' });
    const notified = await counted(user, async () => {
      expect((await notify()).status).toBe(201);
      await socket.frames.next();
    });
    expect(notified).toEqual({ ...NONE, ...COUNTS.notify });

    // A WebSocket's ack frame is one incoming message (billed at 20:1).
    const acked = await counted(user, async () => {
      socket.ws.send(JSON.stringify({ type: 'ack', through: '2' }));
      await eventually(async () => (await usageOf(user)).webSocketMessages > 0 || (await usageOf(user)).rowsWritten > 0);
      await new Promise((resolve) => setTimeout(resolve, 100));
    });
    expect(acked).toEqual({ ...NONE, ...COUNTS.ackFrame });

    await notify();
    await socket.frames.next();
    const post = (path: string, body: unknown) =>
      clientGet(user, path, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
    const ackedOverHttp = await counted(user, async () => expect((await post('/v1/acks', { through: '3' })).status).toBe(200));
    expect(ackedOverHttp).toEqual({ ...NONE, ...COUNTS.ackHttp });

    const read = await counted(user, async () => {
      expect((await post('/v1/inbox/read', { ids: ['3'] })).status).toBe(200);
      await socket.frames.next();
    });
    expect(read).toEqual({ ...NONE, ...COUNTS.markRead });
    socket.ws.close();
  });
});
