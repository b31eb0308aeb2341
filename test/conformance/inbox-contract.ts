// The inbox on every host, through the real client and publisher libraries:
// devices of one user converge on the same counts over any transport, a
// device that was away catches up by resuming, receipts come back to the
// publisher, and nothing reaches another user.

import { afterEach, describe, expect, it } from 'vitest';
import { connect, type HubClient, type HubEvent, type InboxCounts, type TransportName } from '../../src/client/index.ts';
import { createPublisher } from '../../src/publisher/index.ts';
import { tokenFor, uniqueUser } from '../helpers/requests.ts';
import { TEST_VARS } from '../helpers/test-vars.ts';
import { eventually } from './clients.ts';

interface Device {
  hub: HubClient;
  events: HubEvent[];
  counts: () => InboxCounts | undefined;
}

export function describeInboxContract(host: string, baseUrl: () => string) {
  describe(`the inbox on ${host}`, () => {
    const open: HubClient[] = [];
    afterEach(() => open.splice(0).forEach((hub) => hub.close()));
    const publisher = () => createPublisher({ url: baseUrl(), secret: TEST_VARS.WEBHOOK_SECRET });

    function device(user: string, transport: TransportName, lastId?: string): Device {
      const events: HubEvent[] = [];
      let counts: InboxCounts | undefined;
      const hub = connect({
        url: baseUrl(),
        getToken: () => tokenFor(user),
        transports: [transport],
        lastId,
        onEvent: (event) => events.push(event),
        onInbox: (next) => (counts = next),
      });
      open.push(hub);
      return { hub, events, counts: () => counts };
    }
    const isOpen = (d: Device) => d.hub.status.state === 'open';

    it('shows a notification on every device, and reading it on one clears the badge on the others', { timeout: 30_000 }, async () => {
      const user = uniqueUser('inbox');
      const devices = (['websocket', 'sse', 'poll'] as const).map((t) => device(user, t));
      const stranger = device(uniqueUser('stranger'), 'websocket');
      await eventually(() => [...devices, stranger].every(isOpen), 10_000);
      await eventually(() => devices.every((d) => d.counts()?.total === 0), 10_000);

      const { id } = await publisher().notify(user, { type: 'comment', title: 'New comment', url: '/posts/1' });
      await eventually(() => devices.every((d) => d.counts()?.unread === 1), 10_000);
      for (const d of devices) expect(d.events.find((e) => e.type === 'inbox.created')).toMatchObject({ id, data: { id, title: 'New comment' } });

      const started = Date.now();
      expect(await devices[1]!.hub.inbox.markRead([id])).toMatchObject({ changed: [id], counts: { unread: 0, total: 1 } });
      await eventually(() => devices.every((d) => d.counts()?.unread === 0), 10_000);
      // Long polls re-park after each answer; the others are live pushes.
      expect(Date.now() - started).toBeLessThan(5_000);
      expect(stranger.events).toEqual([]);
      expect((await stranger.hub.inbox.list()).items).toEqual([]);
    });

    it('gives a device opened later the counts at once, and a device that was away every change it missed, in order', { timeout: 30_000 }, async () => {
      const user = uniqueUser('inbox');
      const away = device(user, 'websocket', '0');
      await eventually(() => isOpen(away), 10_000);
      for (let i = 0; i < 3; i++) await publisher().notify(user, { type: 'n', title: `#${i}` });
      await eventually(() => away.counts()?.unread === 3, 10_000);
      const resumeFrom = away.hub.lastId!;
      away.hub.close();

      const phone = device(user, 'sse');
      await eventually(() => phone.counts()?.unread === 3, 10_000);
      await phone.hub.inbox.markSeen();
      await phone.hub.inbox.markRead({ through: '2' });
      await phone.hub.inbox.archive(['3']);

      const back = device(user, 'poll', resumeFrom);
      await eventually(() => back.counts()?.total === 2 && back.counts()?.unread === 0, 10_000);
      // A change superseded by a later one for the same items is not replayed: each item's latest state is.
      expect(back.events.every((e) => e.type === 'inbox.changed')).toBe(true);
      const states = new Map<string, { readAt: string | null; archivedAt: string | null; seenAt: string | null }>();
      for (const event of back.events) for (const item of (event.data as { items: Array<{ id: string; readAt: string | null; archivedAt: string | null; seenAt: string | null }> }).items) states.set(item.id, item);
      expect([...states.keys()].sort()).toEqual(['1', '2', '3']);
      for (const id of ['1', '2']) expect(states.get(id)).toMatchObject({ seenAt: expect.any(String), readAt: expect.any(String), archivedAt: null });
      expect(states.get('3')).toMatchObject({ seenAt: expect.any(String), readAt: null, archivedAt: expect.any(String) });
      const server = await back.hub.inbox.list({ status: 'all' });
      expect(server.counts).toEqual(back.counts());
      expect(server.counts).toEqual({ unread: 0, unseen: 0, total: 2 });
    });

    it('acknowledges received inbox items on every transport: the publisher reads receivedAt', { timeout: 30_000 }, async () => {
      for (const transport of ['websocket', 'sse', 'poll'] as const) {
        const user = uniqueUser(`ack-${transport}`);
        const d = device(user, transport);
        await eventually(() => isOpen(d), 10_000);
        const { id } = await publisher().notify(user, { type: 'n' });
        await eventually(async () => (await publisher().getNotification(user, id)).receivedAt !== null, 10_000);
        const item = await publisher().getNotification(user, id);
        expect(Date.parse(item.receivedAt!)).toBeGreaterThanOrEqual(Date.parse(item.deliveredAt!));
        expect(item.readAt).toBeNull();
      }
    });

    it('refuses the service\'s own event types from publishers', async () => {
      const user = uniqueUser();
      for (const type of ['inbox.created', 'job.succeeded']) {
        await expect(publisher().publish(user, type, {})).rejects.toMatchObject({ status: 400 });
        await expect(publisher().notify(user, { type })).rejects.toMatchObject({ status: 400 });
      }
    });
  });
}
