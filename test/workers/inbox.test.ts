// The inbox's rules inside workerd: items announced on the stream, collapse,
// idempotence, read state and counts changed in one transaction, reserved
// types, retention, acknowledgements and isolation between users.

import { env, runDurableObjectAlarm, runInDurableObject } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import type { InboxChanged, InboxCreated, InboxItem, InboxPage } from '../../src/protocol/wire.ts';
import { tokenFor, uniqueUser } from '../helpers/requests.ts';
import { call, clientGet, openSocket, publish, signedCall } from './clients.ts';

const notify = (user: string, body: Record<string, unknown>, options?: { webhookId?: string }) =>
  signedCall('POST', `/v1/users/${user}/notifications`, body, options);

async function clientPost(user: string, path: string, body: unknown) {
  return call(path, {
    method: 'POST',
    headers: { Authorization: `Bearer ${await tokenFor(user)}`, 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
  });
}

const inbox = async (user: string, query = '') => (await (await clientGet(user, `/v1/inbox${query}`)).json()) as InboxPage;

describe('inbox', () => {
  it('stores a notification and announces it as inbox.created with the counts', async () => {
    const user = uniqueUser();
    const socket = await openSocket(user);
    await socket.untilReady();
    const created = await notify(user, { type: 'comment', title: 'New comment', body: 'Nice!', url: '/posts/1', data: { post: 1 } });
    expect(created.status).toBe(201);
    expect(await created.json()).toEqual({ id: '1', delivered: 1 });
    const frame = await socket.frames.next();
    expect(frame).toMatchObject({ id: '1', type: 'inbox.created' });
    const item = frame.data as InboxCreated;
    expect(item).toMatchObject({ id: '1', type: 'comment', title: 'New comment', body: 'Nice!', url: '/posts/1', data: { post: 1 } });
    expect(item.counts).toEqual({ unread: 1, unseen: 1, total: 1 });
    expect(item.deliveredAt).not.toBeNull();
    expect(item.readAt).toBeNull();
    const page = await inbox(user);
    expect(page.counts).toEqual({ unread: 1, unseen: 1, total: 1 });
    expect(page.items.map((i) => i.id)).toEqual(['1']);
    expect(page.next).toBeNull();
  });

  it('answers a retried webhook-id from the dedupe table: one item, one event', async () => {
    const user = uniqueUser();
    const first = await notify(user, { type: 'a' }, { webhookId: 'msg_same' });
    const again = await notify(user, { type: 'a' }, { webhookId: 'msg_same' });
    expect(first.status).toBe(201);
    expect(again.status).toBe(200);
    expect(await again.json()).toMatchObject({ id: '1', duplicate: true });
    expect((await inbox(user)).counts.total).toBe(1);
  });

  it('collapses an unread item with the same key: the new one replaces it and the counts stay', async () => {
    const user = uniqueUser();
    await notify(user, { type: 'build', title: 'Build 1 failed', collapseKey: 'build-main' });
    await notify(user, { type: 'other' });
    const socket = await openSocket(user, { after: '2' });
    await socket.untilReady();
    await notify(user, { type: 'build', title: 'Build 2 failed', collapseKey: 'build-main' });
    const frame = (await socket.frames.next()).data as InboxCreated;
    expect(frame).toMatchObject({ id: '3', title: 'Build 2 failed', replaces: '1', counts: { unread: 2, total: 2 } });
    expect((await inbox(user)).items.map((i) => i.id)).toEqual(['3', '2']);
    // Once read, an item is not replaced: the next one is new.
    expect((await clientPost(user, '/v1/inbox/read', { ids: ['3'] })).status).toBe(200);
    await notify(user, { type: 'build', title: 'Build 3 failed', collapseKey: 'build-main' });
    expect((await inbox(user)).items.map((i) => i.id)).toEqual(['5', '3', '2']);
  });

  it('marks items seen, read, unread and archived; each change is one inbox.changed with the counts', async () => {
    const user = uniqueUser();
    for (let i = 0; i < 3; i++) await notify(user, { type: 'n', title: `#${i}` });
    const socket = await openSocket(user, { after: '3' });
    await socket.untilReady();

    const seen = await clientPost(user, '/v1/inbox/seen', { through: '2' });
    expect(await seen.json()).toEqual({ changed: ['1', '2'], unknown: [], counts: { unread: 3, unseen: 1, total: 3 } });
    let changed = (await socket.frames.next()).data as InboxChanged;
    expect(changed.counts).toEqual({ unread: 3, unseen: 1, total: 3 });
    expect(changed.items.map((i) => i.id)).toEqual(['1', '2']);

    const read = await clientPost(user, '/v1/inbox/read', { ids: ['3', '99'] });
    expect(await read.json()).toEqual({ changed: ['3'], unknown: ['99'], counts: { unread: 2, unseen: 0, total: 3 } });
    changed = (await socket.frames.next()).data as InboxChanged;
    expect(changed.items).toMatchObject([{ id: '3', readAt: expect.any(String), seenAt: expect.any(String) }]);

    // Idempotent: the same call again changes nothing and emits nothing.
    expect(await (await clientPost(user, '/v1/inbox/read', { ids: ['3'] })).json()).toMatchObject({ changed: [], unknown: [] });
    expect(await (await clientPost(user, '/v1/inbox/unread', { ids: ['3'] })).json()).toMatchObject({ changed: ['3'], counts: { unread: 3 } });
    const next = await socket.frames.next();
    expect(next).toMatchObject({ id: '6', type: 'inbox.changed', data: { counts: { unread: 3 }, items: [{ id: '3', readAt: null }] } });

    expect(await (await clientPost(user, '/v1/inbox/archive', { ids: ['1'] })).json()).toMatchObject({ counts: { unread: 2, total: 2 } });
    expect((await inbox(user, '?status=archived')).items.map((i) => i.id)).toEqual(['1']);
    expect((await inbox(user, '?status=unread')).items.map((i) => i.id)).toEqual(['3', '2']);
    expect((await inbox(user, '?status=all&limit=1')).next).toBe('3');
    expect((await inbox(user, '?status=all&limit=1&before=3')).items.map((i) => i.id)).toEqual(['2']);
  });

  it('counts in the stored rows always agree with the events (one transaction)', async () => {
    const user = uniqueUser();
    for (let i = 0; i < 5; i++) await notify(user, { type: 'n' });
    await Promise.all([
      clientPost(user, '/v1/inbox/read', { ids: ['1', '2'] }),
      clientPost(user, '/v1/inbox/archive', { ids: ['2', '3'] }),
      clientPost(user, '/v1/inbox/seen', { through: '5' }),
    ]);
    const poll = (await (await clientGet(user, '/v1/poll?after=5')).json()) as { events: Array<{ type: string; data: InboxChanged }> };
    const last = poll.events.at(-1)!.data.counts;
    const page = await inbox(user);
    expect(page.counts).toEqual(last);
    const stub = env.USER_HUB.getByName(user);
    await runInDurableObject(stub, (_, state) => {
      const row = state.storage.sql
        .exec(`SELECT sum(read_at IS NULL AND archived_at IS NULL) AS unread, count(*) - count(archived_at) AS total FROM inbox`)
        .one();
      expect({ unread: row.unread, total: row.total }).toEqual({ unread: last.unread, total: last.total });
    });
  });

  it('refuses the service\'s own event types from publishers, and stores nothing', async () => {
    const user = uniqueUser();
    for (const type of ['inbox.created', 'job.succeeded', 'hub.ready']) {
      const response = await publish(user, type, {});
      expect(response.status).toBe(400);
      expect(await response.json()).toMatchObject({ error: { code: 'invalid_request' } });
      expect((await notify(user, { type })).status).toBe(400);
    }
    const poll = (await (await clientGet(user, '/v1/poll?after=0')).json()) as { events: unknown[] };
    expect(poll.events).toEqual([]);
  });

  it('refuses notifications over the field limits, and unsafe urls', async () => {
    const user = uniqueUser();
    for (const body of [
      { type: 'n', title: 'x'.repeat(201) },
      { type: 'n', body: 'x'.repeat(2001) },
      { type: 'n', url: 'javascript:alert(1)' },
      { type: 'n', url: 'http://example.com/' },
      { type: 'n', url: '//evil.example/' },
      { type: 'n', collapseKey: 'has space' },
      { type: 'n', category: 'x'.repeat(129) },
      { type: 'n', extra: 1 },
    ]) {
      const response = await notify(user, body);
      expect(response.status, JSON.stringify(body)).toBe(400);
    }
    expect((await notify(user, { type: 'n', url: 'https://example.com/a?b=c' })).status).toBe(201);
    expect((await inbox(user)).counts.total).toBe(1);
  });

  it('keeps INBOX_MAX_ITEMS (5 here) newest items, and keeps them after their events left the log', async () => {
    const user = uniqueUser();
    for (let i = 0; i < 7; i++) expect((await notify(user, { type: 'n', title: `#${i}` })).status).toBe(201);
    let page = await inbox(user);
    expect(page.items.map((i) => i.id)).toEqual(['7', '6', '5', '4', '3']);
    expect(page.counts).toEqual({ unread: 5, unseen: 5, total: 5 });
    // 25 more events push the announcements out of the 20-event log at the next prune.
    for (let i = 0; i < 25; i++) await publish(user, 'n', i);
    await runDurableObjectAlarm(env.USER_HUB.getByName(user));
    const poll = (await (await clientGet(user, '/v1/poll?after=3')).json()) as { events: Array<{ type: string }> };
    expect(poll.events[0]).toMatchObject({ type: 'hub.reset' });
    page = await inbox(user);
    expect(page.items.map((i) => i.id)).toEqual(['7', '6', '5', '4', '3']);
    expect((await signedCall('GET', `/v1/users/${user}/notifications/3`)).status).toBe(200);
  });

  it('sets receivedAt from an ack frame and from POST /v1/acks; the publisher reads every receipt time', async () => {
    const user = uniqueUser();
    const socket = await openSocket(user);
    await socket.untilReady();
    await notify(user, { type: 'n' });
    await notify(user, { type: 'n' });
    await socket.frames.next();
    await socket.frames.next();
    socket.ws.send(JSON.stringify({ type: 'ack', through: '1' }));
    const read = async (id: string) => (await (await signedCall('GET', `/v1/users/${user}/notifications/${id}`)).json()) as InboxItem;
    for (let i = 0; i < 50 && (await read('1')).receivedAt === null; i++) await new Promise((r) => setTimeout(r, 20));
    expect((await read('1')).receivedAt).not.toBeNull();
    expect((await read('2')).receivedAt).toBeNull();
    expect(await (await clientPost(user, '/v1/acks', { through: '2' })).json()).toEqual({ acknowledged: 1 });
    expect(await (await clientPost(user, '/v1/acks', { through: '2' })).json()).toEqual({ acknowledged: 0 });
    await clientPost(user, '/v1/inbox/read', { through: '2' });
    const item = await read('2');
    expect(item).toMatchObject({ deliveredAt: expect.any(String), receivedAt: expect.any(String), seenAt: expect.any(String), readAt: expect.any(String) });
    expect((await signedCall('GET', `/v1/users/${user}/notifications/99`)).status).toBe(404);
    expect(await socket.frames.next()).toMatchObject({ type: 'inbox.changed' });
    socket.ws.send(JSON.stringify({ type: 'ack', through: 'x' }));
    expect(await socket.frames.next()).toMatchObject({ type: 'hub.error', data: { code: 'invalid_frame' } });
  });

  it('sets deliveredAt when an item first reaches a connection by replay or poll', async () => {
    const user = uniqueUser();
    await notify(user, { type: 'n' });
    const read = async () => (await (await signedCall('GET', `/v1/users/${user}/notifications/1`)).json()) as InboxItem;
    expect((await read()).deliveredAt).toBeNull();
    await clientGet(user, '/v1/poll?after=0');
    expect((await read()).deliveredAt).not.toBeNull();
  });

  it('keeps each user\'s inbox to that user: another token sees nothing and changes nothing', async () => {
    const [alice, bob] = [uniqueUser('alice'), uniqueUser('bob')];
    await notify(alice, { type: 'secret', title: 'for alice' });
    expect((await inbox(bob)).items).toEqual([]);
    expect(await (await clientPost(bob, '/v1/inbox/read', { ids: ['1'] })).json()).toMatchObject({ changed: [], unknown: ['1'] });
    expect((await inbox(alice)).counts.unread).toBe(1);
    expect((await call('/v1/inbox')).status).toBe(401);
  });

  it('rate-limits the user\'s inbox writes with 429 and Retry-After', async () => {
    const user = uniqueUser();
    await notify(user, { type: 'n' });
    const answers = await Promise.all(Array.from({ length: 60 }, () => clientPost(user, '/v1/inbox/seen', { through: '1' })));
    const limited = answers.find((a) => a.status === 429);
    expect(limited).toBeDefined();
    expect(Number(limited!.headers.get('Retry-After'))).toBeGreaterThanOrEqual(1);
  });

  it('erases the inbox with the user', async () => {
    const user = uniqueUser();
    await notify(user, { type: 'n' });
    const erased = await signedCall('DELETE', `/v1/users/${user}`);
    expect(await erased.json()).toMatchObject({ notifications: 1 });
    // The erase revoked every credential not issued after its second.
    await new Promise((resolve) => setTimeout(resolve, 1100));
    expect((await inbox(user)).counts.total).toBe(0);
  });

  it('validates inbox requests before they reach the actor', async () => {
    const user = uniqueUser();
    expect((await clientPost(user, '/v1/inbox/read', { ids: [] })).status).toBe(400);
    expect((await clientPost(user, '/v1/inbox/read', { ids: Array.from({ length: 101 }, (_, i) => String(i + 1)) })).status).toBe(400);
    expect((await clientPost(user, '/v1/inbox/read', { ids: [1] })).status).toBe(400);
    expect((await clientPost(user, '/v1/inbox/seen', { ids: ['1'] })).status).toBe(400);
    expect((await clientPost(user, '/v1/inbox/unread', { through: '1' })).status).toBe(400);
    expect((await clientGet(user, '/v1/inbox?status=new')).status).toBe(400);
    expect((await clientGet(user, '/v1/inbox?limit=101')).status).toBe(400);
  });
});
