// The conformance contract against a cluster: three nodes (Node, Bun, Node)
// on one PostgreSQL and one Redis, behind haproxy round robin with no
// stickiness, so a client's requests, its reconnects and its publisher's
// calls land on different nodes.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHubClient } from '../conformance/clients.ts';
import { describeEveryContract } from '../conformance/every-contract.ts';
import { uniqueUser } from '../helpers/requests.ts';
import { runClusterFailures } from '../verify/cluster-failures.ts';
import { haveEngines } from '../hosts/engines.ts';
import { startCluster, type RunningCluster } from '../hosts/cluster.ts';
import { HOST_VARS } from './hosts.setup.ts';

let cluster: RunningCluster | undefined;
beforeAll(async () => {
  if (haveEngines()) cluster = await startCluster(HOST_VARS);
}, 120_000);
afterAll(() => cluster?.stop(), 60_000);

if (haveEngines()) describeEveryContract('a cluster behind haproxy', () => cluster!.url, HOST_VARS, { slowConsumerClose: true });

describe.skipIf(!haveEngines())('limits of a cluster, across its nodes', () => {
  const cap = Number(HOST_VARS.MAX_CONNECTIONS_PER_USER);
  const burst = Number(HOST_VARS.PUBLISH_BURST_PER_USER);
  const rate = Number(HOST_VARS.PUBLISH_RATE_PER_USER);

  it('holds the per-user connection cap over every node: WebSockets on three nodes, the one past the cap refused', { timeout: 60_000 }, async () => {
    const user = uniqueUser('cap');
    const nodes = cluster!.nodes.map((node) => createHubClient(node.url));
    const sockets = [];
    for (let i = 0; i < cap; i++) {
      const socket = await nodes[i % nodes.length]!.socket(user);
      await socket.untilReady();
      sockets.push(socket);
    }
    for (const node of nodes) await expect(node.socket(user)).rejects.toThrow(/429/);
    expect((await (await nodes[0]!.signed('GET', `/v1/users/${user}/presence`)).json()) as unknown).toMatchObject({ online: true, connections: { websocket: cap } });
    for (const socket of sockets) socket.ws.close();
  });

  it('spends one publish budget per user over every node', { timeout: 60_000 }, async () => {
    const user = uniqueUser('rate');
    const nodes = cluster!.nodes.map((node) => createHubClient(node.url));
    const started = Date.now();
    let accepted = 0;
    for (let i = 0; i < burst * 2; i++) if ((await nodes[i % nodes.length]!.publish(user, 'tick', { i })).status === 202) accepted++;
    const refill = Math.ceil(((Date.now() - started) / 1000) * rate) + 1;
    // Per-node buckets would have let every publish through (three bursts).
    expect(accepted).toBeGreaterThanOrEqual(burst);
    expect(accepted).toBeLessThanOrEqual(burst + refill);
  });
});

describe.skipIf(!haveEngines())('a cluster under failures', () => {
  it('loses, doubles and reorders nothing while a node is killed, Redis restarts under 1,000 subscriptions, or the PostgreSQL primary dies and its standby is promoted', { timeout: 240_000 }, async () => {
    const report = await runClusterFailures(HOST_VARS, 'quick');
    expect(report.failures).toEqual([]);
    for (const failure of ['node killed', 'redis restarted', 'primary promoted']) {
      expect(report.figures).toMatchObject({ [`${failure}.lost`]: 0, [`${failure}.duplicated`]: 0, [`${failure}.outOfOrder`]: 0, [`${failure}.unacknowledged`]: 0 });
    }
    for (const failure of ['node killed', 'primary promoted']) {
      expect(report.figures).toMatchObject({ [`${failure}.missingFromLog`]: 0, [`${failure}.storedTwice`]: 0, [`${failure}.idGaps`]: 0 });
    }
  });
});
