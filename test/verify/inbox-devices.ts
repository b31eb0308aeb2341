// Suite: the inbox across devices under churn. Each user has three devices
// (WebSocket, SSE, long poll) through the client library, behind a proxy that
// cuts every connection at random times, while a publisher sends
// notifications (some collapsing) and every device marks items seen, read,
// unread and archived at once. At the end every device shows the counts the
// server computes, and has every event of its user exactly once, in order:
// no change lost or doubled.

import { connect, type HubClient, type InboxCounts, type TransportName } from '../../src/client/index.ts';
import { createPublisher } from '../../src/publisher/index.ts';
import { startChaosProxy } from '../helpers/chaos-proxy.ts';
import { tokenFor } from '../helpers/requests.ts';
import { TEST_VARS } from '../helpers/test-vars.ts';
import { Ledger } from './resumable-clients.ts';
import { createRandom } from './seeded-random.ts';
import { Tally, type Scale, type SuiteReport } from './suite.ts';

const SCALES = {
  quick: { users: 4, notifications: 15, actionsPerDevice: 12, drops: 3 },
  full: { users: 30, notifications: 60, actionsPerDevice: 50, drops: 10 },
} as const;

const TRANSPORTS: TransportName[] = ['websocket', 'sse', 'poll'];
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface Device {
  userId: string;
  ledger: Ledger;
  hub: HubClient;
  counts: InboxCounts | undefined;
  /** Inbox item ids this device has seen announced. */
  known: string[];
}

export async function runInboxDevices(base: string, scale: Scale, seed = 23): Promise<SuiteReport> {
  const size = SCALES[scale];
  const random = createRandom(seed);
  const tally = new Tally();
  const run = `${Date.now().toString(36)}${random.int(1e6).toString(36)}`;
  const users = Array.from({ length: size.users }, (_, i) => `inbox-${run}-${i}`);
  const proxy = await startChaosProxy(base);
  const publisher = createPublisher({ url: base, secret: TEST_VARS.WEBHOOK_SECRET });
  const devices: Device[] = [];
  try {
    for (const userId of users) {
      for (const transport of TRANSPORTS) {
        const device: Device = { userId, ledger: new Ledger(userId, transport), hub: undefined as unknown as HubClient, counts: undefined, known: [] };
        device.hub = connect({
          url: proxy.url,
          transports: [transport],
          lastId: '0',
          backoff: { baseMs: 100, capMs: 1000 },
          getToken: () => tokenFor(userId, 600),
          onEvent: (event) => {
            device.ledger.event(Number(event.id));
            if (event.type === 'inbox.created') device.known.push(event.id);
          },
          onReset: () => device.ledger.resets++,
          onInbox: (counts) => (device.counts = counts),
        });
        devices.push(device);
      }
    }
    await sleep(1500);
    const started = Date.now();

    const notifying = Promise.all(
      users.map(async (userId) => {
        for (let i = 0; i < size.notifications; i++) {
          const collapseKey = random.chance(0.25) ? `k${random.int(3)}` : undefined;
          await publisher.notify(userId, { type: 'n', title: `#${i}`, collapseKey });
          tally.add('notified');
          await sleep(random.int(150));
        }
      }),
    );
    const acting = Promise.all(
      devices.map(async (device) => {
        for (let i = 0; i < size.actionsPerDevice; i++) {
          await sleep(100 + random.int(300));
          const ids = Array.from({ length: 1 + random.int(3) }, () => random.pick(device.known.length ? device.known : ['1']));
          const inbox = device.hub.inbox;
          const action = random.int(5);
          try {
            if (action === 0) await inbox.markSeen();
            else if (action === 1) await inbox.markRead(ids);
            else if (action === 2) await inbox.markUnread(ids);
            else if (action === 3) await inbox.archive(ids);
            else await inbox.markRead({ through: device.hub.lastId ?? '0' });
            tally.add('changes');
          } catch {
            tally.add('changesRefused'); // a cut connection or the user's write limit (429): the next one goes on
          }
        }
      }),
    );
    const seconds = (size.notifications * 75) / 1000;
    const cuts = Array.from({ length: size.drops }, () => setTimeout(() => proxy.dropAll(), random.int(seconds * 1000)));
    await Promise.all([notifying, acting]);
    for (const cut of cuts) clearTimeout(cut);

    // The server's word, read directly (not through the proxy): counts and the last id.
    // Every id still in the log: what every device must have received (a superseded inbox.changed is not).
    const server = new Map<string, { counts: InboxCounts; lastId: number; retained: number[] }>();
    for (const userId of users) {
      const token = await tokenFor(userId);
      const headers = { Authorization: `Bearer ${token}` };
      const page = (await (await fetch(`${base}/v1/inbox?limit=1`, { headers })).json()) as { counts: InboxCounts };
      const retained: number[] = [];
      let after = '0';
      for (let more = true; more; ) {
        const poll = (await (await fetch(`${base}/v1/poll?after=${after}&limit=100`, { headers })).json()) as { events: Array<{ id: string }>; lastId: string; more: boolean };
        retained.push(...poll.events.map((event) => Number(event.id)));
        ({ more } = poll);
        after = poll.lastId;
      }
      server.set(userId, { counts: page.counts, lastId: Number(after), retained });
    }
    const same = (a: InboxCounts | undefined, b: InboxCounts) => a?.unread === b.unread && a.unseen === b.unseen && a.total === b.total;
    const converged = () => devices.every((d) => same(d.counts, server.get(d.userId)!.counts) && d.ledger.lastId >= server.get(d.userId)!.lastId);
    const deadline = Date.now() + 30_000;
    while (!converged() && Date.now() < deadline) await sleep(100);

    let expected = 0;
    let delivered = 0;
    for (const device of devices) {
      const { counts, retained } = server.get(device.userId)!;
      expected += retained.length;
      delivered += retained.filter((id) => device.ledger.has(id)).length;
      tally.expect(
        same(device.counts, counts),
        `${device.ledger.transport} of ${device.userId} shows ${JSON.stringify(device.counts)}, the server ${JSON.stringify(counts)}`,
      );
      tally.add('duplicated', device.ledger.duplicated);
      tally.add('outOfOrder', device.ledger.outOfOrder);
      tally.add('resets', device.ledger.resets);
      tally.add('converged', same(device.counts, counts) ? 1 : 0);
    }
    tally.set('users', users.length);
    tally.set('devices', devices.length);
    tally.set('events', [...server.values()].reduce((sum, s) => sum + s.retained.length, 0));
    tally.set('delivered', delivered);
    tally.set('lost', expected - delivered);
    tally.set('proxyCuts', size.drops);
    tally.set('seconds', Math.round((Date.now() - started) / 1000));
    const f = tally.figures;
    tally.expect(f.notified === size.users * size.notifications, `${f.notified} of ${size.users * size.notifications} notifications were stored`);
    tally.expect(f.lost === 0, `${f.lost} deliveries lost`);
    tally.expect(f.duplicated === 0, `${f.duplicated} deliveries duplicated`);
    tally.expect(f.outOfOrder === 0, `${f.outOfOrder} deliveries out of order`);
    tally.expect(f.resets === 0, `${f.resets} resets although every resume point was retained`);
    tally.expect((f.changes ?? 0) > 0, 'no inbox change was accepted');
    return tally.report();
  } finally {
    for (const device of devices) device.hub.close();
    await proxy.close();
  }
}
