// The designs under test, each started on the server core and described to
// the load generator: how clients connect and how a backend publishes.

import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { execFileSync } from 'node:child_process';
import { freePort, listeners, pinTree, SERVER_CORE, spawnPinned, waitFor } from './lib.ts';
import { TEST_VARS } from '../test/helpers/test-vars.ts';
import { haproxyConfig, startCluster } from '../test/hosts/cluster.ts';
import { haveEngines } from '../test/hosts/engines.ts';
import { freezeWorker } from '../test/hosts/wrangler-dev.ts';

/** How load workers connect and how the publisher publishes; plain data, sent to child processes. */
export interface Target {
  kind: 'hub' | 'socketio' | 'nchan';
  /** Where clients connect. */
  clientUrl: string;
  /** Where the publisher sends. */
  publishUrl: string;
  jwtSecret?: string;
  webhookSecret?: string;
}

export interface RunningDesign {
  target: Target;
  /** Root pids of every server-side process of the design. */
  pids(): number[];
  /** Deliveries that reached a node holding no connection of that user. */
  waste(): Promise<{ received: number; wasted: number } | null>;
  /** A cluster's nodes, each a URL clients can connect to directly (bench/fanout.ts). */
  nodeUrls?: string[];
  /** The design's processes by role, for where its CPU goes. */
  parts?: Array<{ name: string; pids: number[] }>;
  stop(): Promise<void>;
}

export interface Design {
  name: string;
  /** Fewer idle connections than BENCH_IDLE_CONNECTIONS for this design, and why. */
  idleLimit?: { connections: number; why: string };
  /** A shorter run than the others: its own connections, rates and step length, no transport mix, no idle phase; and why. */
  short?: { connections: number; rates: number[]; stepSeconds: number; why: string };
  /** Why it cannot run here, if it cannot. */
  missing(): string | null;
  start(): Promise<RunningDesign>;
}

const HUB_VARS = {
  JWT_SECRET: TEST_VARS.JWT_SECRET,
  WEBHOOK_SECRET: TEST_VARS.WEBHOOK_SECRET,
  MAX_CONNECTIONS_PER_USER: '50',
  // The bench measures throughput, not the per-user publish limiter.
  PUBLISH_RATE_PER_USER: '0',
};

/** Where CPU profiles of the standalone hosts go (BENCH_PROFILE_DIR), if anywhere. */
const PROFILE_DIR = process.env.BENCH_PROFILE_DIR;

const health = (url: string) => async () => (await fetch(url)).ok;

function stopAll(children: ChildProcess[], dir?: string): () => Promise<void> {
  return async () => {
    if (PROFILE_DIR) {
      // Let a profiled runtime write its profile on a clean exit first.
      for (const child of children) if (child.exitCode === null && child.pid) child.kill('SIGTERM');
      await new Promise((resolve) => setTimeout(resolve, 3000));
    }
    for (const child of children) {
      if (child.exitCode === null && child.pid) {
        try {
          process.kill(-child.pid, 'SIGKILL');
        } catch {
          child.kill('SIGKILL');
        }
      }
    }
    await new Promise((resolve) => setTimeout(resolve, 300));
    if (dir) rmSync(dir, { recursive: true, force: true });
  };
}

const which = (command: string): boolean => {
  try {
    execFileSync('which', [command], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
};

function hubTarget(url: string): Target {
  return { kind: 'hub', clientUrl: url, publishUrl: url, jwtSecret: HUB_VARS.JWT_SECRET, webhookSecret: HUB_VARS.WEBHOOK_SECRET };
}

const WRANGLER_ENV = { ...process.env, WRANGLER_SEND_METRICS: 'false', CI: 'true' };

const wranglerDev: Design = {
  name: 'userhub · wrangler dev (development server)',
  idleLimit: {
    connections: 3000,
    why: "wrangler dev's local proxy (a second workerd in front of the Worker's) holds about 4 file descriptors per WebSocket; near 5,000 connections it hits this machine's limit of 20,000 open files, fails accept() with EMFILE and is restarted together with the Worker, dropping every connection",
  },
  missing: () => null,
  async start() {
    const port = await freePort();
    const dir = mkdtempSync(join(tmpdir(), 'bench-wrangler-'));
    const config = freezeWorker(dir);
    const vars = Object.entries(HUB_VARS).flatMap(([k, v]) => ['--var', `${k}:${v}`]);
    const args = ['wrangler', 'dev', '--config', config, '--ip', '127.0.0.1', '--port', String(port), '--persist-to', join(dir, 'state'), '--log-level', 'error', '--show-interactive-dev-session=false', ...vars];
    const child = spawnPinned(SERVER_CORE, 'wrangler-dev', 'npx', args, { env: WRANGLER_ENV, detached: true });
    const url = `http://127.0.0.1:${port}`;
    await waitFor(health(`${url}/v1/health`), 60_000, 'wrangler dev');
    return { target: hubTarget(url), pids: () => [child.pid!], waste: async () => ({ received: 0, wasted: 0 }), stop: stopAll([child], dir) };
  },
};

/**
 * The Cloudflare build on workerd with no development proxy: the bundle
 * `wrangler deploy --dry-run` makes, served by Miniflare's API (one workerd
 * process; bench/peers/workerd-direct.ts). Durable Object files on disk, or on
 * tmpfs for `storage: 'tmpfs'`. Still one machine's workerd, not Cloudflare's
 * fleet: what it measures is this project's code on the real runtime.
 * `plain`: workerd on a config of its own, without the entry worker Miniflare
 * puts in front of every request.
 */
function workerdDirect(storage: 'disk' | 'tmpfs', variant: { label: string; tree?: string; plain?: boolean } = { label: '' }): Design {
  return {
    name: `userhub · workerd ${variant.plain ? '(own config)' : 'direct'}${storage === 'tmpfs' ? ' · tmpfs' : ''}${variant.label}`,
    missing: () =>
      storage === 'tmpfs' && !existsSync('/dev/shm') ? 'no /dev/shm' : variant.tree && !existsSync(join(variant.tree, 'src/cloudflare')) ? `no checkout at ${variant.tree}` : null,
    async start() {
      const port = await freePort();
      const dir = mkdtempSync(join(storage === 'tmpfs' ? '/dev/shm' : tmpdir(), 'bench-workerd-'));
      freezeWorker(dir, variant.tree);
      const child = spawnPinned(SERVER_CORE, 'workerd-direct', 'node', ['bench/peers/workerd-direct.ts', join(dir, 'worker'), String(port), join(dir, 'state')], {
        env: { ...process.env, ...HUB_VARS, ...(variant.plain && { WORKERD_CONFIG: 'plain' }) },
        detached: true,
      });
      const url = `http://127.0.0.1:${port}`;
      await waitFor(health(`${url}/v1/health`), 60_000, 'workerd direct');
      return { target: hubTarget(url), pids: () => [child.pid!], waste: async () => ({ received: 0, wasted: 0 }), stop: stopAll([child], dir) };
    },
  };
}

/**
 * A standalone host. `variant` runs it with other settings (SQLITE_SYNCHRONOUS,
 * LOG_LEVEL) or from another checkout of this repository (`tree`, for a
 * before/after comparison in one run).
 */
function standalone(runtime: 'node' | 'bun' | 'deno', variant: { label: string; vars?: Record<string, string>; tree?: string } = { label: '' }): Design {
  const commands = {
    node: ['node', '--disable-warning=ExperimentalWarning', 'src/standalone/node.ts'],
    bun: ['bun', 'src/standalone/bun.ts'],
    deno: ['deno', 'run', '--allow-net', '--allow-env', '--allow-read', '--allow-write', 'src/standalone/deno.ts'],
  }[runtime];
  return {
    name: `userhub · ${runtime}${variant.label}`,
    missing: () => (variant.tree && !existsSync(join(variant.tree, 'src/standalone'))) ? `no checkout at ${variant.tree}` : null,
    async start() {
      const port = await freePort();
      const dir = mkdtempSync(join(tmpdir(), `bench-${runtime}-`));
      const [command, ...rest] = commands;
      // BENCH_PROFILE_DIR: a CPU profile of the host, written when the design stops.
      const profile = PROFILE_DIR ? { bun: ['--cpu-prof', '--cpu-prof-md', `--cpu-prof-dir=${PROFILE_DIR}`], node: ['--cpu-prof', `--cpu-prof-dir=${PROFILE_DIR}`], deno: [] }[runtime] : [];
      const args = runtime === 'deno' ? rest : [...profile, ...rest];
      const child = spawnPinned(SERVER_CORE, runtime, command!, args, {
        env: { ...process.env, ...HUB_VARS, ...variant.vars, PORT: String(port), DATABASE_PATH: join(dir, 'hub.sqlite') },
        detached: true,
        ...(variant.tree && { cwd: variant.tree }),
      });
      const url = `http://127.0.0.1:${port}`;
      await waitFor(health(`${url}/v1/health`), 30_000, runtime);
      return { target: hubTarget(url), pids: () => [child.pid!], waste: async () => ({ received: 0, wasted: 0 }), stop: stopAll([child], dir) };
    },
  };
}

function socketIo(nodes: number, adapter: 'classic' | 'sharded'): Design {
  return {
    name: `Socket.IO × ${nodes} · ${adapter} Redis adapter`,
    missing: () => (which('redis-server') ? null : 'redis-server is not installed (apt-get install redis-server)'),
    async start() {
      const children: ChildProcess[] = [];
      const redisPort = await freePort();
      children.push(
        spawnPinned(SERVER_CORE, 'redis', 'redis-server', ['--port', String(redisPort), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { detached: true }),
      );
      await waitFor(async () => {
        execFileSync('redis-cli', ['-p', String(redisPort), 'ping'], { stdio: 'ignore' });
        return true;
      }, 10_000, 'redis');
      const ports: number[] = [];
      for (let i = 0; i < nodes; i++) {
        const port = await freePort();
        ports.push(port);
        children.push(
          spawnPinned(SERVER_CORE, `socketio-node-${i}`, 'node', ['bench/peers/socketio-node.ts'], {
            env: { ...process.env, PORT: String(port), REDIS_URL: `redis://127.0.0.1:${redisPort}`, ADAPTER: adapter },
            detached: true,
          }),
        );
      }
      for (const port of ports) await waitFor(health(`http://127.0.0.1:${port}/health`), 20_000, 'socket.io node');
      const splitterPort = await freePort();
      children.push(
        spawnPinned(SERVER_CORE, 'splitter', 'node', ['bench/peers/splitter.ts'], {
          env: { ...process.env, PORT: String(splitterPort), BACKENDS: ports.join(',') },
          detached: true,
        }),
      );
      const url = `http://127.0.0.1:${splitterPort}`;
      await waitFor(health(`${url}/health`), 10_000, 'splitter');
      return {
        target: { kind: 'socketio', clientUrl: url, publishUrl: url },
        pids: () => children.map((child) => child.pid!),
        async waste() {
          const all = await Promise.all(ports.map(async (port) => (await fetch(`http://127.0.0.1:${port}/stats`)).json() as Promise<{ received: number; wasted: number }>));
          return all.reduce((a, b) => ({ received: a.received + b.received, wasted: a.wasted + b.wasted }), { received: 0, wasted: 0 });
        },
        stop: stopAll(children),
      };
    },
  };
}

/** haproxy round robin in front of `nodeUrls`, configured as the cluster tests configure it, pinned to the server core. */
async function balancer(dir: string, nodeUrls: string[]): Promise<{ url: string; child: ChildProcess }> {
  const port = await freePort();
  const config = join(dir, 'haproxy.cfg');
  writeFileSync(config, haproxyConfig(port, nodeUrls));
  const child = spawnPinned(SERVER_CORE, 'haproxy', 'haproxy', ['-f', config, '-db'], { detached: true });
  const url = `http://127.0.0.1:${port}`;
  await waitFor(health(`${url}/v1/health`), 20_000, 'haproxy');
  // Servers start up; one failed check (every 500 ms) marks a node down, so by now a round of answers shows any.
  await new Promise((resolve) => setTimeout(resolve, 1600));
  const answers = await Promise.all(nodeUrls.map(async () => (await fetch(`${url}/v1/health`)).status));
  if (answers.some((status) => status !== 200)) throw new Error(`haproxy: a node failed its health check (${answers.join(', ')})`);
  return { url, child };
}

/**
 * The cluster: three Bun nodes on one PostgreSQL and one Redis, behind haproxy
 * round robin (test/hosts/cluster.ts, as a self-hoster would run it; the
 * balancer is the bench's own, see balancer()). Every process of it is pinned
 * to the server core like every other design, so its figures are what the
 * cluster's work costs on one core of this machine, not what three machines
 * would hold. PostgreSQL and Redis are found by the ports they listen on, so
 * their CPU is counted too.
 */
const cluster: Design = {
  name: 'userhub · cluster (3 Bun nodes, PostgreSQL, Redis, haproxy)',
  short: {
    connections: 400,
    rates: [20, 50, 100, 200],
    stepSeconds: 5,
    why: 'every process of the cluster shares the one server core and each connection opens under the user\'s lock in PostgreSQL, so it takes fewer connections and lower rates, to stay near a minute',
  },
  missing: () => (haveEngines() ? null : 'PostgreSQL 15, redis-server or haproxy is not installed (apt-get install postgresql redis-server haproxy)'),
  async start() {
    const running = await startCluster(HUB_VARS, ['bun', 'bun', 'bun']);
    const dir = mkdtempSync(join(tmpdir(), 'bench-cluster-'));
    try {
      const nodePids = running.nodes.flatMap((node) => node.pids());
      // The cluster's own balancer is replaced by one started pinned to the server core, its CPU counted.
      const isHaproxy = (pid: number) => readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === 'haproxy';
      for (const pid of running.pids().filter((pid) => !nodePids.includes(pid) && isHaproxy(pid))) process.kill(pid, 'SIGKILL');
      const engines = [running.postgres, running.redis].map((engine) => listeners(Number(new URL(engine.url).port)));
      if (engines.some((found) => found.length === 0)) throw new Error('PostgreSQL or Redis not found by its port: its CPU would go uncounted');
      pinTree(SERVER_CORE, [...nodePids, ...engines.flat()]);
      const nodeUrls = running.nodes.map((node) => node.url);
      const front = await balancer(dir, nodeUrls);
      const stopFront = stopAll([front.child], dir);
      return {
        target: hubTarget(front.url),
        pids: () => [front.child.pid!, ...nodePids, ...engines.flat()],
        // Measured by placement instead (bench/fanout.ts): which node holds a connection that came through the balancer is not known here.
        waste: async () => null,
        nodeUrls,
        parts: [
          { name: 'the nodes', pids: nodePids },
          { name: 'PostgreSQL', pids: engines[0]! },
          { name: 'Redis', pids: engines[1]! },
          { name: 'haproxy', pids: [front.child.pid!] },
        ],
        stop: async () => {
          await stopFront();
          await running.stop();
        },
      };
    } catch (err) {
      rmSync(dir, { recursive: true, force: true });
      await running.stop();
      throw err;
    }
  },
};

const NCHAN_MODULE = '/usr/lib/nginx/modules/ngx_nchan_module.so';

// One channel per user. Long-poll subscribers hold no connection between
// polls: what is published meanwhile waits in the channel's message buffer
// (set where messages are published) until the next poll names the last
// message it saw (If-Modified-Since / If-None-Match).
const nchan: Design = {
  name: 'Nchan (nginx)',
  missing: () =>
    which('nginx') && existsSync(NCHAN_MODULE) ? null : 'nginx with the nchan module is not installed (apt-get install nginx-light libnginx-mod-nchan)',
  async start() {
    const port = await freePort();
    const dir = mkdtempSync(join(tmpdir(), 'bench-nchan-'));
    writeFileSync(
      join(dir, 'nginx.conf'),
      `load_module ${NCHAN_MODULE};
daemon off;
worker_processes 1;
worker_rlimit_nofile 20000;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log error;
events { worker_connections 19000; }
http {
  access_log off;
  client_body_temp_path ${dir};
  server {
    listen 127.0.0.1:${port};
    location = /health { return 200 'ok'; }
    location ~ ^/pub/([\\w.:@|+=-]+)$ { nchan_publisher; nchan_channel_id $1; nchan_message_buffer_length 1000; nchan_message_timeout 1h; }
    location ~ ^/sub/([\\w.:@|+=-]+)$ { nchan_subscriber websocket eventsource longpoll; nchan_channel_id $1; }
  }
}
`,
    );
    const child = spawnPinned(SERVER_CORE, 'nginx', 'nginx', ['-c', join(dir, 'nginx.conf'), '-p', dir], { detached: true });
    const url = `http://127.0.0.1:${port}`;
    await waitFor(health(`${url}/health`), 10_000, 'nginx');
    return {
      target: { kind: 'nchan', clientUrl: url, publishUrl: url },
      pids: () => [child.pid!],
      waste: async () => ({ received: 0, wasted: 0 }),
      stop: stopAll([child], dir),
    };
  },
};

/** BENCH_BASE_TREE: another checkout (say, main before a change) benchmarked beside this one. */
const baseTree = process.env.BENCH_BASE_TREE;

export const DESIGNS: Design[] = [
  wranglerDev,
  workerdDirect('disk'),
  workerdDirect('tmpfs'),
  workerdDirect('disk', { label: '', plain: true }),
  ...(baseTree ? [workerdDirect('disk', { label: ' · base', tree: baseTree })] : []),
  standalone('bun'),
  standalone('bun', { label: ' · synchronous=NORMAL', vars: { SQLITE_SYNCHRONOUS: 'NORMAL' } }),
  ...(baseTree ? [standalone('bun', { label: ' · base', tree: baseTree })] : []),
  standalone('node'),
  standalone('node', { label: ' · synchronous=NORMAL', vars: { SQLITE_SYNCHRONOUS: 'NORMAL' } }),
  ...(baseTree ? [standalone('node', { label: ' · base', tree: baseTree })] : []),
  standalone('deno'),
  cluster,
  socketIo(2, 'classic'),
  socketIo(4, 'classic'),
  socketIo(2, 'sharded'),
  socketIo(4, 'sharded'),
  nchan,
];
