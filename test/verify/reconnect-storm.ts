// Suite 1, reconnect storm: users with three connections each (WebSocket, SSE,
// long poll) while events are published at a steady rate and connections are
// cut at random and resume from their last id. Every connection must end with
// every event of its user exactly once, in order.

import { tokenFor } from '../helpers/requests.ts';
import { publishOnSchedule } from './acknowledged-publish.ts';
import { createResumableClient, Ledger, type ResumableClient, type StormTransport } from './resumable-clients.ts';
import { createRandom } from './seeded-random.ts';
import { Tally, type Scale, type SuiteReport } from './suite.ts';

const SCALES = {
  quick: { users: 20, events: 600, ratePerSecond: 100, disconnects: 80, waitSeconds: 3 },
  full: { users: 200, events: 20_000, ratePerSecond: 200, disconnects: 2_000, waitSeconds: 10 },
} as const;

const TRANSPORTS: StormTransport[] = ['websocket', 'sse', 'poll'];
const PUBLISHERS = 16;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The storm while it runs, for a suite that breaks something during it. */
export interface RunningStorm {
  /** Its users' ids. */
  users: readonly string[];
  /** Ms until every connection holds every event acknowledged when it was called (-1: not within 60 s). */
  caughtUp(): Promise<number>;
}

export interface StormHooks {
  /** Publishing has begun. */
  started?(storm: RunningStorm): void;
  /** An event acknowledged as `id`, scheduled as number `index` (data `{ i: index }`). */
  acknowledged?(userId: string, id: number, index: number): void;
}

export async function runReconnectStorm(base: string, scale: Scale, seed = 7, hooks: StormHooks = {}): Promise<SuiteReport> {
  const size = SCALES[scale];
  const random = createRandom(seed);
  const tally = new Tally();
  const run = `${Date.now().toString(36)}${random.int(1e6).toString(36)}`;
  const users = Array.from({ length: size.users }, (_, i) => `storm-${run}-${i}`);

  const clients: ResumableClient[] = [];
  for (const userId of users) {
    const token = await tokenFor(userId, 3600);
    for (const transport of TRANSPORTS) {
      const ledger = new Ledger(userId, transport);
      clients.push(createResumableClient(transport, { base, token, ledger, random: random.next, waitSeconds: size.waitSeconds }));
    }
  }
  for (const client of clients) client.start();
  await sleep(1000);

  // Publish on a fixed schedule from several concurrent publishers.
  const lastAcked = new Map<string, number>();
  const started = Date.now();
  const publishing = publishOnSchedule({
    base: () => base,
    users,
    pick: random.int,
    events: size.events,
    ratePerSecond: size.ratePerSecond,
    publishers: PUBLISHERS,
    tag: `storm_${run}`,
    onAcknowledged: (userId, ack, index) => {
      lastAcked.set(userId, Math.max(lastAcked.get(userId) ?? 0, ack.id));
      hooks.acknowledged?.(userId, ack.id, index);
    },
  });
  hooks.started?.({
    users,
    async caughtUp() {
      const from = Date.now();
      const through = new Map(lastAcked);
      while (!clients.every((c) => c.ledger.lastId >= (through.get(c.ledger.userId) ?? 0))) {
        if (Date.now() - from > 60_000) return -1;
        await sleep(50);
      }
      return Date.now() - from;
    },
  });

  // Cut connections at random, spread over the publishing time.
  let disconnects = 0;
  const interval = (size.events / size.ratePerSecond / size.disconnects) * 1000;
  const cutter = setInterval(() => {
    clients[random.int(clients.length)]!.drop();
    disconnects++;
  }, interval);
  const { unacknowledged } = await publishing;
  while (disconnects < size.disconnects) await sleep(interval);
  clearInterval(cutter);

  // Let every connection catch up with its user's last acknowledged event.
  const caughtUp = () => clients.every((c) => c.ledger.lastId >= (lastAcked.get(c.ledger.userId) ?? 0));
  const drainDeadline = Date.now() + 60_000;
  while (!caughtUp() && Date.now() < drainDeadline) await sleep(100);
  for (const client of clients) client.stop();

  let expected = 0;
  let delivered = 0;
  const behind = new Map<StormTransport, number>();
  for (const { ledger } of clients) {
    const through = lastAcked.get(ledger.userId) ?? 0;
    expected += through;
    delivered += ledger.receivedThrough(through);
    const missing = through - ledger.receivedThrough(through);
    if (missing > 0) {
      behind.set(ledger.transport, (behind.get(ledger.transport) ?? 0) + missing);
      const idle = Math.round((Date.now() - ledger.lastActivity) / 1000);
      tally.expect(false, `${ledger.transport} of ${ledger.userId} ends at ${ledger.lastId} of ${through}, last active ${idle} s ago`);
    }
    tally.add('duplicated', ledger.duplicated);
    tally.add('outOfOrder', ledger.outOfOrder);
    tally.add('resets', ledger.resets);
  }
  tally.set('users', users.length);
  tally.set('connections', clients.length);
  tally.set('published', [...lastAcked.values()].reduce((sum, n) => sum + n, 0));
  tally.set('unacknowledged', unacknowledged);
  tally.set('delivered', delivered);
  tally.set('lost', expected - delivered);
  tally.set('forcedDisconnects', disconnects);
  tally.set('refusedConnects', clients.reduce((sum, c) => sum + c.refused, 0));
  tally.set('stalledConnects', clients.reduce((sum, c) => sum + c.stalls, 0));
  tally.set('seconds', Math.round((Date.now() - started) / 1000));

  const f = tally.figures;
  tally.expect(f.published === size.events, `${f.published} of ${size.events} publishes were acknowledged`);
  tally.expect(f.lost === 0, `${f.lost} deliveries lost (${[...behind].map(([t, n]) => `${t} ${n}`).join(', ')})`);
  tally.expect(f.duplicated === 0, `${f.duplicated} deliveries duplicated`);
  tally.expect(f.outOfOrder === 0, `${f.outOfOrder} deliveries out of order`);
  tally.expect(f.resets === 0, `${f.resets} resets although every resume point was retained`);
  tally.expect(disconnects >= size.disconnects, `only ${disconnects} forced disconnects`);
  return tally.report();
}
