// Suite: expiring sessions under churn. Users hold three sessions each through
// the client library (WebSocket, SSE, long poll) with tokens that live a few
// seconds, through a proxy that cuts every connection at random times, while
// events are published on a schedule. Every session keeps going by itself
// (in-band refresh on WebSocket, reconnect with a fresh token on SSE, a fresh
// token per poll) and must end with every event of its user exactly once, in
// order.

import { connect, type HubClient, type TransportName } from '../../src/client/index.ts';
import { startChaosProxy } from '../helpers/chaos-proxy.ts';
import { tokenFor } from '../helpers/requests.ts';
import { publishOnSchedule } from './acknowledged-publish.ts';
import { Ledger } from './resumable-clients.ts';
import { createRandom } from './seeded-random.ts';
import { Tally, type Scale, type SuiteReport } from './suite.ts';

const SCALES = {
  quick: { users: 8, events: 480, ratePerSecond: 30, tokenSeconds: 6, drops: 4 },
  full: { users: 60, events: 9_000, ratePerSecond: 100, tokenSeconds: 10, drops: 20 },
} as const;

const TRANSPORTS: TransportName[] = ['websocket', 'sse', 'poll'];
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function runExpiringSessions(base: string, scale: Scale, seed = 11): Promise<SuiteReport> {
  const size = SCALES[scale];
  const random = createRandom(seed);
  const tally = new Tally();
  const run = `${Date.now().toString(36)}${random.int(1e6).toString(36)}`;
  const users = Array.from({ length: size.users }, (_, i) => `expiring-${run}-${i}`);
  const proxy = await startChaosProxy(base);
  const sessions: Array<{ ledger: Ledger; hub: HubClient; tokens: number; opens: number; refreshes: number }> = [];
  try {
    for (const userId of users) {
      for (const transport of TRANSPORTS) {
        const session = { ledger: new Ledger(userId, transport), hub: undefined as unknown as HubClient, tokens: 0, opens: 0, refreshes: 0 };
        session.hub = connect({
          url: proxy.url,
          transports: [transport],
          lastId: '0',
          backoff: { baseMs: 100, capMs: 1000 },
          getToken: ({ refresh }) => {
            session.tokens++;
            if (refresh) session.refreshes++;
            return tokenFor(userId, size.tokenSeconds);
          },
          onEvent: (event) => session.ledger.event(Number(event.id)),
          onReset: () => session.ledger.resets++,
          onStatus: (status) => status.state === 'open' && session.opens++,
        });
        sessions.push(session);
      }
    }
    await sleep(1500);

    const lastAcked = new Map<string, number>();
    const started = Date.now();
    const publishing = publishOnSchedule({
      base: () => base,
      users,
      pick: random.int,
      events: size.events,
      ratePerSecond: size.ratePerSecond,
      publishers: 8,
      tag: `expiring_${run}`,
      onAcknowledged: (userId, ack) => lastAcked.set(userId, Math.max(lastAcked.get(userId) ?? 0, ack.id)),
    });
    // Cut every connection a few times, at random points of the publishing time.
    const seconds = size.events / size.ratePerSecond;
    const cuts = Array.from({ length: size.drops }, () => setTimeout(() => proxy.dropAll(), random.int(seconds * 1000)));
    const { unacknowledged } = await publishing;
    for (const cut of cuts) clearTimeout(cut);

    const caughtUp = () => sessions.every((s) => s.ledger.lastId >= (lastAcked.get(s.ledger.userId) ?? 0));
    const deadline = Date.now() + 60_000;
    while (!caughtUp() && Date.now() < deadline) await sleep(100);

    let expected = 0;
    let delivered = 0;
    for (const { ledger, hub } of sessions) {
      const through = lastAcked.get(ledger.userId) ?? 0;
      expected += through;
      delivered += ledger.receivedThrough(through);
      if (ledger.receivedThrough(through) < through) {
        tally.expect(false, `${ledger.transport} of ${ledger.userId} ends at ${ledger.lastId} of ${through} (${hub.status.state})`);
      }
      if (hub.status.state === 'unauthorized' || hub.status.state === 'closed' || hub.status.state === 'ended') {
        tally.expect(false, `${ledger.transport} of ${ledger.userId} stopped: ${hub.status.state}`);
      }
      tally.add('duplicated', ledger.duplicated);
      tally.add('outOfOrder', ledger.outOfOrder);
      tally.add('resets', ledger.resets);
    }
    const lifetimes = Math.floor((Date.now() - started) / 1000 / size.tokenSeconds);
    tally.set('users', users.length);
    tally.set('sessions', sessions.length);
    tally.set('tokenSeconds', size.tokenSeconds);
    tally.set('tokenLifetimes', lifetimes);
    tally.set('published', [...lastAcked.values()].reduce((sum, n) => sum + n, 0));
    tally.set('unacknowledged', unacknowledged);
    tally.set('delivered', delivered);
    tally.set('lost', expected - delivered);
    tally.set('tokensIssued', sessions.reduce((sum, s) => sum + s.tokens, 0));
    tally.set('websocketReopens', sessions.filter((s) => s.ledger.transport === 'websocket').reduce((sum, s) => sum + s.opens - 1, 0));
    tally.set('proxyCuts', size.drops);
    tally.set('seconds', Math.round((Date.now() - started) / 1000));

    const f = tally.figures;
    tally.expect(f.published === size.events, `${f.published} of ${size.events} publishes were acknowledged`);
    tally.expect(f.lost === 0, `${f.lost} deliveries lost`);
    tally.expect(f.duplicated === 0, `${f.duplicated} deliveries duplicated`);
    tally.expect(f.outOfOrder === 0, `${f.outOfOrder} deliveries out of order`);
    tally.expect(f.resets === 0, `${f.resets} resets although every resume point was retained`);
    // Every session outlived several tokens, so each got fresh ones: a stream one per lifetime (in band on a
    // WebSocket, by reconnecting on SSE); a long poll only when a poll is refused, and a poll parks for 25 s.
    tally.expect(lifetimes >= 2, `the run lasted only ${lifetimes} token lifetimes`);
    for (const s of sessions) {
      const needed = s.ledger.transport === 'poll' ? 2 : lifetimes - 1;
      tally.expect(s.tokens >= needed, `${s.ledger.transport} of ${s.ledger.userId} got ${s.tokens} tokens over ${lifetimes} lifetimes`);
    }
    return tally.report();
  } finally {
    for (const session of sessions) session.hub.close();
    await proxy.close();
  }
}
