// Suite 7, soak: many idle WebSocket connections plus steady publishing for a
// long time. The host's memory at the end must stay within 10% of its memory
// after warm-up, and every event must reach its user's connection.

import { rssBytes } from '../../bench/lib.ts';
import { tokenFor } from '../helpers/requests.ts';
import type { KillableHost } from '../hosts/wrangler-dev.ts';
import { publishAcknowledged } from './acknowledged-publish.ts';
import { createResumableClient, Ledger, type ResumableClient } from './resumable-clients.ts';
import { createRandom } from './seeded-random.ts';
import { Tally, type Scale, type SuiteReport } from './suite.ts';

const SCALES = {
  quick: { connections: 300, warmupSeconds: 10, soakSeconds: 20, ratePerSecond: 20 },
  full: { connections: 10_000, warmupSeconds: 60, soakSeconds: 600, ratePerSecond: 20 },
} as const;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const MiB = 1024 * 1024;

/**
 * @param connections overrides the scale's count: wrangler dev's local proxy
 *   holds about four file descriptors per WebSocket, so under this machine's
 *   20,000 per-process limit it cannot hold 10,000 (docs/profiling.md).
 */
export async function runSoak(host: KillableHost, scale: Scale, connections?: number, seed = 13): Promise<SuiteReport> {
  const size = { ...SCALES[scale], ...(connections ? { connections } : {}) };
  const random = createRandom(seed);
  const tally = new Tally();
  const run = `${Date.now().toString(36)}${random.int(1e6).toString(36)}`;
  const clients: ResumableClient[] = [];
  try {
    // Open every connection at a bounded pace: 250 at a time.
    for (let i = 0; i < size.connections; i++) {
      const ledger = new Ledger(`soak-${run}-${i}`, 'websocket');
      const token = await tokenFor(ledger.userId, 3 * 3600);
      const client = createResumableClient('websocket', { base: host.url, token, ledger, random: random.next, waitSeconds: 0 });
      clients.push(client);
      client.start();
      if (i % 250 === 249) {
        const deadline = Date.now() + 30_000;
        while (clients.some((c) => c.ledger.readies === 0) && Date.now() < deadline) await sleep(50);
      }
    }
    const openDeadline = Date.now() + 60_000;
    while (clients.some((c) => c.ledger.readies === 0) && Date.now() < openDeadline) await sleep(100);
    tally.set('connections', clients.filter((c) => c.ledger.readies > 0).length);

    // Publish steadily through warm-up and soak; memory is read at both ends.
    const lastAcked = new Map<string, number>();
    let published = 0;
    let unacknowledged = 0;
    let warmRss = 0;
    const started = Date.now();
    const warmAt = started + size.warmupSeconds * 1000;
    const endAt = warmAt + size.soakSeconds * 1000;
    const publisher = async () => {
      while (Date.now() < endAt) {
        const due = started + (published * 1000) / size.ratePerSecond;
        const i = published++;
        if (due > Date.now()) await sleep(due - Date.now());
        const { userId } = clients[random.int(clients.length)]!.ledger;
        const ack = await publishAcknowledged(() => host.url, userId, { i }, `msg_soak_${run}_${i}`);
        if (!ack) unacknowledged++;
        else lastAcked.set(userId, Math.max(lastAcked.get(userId) ?? 0, ack.id));
      }
    };
    const publishing = Promise.all(Array.from({ length: 4 }, publisher));
    await sleep(warmAt - Date.now());
    warmRss = rssBytes(host.pids());
    await publishing;
    const drainDeadline = Date.now() + 30_000;
    while (clients.some((c) => c.ledger.lastId < (lastAcked.get(c.ledger.userId) ?? 0)) && Date.now() < drainDeadline) {
      await sleep(100);
    }
    const endRss = rssBytes(host.pids());

    let lost = 0;
    for (const { ledger } of clients) {
      const through = lastAcked.get(ledger.userId) ?? 0;
      lost += through - ledger.receivedThrough(through);
      tally.add('duplicated', ledger.duplicated);
    }
    tally.set('duplicated', tally.figures.duplicated ?? 0);
    tally.set('published', published);
    tally.set('unacknowledged', unacknowledged);
    tally.set('lost', lost);
    tally.set('reconnects', clients.reduce((sum, c) => sum + Math.max(0, c.ledger.readies - 1), 0));
    tally.set('warmRssMiB', Math.round(warmRss / MiB));
    tally.set('endRssMiB', Math.round(endRss / MiB));
    tally.set('rssGrowthPercent', Math.round(((endRss - warmRss) / warmRss) * 1000) / 10);
    tally.set('soakSeconds', size.soakSeconds);

    const f = tally.figures;
    tally.expect(f.connections === size.connections, `only ${f.connections} of ${size.connections} connections opened`);
    tally.expect(f.lost === 0, `${f.lost} deliveries lost`);
    tally.expect(f.duplicated === 0, `${f.duplicated} deliveries duplicated`);
    tally.expect(f.unacknowledged === 0, `${f.unacknowledged} publishes never acknowledged`);
    tally.expect(endRss <= warmRss * 1.1, `memory grew ${f.rssGrowthPercent}% from warm-up (${f.warmRssMiB} → ${f.endRssMiB} MiB)`);
    return tally.report();
  } finally {
    for (const client of clients) client.stop();
  }
}
