// Suite: a cluster under failures. Three nodes (Node, Bun, Node) on one
// PostgreSQL and one Redis behind haproxy round robin; the reconnect storm
// (WebSocket, SSE and long polls, resuming at random) runs through the
// balancer while one node is killed with SIGKILL mid-publish and restarted,
// then Redis is killed and restarted. Publishers retry with the same
// webhook-id. Every connection must end with every event of its user exactly
// once, in order.

import { startCluster } from '../hosts/cluster.ts';
import { runReconnectStorm } from './reconnect-storm.ts';
import type { Scale, SuiteReport } from './suite.ts';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** When each failure starts, in ms after the storm starts (the quick storm publishes for ~6 s, the full one for ~100 s). */
const SCHEDULES = {
  quick: { killNode: 2500, nodeDownMs: 1500, redisDownMs: 1000 },
  full: { killNode: 20_000, nodeDownMs: 10_000, redisDownMs: 10_000 },
} as const;

export async function runClusterFailures(vars: Record<string, string>, scale: Scale): Promise<SuiteReport> {
  const cluster = await startCluster(vars);
  const schedule = SCHEDULES[scale];
  try {
    const chaos = (async () => {
      await sleep(schedule.killNode);
      await cluster.nodes[1]!.kill(); // SIGKILL, mid-publish
      await sleep(schedule.nodeDownMs);
      await cluster.restartNode(1);
      await cluster.redis.kill();
      await sleep(schedule.redisDownMs);
      await cluster.redis.restart();
    })();
    const report = await runReconnectStorm(cluster.url, scale);
    await chaos;
    return { figures: { ...report.figures, nodesKilled: 1, redisRestarts: 1 }, failures: report.failures };
  } finally {
    await cluster.stop();
  }
}
