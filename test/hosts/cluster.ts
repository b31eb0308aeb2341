// A cluster for tests: PostgreSQL, Redis, standalone nodes on them, and
// haproxy in front, round robin with no stickiness (consecutive requests of
// one client land on different nodes), as a self-hoster would run it.

import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startPostgres, startPostgresPair, startRedis, type Engine, type PostgresPair } from './engines.ts';
import { startStandalone, type Runtime, type StandaloneProcess } from './standalone.ts';
import { freePort, waitForHealth, type KillableHost } from './wrangler-dev.ts';

export interface RunningCluster extends KillableHost {
  /** The PostgreSQL the nodes write to: with `standby`, the primary. */
  postgres: Engine;
  /** With `standby`: the primary and its synchronous standby. */
  pair?: PostgresPair;
  redis: Engine;
  nodes: StandaloneProcess[];
  /** Starts node `i` again (after a kill) on its port, behind the same balancer entry. */
  restartNode(i: number): Promise<void>;
}

export interface ClusterOptions {
  /** PostgreSQL as a primary with a synchronous standby, the nodes given both (the driver finds the writable one). */
  standby?: boolean;
  /** Extra variables of every node. */
  vars?: Record<string, string>;
}

export async function startCluster(vars: Record<string, string>, runtimes: readonly Runtime[] = ['node', 'bun', 'node'], options: ClusterOptions = {}): Promise<RunningCluster> {
  const [single, pair, redis] = await Promise.all([options.standby ? undefined : startPostgres(), options.standby ? startPostgresPair() : undefined, startRedis()]);
  const postgres = pair ? pair.primary : single!;
  const nodeVars = { ...vars, ...options.vars, DATABASE_URL: pair?.url ?? postgres.url, REDIS_URL: redis.url };
  const nodes: StandaloneProcess[] = [];
  for (const runtime of runtimes) nodes.push(await startStandalone(runtime, nodeVars));
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'userhub-haproxy-'));
  const config = join(dir, 'haproxy.cfg');
  writeFileSync(config, haproxyConfig(port, nodes.map((node) => node.url)));
  const haproxy: ChildProcess = spawn('haproxy', ['-f', config, '-db'], { stdio: 'ignore' });
  const url = `http://127.0.0.1:${port}`;
  await waitForHealth(url, haproxy, 30_000, () => 'haproxy');
  const kill = async () => {
    haproxy.kill('SIGKILL');
    await Promise.all(nodes.map((node) => node.kill()));
  };
  return {
    url,
    postgres,
    pair,
    redis,
    nodes,
    kill,
    async restartNode(i) {
      nodes[i] = await startStandalone(runtimes[i]!, nodeVars, { port: Number(new URL(nodes[i]!.url).port) });
    },
    async stop() {
      haproxy.kill('SIGKILL');
      await Promise.all(nodes.map((node) => node.stop()));
      await Promise.all([pair ? pair.stop() : postgres.stop(), redis.stop()]);
      rmSync(dir, { recursive: true, force: true });
    },
    pids: () => [haproxy.pid!, ...nodes.flatMap((node) => node.pids())],
  };
}

/** haproxy in front of `nodeUrls`: round robin, no stickiness, a node that stops answering its health check skipped. */
export function haproxyConfig(port: number, nodeUrls: readonly string[]): string {
  return [
    'defaults',
    '  mode http',
    // A node that refuses the connection (killed) is skipped for the next: clients and publishers retry.
    '  option redispatch',
    '  retries 3',
    '  timeout connect 5s',
    '  timeout client 120s',
    '  timeout server 120s',
    '  timeout tunnel 1h',
    'frontend userhub',
    `  bind 127.0.0.1:${port}`,
    '  default_backend nodes',
    'backend nodes',
    '  balance roundrobin',
    ...nodeUrls.map((url, i) => `  server n${i} ${new URL(url).host} check inter 500 fall 1 rise 1`),
    // Health checks of a plain GET /v1/health (HTTP/1.0, no Host: haproxy's default).
    '  option httpchk GET /v1/health',
    '',
  ].join('\n');
}
