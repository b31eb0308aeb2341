// Suite: a cluster under failures. Three nodes (Node, Bun, Node) behind
// haproxy round robin, on Redis and on a PostgreSQL primary with a
// synchronous standby. One failure at a time:
// - a node killed with SIGKILL mid-publish, and restarted;
// - Redis killed and restarted while the nodes hold thousands of
//   subscriptions (one connection per user, a wave of events published while
//   Redis is down and one after);
// - the PostgreSQL primary killed with SIGKILL mid-publish and its
//   synchronous standby promoted (what Patroni does; the nodes' DATABASE_URL
//   names both servers and the driver finds the writable one).
// The node and primary failures run the reconnect storm (WebSocket, SSE and
// long polls resuming at random) through the balancer, publishers retrying
// with the same webhook-id. After each, the log in PostgreSQL is audited:
// every acknowledged event is there under the id it was acknowledged with,
// no webhook-id was stored twice, ids have no gaps; and every connection
// ended with every event of its user exactly once, in order.

import { execFileSync } from 'node:child_process';
import postgres from 'postgres';
import { tokenFor } from '../helpers/requests.ts';
import { startCluster, type RunningCluster } from '../hosts/cluster.ts';
import { publishAcknowledged } from './acknowledged-publish.ts';
import { runReconnectStorm, type RunningStorm } from './reconnect-storm.ts';
import { createResumableClient, Ledger, type ResumableClient } from './resumable-clients.ts';
import { createRandom } from './seeded-random.ts';
import { Tally, type Scale, type SuiteReport } from './suite.ts';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** When each failure starts, in ms after publishing starts (the quick storm publishes for ~6 s, the full one for ~100 s), and how long it lasts. */
const SCALES = {
  quick: { failAt: 1500, downMs: 1500, subscriptions: 1_000 },
  full: { failAt: 20_000, downMs: 10_000, subscriptions: 10_000 },
} as const;

export async function runClusterFailures(vars: Record<string, string>, scale: Scale): Promise<SuiteReport> {
  const size = SCALES[scale];
  const cluster = await startCluster(vars, ['node', 'bun', 'node'], { standby: true });
  const figures: Record<string, number> = {};
  const failures: string[] = [];
  const keep = (name: string, report: SuiteReport) => {
    for (const [key, value] of Object.entries(report.figures)) figures[`${name}.${key}`] = value;
    failures.push(...report.failures.map((failure) => `${name}: ${failure}`));
  };
  try {
    keep('node killed', await stormThrough(cluster, scale, async () => {
      await cluster.nodes[1]!.kill(); // SIGKILL, mid-publish
      await sleep(size.downMs);
      await cluster.restartNode(1);
    }));
    keep('redis restarted', await redisUnderSubscriptions(cluster, size.subscriptions, size.downMs));
    keep('primary promoted', await stormThrough(cluster, scale, async () => {
      await cluster.pair!.primary.kill(); // SIGKILL, mid-publish
      await sleep(size.downMs); // the failover's detection time (Patroni's ttl)
      await cluster.pair!.promote();
    }));
    return { figures, failures };
  } finally {
    await cluster.stop();
  }
}

/** The storm through the balancer, `fail` run during it; its figures, the audit of the log, and ms from recovery until every connection caught up. */
async function stormThrough(cluster: RunningCluster, scale: Scale, fail: () => Promise<void>): Promise<SuiteReport> {
  const acknowledged = new Map<string, Map<number, number>>(); // user → index → id
  let storm!: RunningStorm;
  let chaos: Promise<number> = Promise.resolve(-1);
  const report = await runReconnectStorm(cluster.url, scale, 7, {
    started(handle) {
      storm = handle;
      chaos = sleep(SCALES[scale].failAt).then(fail).then(() => handle.caughtUp());
    },
    acknowledged(userId, id, index) {
      let ids = acknowledged.get(userId);
      if (!ids) acknowledged.set(userId, (ids = new Map()));
      ids.set(index, id);
    },
  });
  const caughtUpMs = await chaos;
  const tally = new Tally();
  for (const [key, value] of Object.entries(report.figures)) tally.set(key, value);
  for (const failure of report.failures) tally.expect(false, failure);
  tally.set('caughtUpMs', caughtUpMs);
  tally.expect(caughtUpMs >= 0, 'the connections were not caught up within 60 s of the recovery');
  await audit(tally, cluster.pair!.url, storm.users, acknowledged);
  return tally.report();
}

/**
 * Reads the users' logs from PostgreSQL: `missingFromLog` counts events
 * acknowledged with an id the log does not hold for them, `storedTwice`
 * events stored again under a second id, `idGaps` ids skipped.
 */
async function audit(tally: Tally, url: string, users: readonly string[], acknowledged: Map<string, Map<number, number>>): Promise<void> {
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  try {
    const rows = await sql.unsafe<{ owner: string; id: string; data: string }[]>(
      `SELECT owner, id, data FROM events WHERE owner = ANY($1) ORDER BY owner, id`,
      [users as string[]],
    );
    const logs = new Map<string, Map<number, number>>(); // user → id → index
    for (const row of rows) {
      let log = logs.get(row.owner);
      if (!log) logs.set(row.owner, (log = new Map()));
      log.set(Number(row.id), (JSON.parse(row.data) as { i: number }).i);
    }
    let missing = 0;
    let twice = 0;
    let gaps = 0;
    for (const user of users) {
      const log = logs.get(user) ?? new Map<number, number>();
      for (const [index, id] of acknowledged.get(user) ?? []) if (log.get(id) !== index) missing++;
      twice += log.size - new Set(log.values()).size;
      const ids = [...log.keys()];
      if (ids.length > 0) gaps += Math.max(...ids) - Math.min(...ids) + 1 - ids.length;
    }
    tally.set('missingFromLog', missing);
    tally.set('storedTwice', twice);
    tally.set('idGaps', gaps);
    tally.expect(missing === 0, `${missing} acknowledged events are not in the log under their acknowledged id`);
    tally.expect(twice === 0, `${twice} events were stored under a second id`);
    tally.expect(gaps === 0, `${gaps} ids are missing between a user's first and last`);
  } finally {
    await sql.end();
  }
}

/** One publish to each user, `publishers` at a time, retried with its webhook-id until acknowledged; how many never were. */
async function wave(base: string, users: readonly string[], tag: string, publishers = 16): Promise<number> {
  let next = 0;
  let unacknowledged = 0;
  const publisher = async () => {
    for (let i = next++; i < users.length; i = next++) {
      if (!(await publishAcknowledged(() => base, users[i]!, { i }, `msg_${tag}_${i}`))) unacknowledged++;
    }
  };
  await Promise.all(Array.from({ length: publishers }, publisher));
  return unacknowledged;
}

/** Ms until every client holds `count` events (-1: not within `ms`). */
async function delivered(clients: readonly ResumableClient[], count: number, ms = 120_000): Promise<number> {
  const from = Date.now();
  while (!clients.every((client) => client.ledger.receivedThrough(count) >= count)) {
    if (Date.now() - from > ms) return -1;
    await sleep(100);
  }
  return Date.now() - from;
}

/** How many sharded channels Redis has subscribers for. */
function subscribedChannels(redisUrl: string): number {
  const port = new URL(redisUrl).port;
  const out = execFileSync('redis-cli', ['-p', port, 'PUBSUB', 'SHARDCHANNELS'], { maxBuffer: 64 * 1024 * 1024 }).toString();
  return out.split('\n').filter(Boolean).length;
}

/**
 * Redis killed and restarted under `count` users with one WebSocket each,
 * spread over the nodes directly (the balancer's file descriptors are not
 * what is measured). Three waves of one event per user: one live, one while
 * Redis is down (delivered by the nodes' periodic check of the log), one
 * after the restart, once the nodes have subscribed again.
 */
async function redisUnderSubscriptions(cluster: RunningCluster, count: number, downMs: number): Promise<SuiteReport> {
  const tally = new Tally();
  const random = createRandom(11);
  const run = `${Date.now().toString(36)}${random.int(1e6).toString(36)}`;
  const users = Array.from({ length: count }, (_, i) => `subs-${run}-${i}`);
  const clients: ResumableClient[] = [];
  for (const [i, userId] of users.entries()) {
    const base = cluster.nodes[i % cluster.nodes.length]!.url;
    clients.push(createResumableClient('websocket', { base, token: await tokenFor(userId, 3600), ledger: new Ledger(userId, 'websocket'), random: random.next, waitSeconds: 10 }));
  }
  try {
    // Opened a batch at a time, as users arrive, not in one herd whose handshakes time out together.
    const opened = Date.now();
    for (let i = 0; i < clients.length; i += 200) {
      const batch = clients.slice(i, i + 200);
      for (const client of batch) client.start();
      const started = Date.now();
      while (batch.some((client) => client.ledger.readies === 0) && Date.now() - started < 30_000) await sleep(50);
    }
    while (subscribedChannels(cluster.redis.url) < count && Date.now() - opened < 120_000) await sleep(250);
    tally.set('subscriptions', subscribedChannels(cluster.redis.url));
    tally.set('subscribeMs', Date.now() - opened);

    let unacknowledged = await wave(cluster.url, users, `live_${run}`);
    tally.set('liveWaveMs', await delivered(clients, 1));

    await cluster.redis.kill();
    const down = Date.now();
    unacknowledged += await wave(cluster.url, users, `down_${run}`);
    const whileDown = await delivered(clients, 2);
    tally.set('downWaveMs', whileDown);
    await sleep(Math.max(0, downMs - (Date.now() - down)));

    await cluster.redis.restart();
    const restarted = Date.now();
    while (subscribedChannels(cluster.redis.url) < count && Date.now() - restarted < 120_000) await sleep(100);
    tally.set('resubscribedMs', Date.now() - restarted);
    unacknowledged += await wave(cluster.url, users, `after_${run}`);
    tally.set('caughtUpMs', await delivered(clients, 3));

    const through = 3;
    const lost = clients.reduce((sum, client) => sum + through - client.ledger.receivedThrough(through), 0);
    const duplicated = clients.reduce((sum, client) => sum + client.ledger.duplicated, 0);
    const outOfOrder = clients.reduce((sum, client) => sum + client.ledger.outOfOrder, 0);
    tally.set('published', 3 * count - unacknowledged);
    tally.set('unacknowledged', unacknowledged);
    tally.set('lost', lost);
    tally.set('duplicated', duplicated);
    tally.set('outOfOrder', outOfOrder);
    const f = tally.figures;
    tally.expect(f.subscriptions! >= count, `only ${f.subscriptions} of ${count} users' channels were subscribed`);
    tally.expect(unacknowledged === 0, `${unacknowledged} publishes were never acknowledged`);
    tally.expect(whileDown >= 0, 'the events published while Redis was down were not all delivered from the log');
    tally.expect(f.resubscribedMs! < 120_000, 'the nodes did not subscribe again within 120 s of the restart');
    tally.expect(f.caughtUpMs! >= 0, 'the wave after the restart was not delivered');
    tally.expect(lost === 0, `${lost} deliveries lost`);
    tally.expect(duplicated === 0, `${duplicated} deliveries duplicated`);
    tally.expect(outOfOrder === 0, `${outOfOrder} deliveries out of order`);
  } finally {
    for (const client of clients) client.stop();
  }
  return tally.report();
}
