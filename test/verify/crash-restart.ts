// Suite 2, crash and restart: clients stream (WebSocket and SSE) while events
// are published; the host is killed with SIGKILL mid-stream and started again
// on the same port and the same state (wrangler dev's .wrangler-style persist
// directory, a standalone host's SQLite file). Publishers retry with the same
// webhook-id until acknowledged; clients resume by last id. Every acknowledged
// publish must reach every connection of its user exactly once, in order.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tokenFor } from '../helpers/requests.ts';
import type { KillableHost } from '../hosts/wrangler-dev.ts';
import { publishOnSchedule } from './acknowledged-publish.ts';
import { createResumableClient, Ledger, type ResumableClient, type StormTransport } from './resumable-clients.ts';
import { createRandom } from './seeded-random.ts';
import { Tally, type Scale, type SuiteReport } from './suite.ts';

/** Starts the host under test on a given port and state location; called again after each kill. */
export type HostStarter = (state: { dir: string; port: number }) => Promise<KillableHost>;

const SCALES = {
  quick: { users: 5, events: 150, ratePerSecond: 50, kills: 1 },
  full: { users: 20, events: 2_000, ratePerSecond: 50, kills: 5 },
} as const;

const TRANSPORTS: StormTransport[] = ['websocket', 'sse'];
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function runCrashRestart(start: HostStarter, port: number, scale: Scale, seed = 11): Promise<SuiteReport> {
  const size = SCALES[scale];
  const random = createRandom(seed);
  const tally = new Tally();
  const dir = mkdtempSync(join(tmpdir(), 'userhub-crash-'));
  let host = await start({ dir, port });
  const base = host.url;
  const run = `${Date.now().toString(36)}${random.int(1e6).toString(36)}`;
  const users = Array.from({ length: size.users }, (_, i) => `crash-${run}-${i}`);
  const clients: ResumableClient[] = [];

  try {
    for (const userId of users) {
      const token = await tokenFor(userId, 3600);
      for (const transport of TRANSPORTS) {
        const ledger = new Ledger(userId, transport);
        clients.push(createResumableClient(transport, { base, token, ledger, random: random.next, waitSeconds: 5 }));
      }
    }
    for (const client of clients) client.start();
    await sleep(500);

    const acknowledged = new Map<string, Set<number>>(users.map((u) => [u, new Set()]));
    let maxAttempts = 0;
    const started = Date.now();
    const publishing = publishOnSchedule({
      base: () => base,
      users,
      pick: random.int,
      events: size.events,
      ratePerSecond: size.ratePerSecond,
      publishers: 8,
      tag: `crash_${run}`,
      // Enough attempts to outlast a restart.
      maxAttempts: 60,
      onAcknowledged: (userId, ack) => {
        acknowledged.get(userId)!.add(ack.id);
        maxAttempts = Math.max(maxAttempts, ack.attempts);
      },
    });

    // Kill at evenly spread points of the publishing schedule, then start again.
    let restartMs = 0;
    for (let k = 1; k <= size.kills; k++) {
      const at = started + ((k / (size.kills + 1)) * size.events * 1000) / size.ratePerSecond;
      await sleep(Math.max(0, at - Date.now()));
      await host.kill();
      const t = Date.now();
      host = await start({ dir, port });
      restartMs = Math.max(restartMs, Date.now() - t);
    }
    const { unacknowledged } = await publishing;

    const lastAcked = (userId: string) => Math.max(0, ...acknowledged.get(userId)!);
    const deadline = Date.now() + 60_000;
    while (clients.some((c) => c.ledger.lastId < lastAcked(c.ledger.userId)) && Date.now() < deadline) await sleep(100);

    let expected = 0;
    let delivered = 0;
    for (const { ledger } of clients) {
      const through = lastAcked(ledger.userId);
      expected += through;
      delivered += ledger.receivedThrough(through);
      tally.add('duplicated', ledger.duplicated);
      tally.add('outOfOrder', ledger.outOfOrder);
      // Every acknowledged id is an id this connection received.
      for (const id of acknowledged.get(ledger.userId)!) if (ledger.lastId < id) tally.add('acknowledgedMissing');
    }
    // Acknowledged ids are distinct per user: a retry after the crash got the first answer back.
    const acknowledgedCount = [...acknowledged.values()].reduce((sum, ids) => sum + ids.size, 0);
    tally.set('published', size.events);
    tally.set('acknowledged', acknowledgedCount);
    tally.set('unacknowledged', unacknowledged);
    tally.set('kills', size.kills);
    tally.set('connections', clients.length);
    tally.set('delivered', delivered);
    tally.set('lost', expected - delivered);
    tally.set('acknowledgedMissing', tally.figures.acknowledgedMissing ?? 0);
    // A publish stored twice (its first answer lost in the crash) would show as ids beyond the acknowledged count.
    tally.set('storedTwice', users.reduce((sum, u) => sum + lastAcked(u) - acknowledged.get(u)!.size, 0));
    tally.set('maxPublishAttempts', maxAttempts);
    tally.set('restartMs', restartMs);

    const f = tally.figures;
    tally.expect(f.acknowledged === size.events, `${f.acknowledged} distinct acknowledged ids for ${size.events} publishes`);
    tally.expect(f.unacknowledged === 0, `${f.unacknowledged} publishes never acknowledged`);
    tally.expect(f.lost === 0, `${f.lost} deliveries lost`);
    tally.expect(f.acknowledgedMissing === 0, `${f.acknowledgedMissing} acknowledged events missing from a connection`);
    tally.expect(f.storedTwice === 0, `${f.storedTwice} publishes stored twice across a crash`);
    tally.expect(f.duplicated === 0, `${f.duplicated} deliveries duplicated`);
    tally.expect(f.outOfOrder === 0, `${f.outOfOrder} deliveries out of order`);
    return tally.report();
  } finally {
    for (const client of clients) client.stop();
    await host.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
