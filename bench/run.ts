// npm run bench: every design, one after another, with the same seeded
// workload and the same client code. Servers run on one core, the load
// generator on the other. Writes bench/results/<date>.json and renders
// docs/benchmarks.md from it.

import { execFileSync, fork, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, release, totalmem } from 'node:os';
import * as hdr from 'hdr-histogram-js';
import { DESIGNS, type Design, type RunningDesign } from './designs.ts';
import { measureFanout, traffic, type FanoutPlacement, type Traffic } from './fanout.ts';
import { cpuSeconds, LOAD_CORE, rssBytes, seededRandom, sleep, zipfSampler } from './lib.ts';
import type { Conn, ConnectReply, TallyReport, WorkerCommand } from './load-worker.ts';
import type { PublisherCommand } from './publisher.ts';
import { renderReport } from './report.ts';

const env = (name: string, fallback: string) => process.env[name] ?? fallback;
export const CONFIG = {
  seed: Number(env('BENCH_SEED', '42')),
  connections: Number(env('BENCH_CONNECTIONS', '2000')),
  rates: env('BENCH_RATES', '500,2000,5000').split(',').map(Number),
  maxRate: Number(env('BENCH_MAX_RATE', '20000')),
  stepSeconds: Number(env('BENCH_STEP_SECONDS', '8')),
  warmupSeconds: Number(env('BENCH_WARMUP_SECONDS', '4')),
  drainMs: Number(env('BENCH_DRAIN_MS', '3000')),
  workers: Number(env('BENCH_WORKERS', '4')),
  idleConnections: Number(env('BENCH_IDLE_CONNECTIONS', '10000')),
  idleSeconds: Number(env('BENCH_IDLE_SECONDS', '60')),
  offlineShare: 0.2,
  designs: new RegExp(env('BENCH_DESIGNS', '.'), 'i'),
};

/** Deliveries and latency (ms) over some connections. */
export interface TransportFigures {
  expected: number;
  delivered: number;
  lost: number;
  duplicated: number;
  p50: number;
  p99: number;
  p999: number;
}

export interface StepResult extends TransportFigures {
  rate: number;
  published: number;
  /** Publishes refused, failed, or never sent because the step was abandoned. */
  failedPublishes: number;
  publisherLagMs: number;
  /** The same figures for each transport's connections alone (results from before 2026-12-01T20:50 have none). */
  byTransport?: Record<Conn['transport'], TransportFigures>;
  cpuSeconds: number;
  cpuSecondsPerMillion: number;
  held: boolean;
}

export interface DesignResult {
  name: string;
  skipped?: string;
  error?: string;
  connected?: number;
  connectFailures?: number;
  steps: StepResult[];
  /** The machine's 1-minute load average as this design started, the previous design's load decaying in it (results before 2026-12-08 have none). */
  loadAverage?: number;
  /** Why this design had a shorter run (its own rates and step length, no transport mix, no idle phase). */
  short?: string;
  highestRateHeld?: number;
  waste?: { received: number; wasted: number } | null;
  /** One step with 60% WebSocket, 20% SSE and 20% long-poll connections. */
  mixed?: StepResult & { connections: ConnectReply['byTransport'] };
  /** Why the idle phase was not run (results from runs that skipped it under wrangler dev). */
  idleSkipped?: string;
  idle?: {
    /** Connections still open when memory was read. */
    connections: number;
    /** Opened, then ended by the server or the network before memory was read. */
    dropped: number;
    seconds: number;
    bytesPerConnection: number;
    baselineBytes: number;
    rssBytes: number;
    /** Why this design held fewer idle connections than the others. */
    limited?: string;
  };
  /**
   * A cluster's Redis traffic: over the measured steps (connections spread by
   * the balancer), and by placement (bench/fanout.ts); the cores it used
   * with the connections open and nothing published, and where its CPU went.
   */
  cluster?: {
    nodes: number;
    load: Traffic & { published: number };
    placements: FanoutPlacement[];
    coresAtRest?: number;
    /** CPU-seconds of each kind of process over the measured steps. */
    cpuByPart?: Record<string, number>;
  };
}

const pin = (pid: number) => execFileSync('taskset', ['-a', '-p', '-c', LOAD_CORE, String(pid)], { stdio: 'ignore' });

function ask<T>(child: ChildProcess, message: WorkerCommand | PublisherCommand): Promise<T> {
  return new Promise((resolve, reject) => {
    const onExit = () => reject(new Error('bench process exited'));
    child.once('exit', onExit);
    child.once('message', (reply) => {
      child.off('exit', onExit);
      resolve(reply as T);
    });
    child.send(message);
  });
}

/** The same workload for every design: users with 1-3 connections, Zipf-popular targets, 20% offline. */
function workload(connections: number) {
  const random = seededRandom(CONFIG.seed);
  const users: Array<{ id: string; conns: number }> = [];
  for (let total = 0; total < connections; ) {
    const r = random();
    const conns = Math.min(r < 0.6 ? 1 : r < 0.85 ? 2 : 3, connections - total);
    users.push({ id: `u${users.length}`, conns });
    total += conns;
  }
  const pickUser = zipfSampler(users.length, 1.0, random);
  const offline = Math.max(1, Math.round(users.length * 0.25));
  const plan = Array.from({ length: 200_000 }, (_, k) =>
    random() < CONFIG.offlineShare ? `off${k % offline}` : users[pickUser()]!.id,
  );
  const conns: Conn[] = users.flatMap((user) => Array.from({ length: user.conns }, () => ({ userId: user.id, transport: 'websocket' as const })));
  return { users, plan, conns };
}

function startWorkers(count: number): ChildProcess[] {
  return Array.from({ length: count }, () => {
    const child = fork('bench/load-worker.ts', { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    pin(child.pid!);
    return child;
  });
}

/** The cluster's placement steps (bench/fanout.ts): a rate it holds, briefly, and a drain long enough for it. */
const FANOUT_RATE = 50;
const FANOUT_SECONDS = 2;
const FANOUT_DRAIN_MS = 1000;

/** A design that cannot take its connections within this long is abandoned. */
const CONNECT_TIMEOUT_MS = 240_000;

async function connectAll(workers: ChildProcess[], running: RunningDesign, conns: Conn[]) {
  const shares = workers.map((_, i) => conns.filter((_, j) => j % workers.length === i));
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`connections not established within ${CONNECT_TIMEOUT_MS / 1000} s`)), CONNECT_TIMEOUT_MS);
  });
  const replies = await Promise.race([timeout, Promise.all(
    workers.map((worker, i) => ask<ConnectReply>(worker, { cmd: 'connect', target: running.target, conns: shares[i]! })),
  )]).finally(() => clearTimeout(timer));
  return replies.reduce(
    (a, b) => ({
      connected: a.connected + b.connected,
      failed: a.failed + b.failed,
      byTransport: { websocket: a.byTransport.websocket + b.byTransport.websocket, sse: a.byTransport.sse + b.byTransport.sse, poll: a.byTransport.poll + b.byTransport.poll },
    }),
    { connected: 0, failed: 0, byTransport: { websocket: 0, sse: 0, poll: 0 } },
  );
}

/** The workers' tallies as one: deliveries, losses and latency percentiles (ms). */
function mergeTallies(reports: TallyReport[]): TransportFigures {
  const merged = hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 120_000_000, numberOfSignificantValueDigits: 3 });
  for (const report of reports) merged.add(hdr.decodeFromCompressedBase64(report.histogram));
  const sum = (key: 'expected' | 'lost' | 'duplicates' | 'received') => reports.reduce((total, r) => total + r[key], 0);
  return {
    expected: sum('expected'),
    delivered: sum('received'),
    lost: sum('lost'),
    duplicated: sum('duplicates'),
    p50: merged.getValueAtPercentile(50) / 1000,
    p99: merged.getValueAtPercentile(99) / 1000,
    p999: merged.getValueAtPercentile(99.9) / 1000,
  };
}

async function runStep(
  rate: number,
  index: number,
  running: RunningDesign,
  workers: ChildProcess[],
  publisher: ChildProcess,
  plan: string[],
  seconds = CONFIG.stepSeconds,
  drainMs = CONFIG.drainMs,
): Promise<StepResult> {
  await Promise.all(workers.map((worker) => ask(worker, { cmd: 'step' })));
  const cpuBefore = cpuSeconds(running.pids());
  const sent = await ask<{ published: Array<[number, string]>; failed: number; maxLagMs: number; aborted: boolean; unsent: number }>(publisher, {
    cmd: 'run',
    target: running.target,
    rate,
    seconds,
    plan,
    startSeq: (index + 1) * 10_000_000,
  });
  await sleep(drainMs);
  const cpu = cpuSeconds(running.pids()) - cpuBefore;
  const reports = await Promise.all(
    workers.map((worker) => ask<TallyReport & { byTransport: Record<Conn['transport'], TallyReport> }>(worker, { cmd: 'report', published: sent.published })),
  );
  const all = mergeTallies(reports);
  const delivered = all.delivered;
  const byTransport = Object.fromEntries(
    (['websocket', 'sse', 'poll'] as const).map((transport) => [transport, mergeTallies(reports.map((r) => r.byTransport[transport]))]),
  ) as StepResult['byTransport'];
  const step: StepResult = {
    rate,
    published: sent.published.length,
    failedPublishes: sent.failed + sent.unsent,
    publisherLagMs: Math.round(sent.maxLagMs),
    ...all,
    byTransport,
    cpuSeconds: cpu,
    cpuSecondsPerMillion: delivered > 0 ? (cpu / delivered) * 1e6 : 0,
    held: false,
  };
  step.held = step.p99 < 50 && step.lost === 0 && step.duplicated === 0 && step.failedPublishes === 0 && delivered > 0;
  return step;
}

/**
 * Memory per idle connection, on a fresh start of the design: what the load
 * steps left behind (compiled code, grown heaps and caches) is not the idle
 * connections' memory. A warm-up of 100 connections, opened and closed, comes
 * before the baseline, so the first use of the connect path is not counted either.
 */
async function idleMemory(design: Design, running: RunningDesign): Promise<DesignResult['idle']> {
  const warmers = startWorkers(CONFIG.workers);
  const warm: Conn[] = Array.from({ length: 100 }, (_, i) => ({ userId: `warm${i}`, transport: 'websocket' }));
  await connectAll(warmers, running, warm);
  await Promise.all(warmers.map((worker) => ask(worker, { cmd: 'close' }).catch(() => {})));
  await sleep(3000);
  const baselineBytes = rssBytes(running.pids());
  const workers = startWorkers(CONFIG.workers);
  try {
    const limit = design.idleLimit && design.idleLimit.connections < CONFIG.idleConnections ? design.idleLimit : undefined;
    const count = limit?.connections ?? CONFIG.idleConnections;
    const conns: Conn[] = Array.from({ length: count }, (_, i) => ({ userId: `idle${i}`, transport: 'websocket' }));
    const { connected } = await connectAll(workers, running, conns);
    await sleep(CONFIG.idleSeconds * 1000);
    const rss = rssBytes(running.pids());
    const open = (await Promise.all(workers.map((worker) => ask<{ open: number }>(worker, { cmd: 'count' })))).reduce((a, b) => a + b.open, 0);
    return {
      connections: open,
      dropped: connected - open,
      seconds: CONFIG.idleSeconds,
      baselineBytes,
      rssBytes: rss,
      bytesPerConnection: Math.round((rss - baselineBytes) / Math.max(1, open)),
      ...(limit && { limited: limit.why }),
    };
  } finally {
    await Promise.all(workers.map((worker) => ask(worker, { cmd: 'close' }).catch(() => {})));
  }
}

/** Cores the design's processes use with its connections open and nothing published (a cluster's periodic checks). */
async function cpuAtRest(running: RunningDesign, seconds = 3): Promise<number> {
  const before = cpuSeconds(running.pids());
  await sleep(seconds * 1000);
  const cores = (cpuSeconds(running.pids()) - before) / seconds;
  console.log(`  at rest: ${cores.toFixed(2)} cores`);
  return cores;
}

/** A cluster's Redis traffic: over the load steps (from `before`), then by placement (bench/fanout.ts). */
async function clusterTraffic(running: RunningDesign, nodeUrls: string[], before: Traffic, published: number, publisher: ChildProcess) {
  const after = await traffic(nodeUrls);
  const load = { published, messages: after.messages - before.messages, receivers: after.receivers - before.receivers };
  const each = (receivers: number, messages: number) => (receivers / Math.max(1, messages)).toFixed(2);
  console.log(`  Redis: ${load.messages} messages for ${load.published} publishes, ${each(load.receivers, load.messages)} receiving nodes each (connections spread by the balancer)`);
  let workers: ChildProcess[] = [];
  try {
    const placements = await measureFanout(nodeUrls, {
      connect: async (placed) => {
        workers = startWorkers(1);
        return (await connectAll(workers, running, placed)).connected;
      },
      step: (users, index) => runStep(FANOUT_RATE, index, running, workers, publisher, users, FANOUT_SECONDS, FANOUT_DRAIN_MS),
      close: async () => {
        await Promise.all(workers.map((worker) => ask(worker, { cmd: 'close' }).catch(() => {})));
        workers = [];
      },
    });
    for (const p of placements) {
      console.log(
        `  each user's connections on ${p.placement} (${p.connections} connections): ${p.messages} messages for ${p.published} publishes, ` +
          `${each(p.receivers, p.messages)} receiving nodes each (holders ${p.holders} of ${p.nodes} nodes), lost ${p.lost}, dup ${p.duplicated}`,
      );
    }
    return { nodes: nodeUrls.length, load, placements };
  } finally {
    for (const worker of workers) worker.kill('SIGKILL');
  }
}

async function benchDesign(design: Design): Promise<DesignResult> {
  const result: DesignResult = { name: design.name, steps: [] };
  const missing = design.missing();
  if (missing) {
    console.log(`- ${design.name}: skipped (${missing})`);
    return { ...result, skipped: missing };
  }
  result.loadAverage = Number(loadavg()[0]!.toFixed(2));
  console.log(`- ${design.name} (load average ${result.loadAverage})`);
  const rates = [...(design.short?.rates ?? CONFIG.rates)];
  const stepSeconds = design.short?.stepSeconds ?? CONFIG.stepSeconds;
  if (design.short) result.short = design.short.why;
  let running = await design.start();
  const { plan, conns } = workload(design.short?.connections ?? CONFIG.connections);
  const publisher = fork('bench/publisher.ts', { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  pin(publisher.pid!);
  let workers: ChildProcess[] = [];
  try {
    await sleep(1000);
    workers = startWorkers(CONFIG.workers);
    const { connected, failed } = await connectAll(workers, running, conns);
    Object.assign(result, { connected, connectFailures: failed });
    console.log(`  ${connected} connections (${failed} failed)`);
    const atRest = running.nodeUrls && (await cpuAtRest(running));
    // Warm up (JIT, connection pools, actor creation) at the first rate; not recorded.
    await runStep(rates[0]!, 99, running, workers, publisher, plan, CONFIG.warmupSeconds);
    const wasteBefore = await running.waste();
    const trafficBefore = running.nodeUrls && (await traffic(running.nodeUrls));
    const partsBefore = running.parts?.map((part) => cpuSeconds(part.pids));
    for (let i = 0; i < rates.length; i++) {
      const step = await runStep(rates[i]!, i, running, workers, publisher, plan, stepSeconds);
      result.steps.push(step);
      console.log(
        `  ${step.rate}/s: p50 ${step.p50.toFixed(1)} ms, p99 ${step.p99.toFixed(1)} ms, p99.9 ${step.p999.toFixed(1)} ms, ` +
          `lost ${step.lost}, dup ${step.duplicated}, cpu ${step.cpuSecondsPerMillion.toFixed(1)} s/M, lag ${step.publisherLagMs} ms${step.held ? '' : '  (broke)'}`,
      );
      const last = i === rates.length - 1;
      if (last && step.held && step.rate * 1.5 <= CONFIG.maxRate) rates.push(Math.round(step.rate * 1.5));
      if (!step.held) break; // broken: higher rates would only queue
    }
    result.highestRateHeld = Math.max(0, ...result.steps.filter((s) => s.held).map((s) => s.rate));
    const wasteAfter = await running.waste();
    if (wasteBefore && wasteAfter) {
      result.waste = { received: wasteAfter.received - wasteBefore.received, wasted: wasteAfter.wasted - wasteBefore.wasted };
    }
    await Promise.all(workers.map((worker) => ask(worker, { cmd: 'close' }).catch(() => {})));
    workers = [];
    if (running.nodeUrls && trafficBefore) {
      const published = result.steps.reduce((sum, s) => sum + s.published, 0);
      const cpuByPart = Object.fromEntries(running.parts?.map((part, i) => [part.name, cpuSeconds(part.pids) - partsBefore![i]!]) ?? []);
      result.cluster = { ...(await clusterTraffic(running, running.nodeUrls, trafficBefore, published, publisher)), coresAtRest: atRest, cpuByPart };
    }
    if (running.target.kind !== 'socketio' && !design.short) {
      // The transport mix: the same users, 60% WebSocket, 20% SSE, 20% long polling.
      const mix = conns.map((conn, i) => ({
        ...conn,
        transport: (i % 5 === 3 ? 'sse' : i % 5 === 4 ? 'poll' : 'websocket') as Conn['transport'],
      }));
      workers = startWorkers(CONFIG.workers);
      const { byTransport } = await connectAll(workers, running, mix);
      result.mixed = { ...(await runStep(CONFIG.rates[0]!, 98, running, workers, publisher, plan)), connections: byTransport };
      const m = result.mixed;
      console.log(
        `  mixed transports (${byTransport.websocket} WebSocket, ${byTransport.sse} SSE, ${byTransport.poll} long poll) at ${m.rate}/s: ` +
          `p50 ${m.p50.toFixed(1)} ms, p99 ${m.p99.toFixed(1)} ms, lost ${m.lost}, dup ${m.duplicated}` +
          (m.byTransport ? ` (p99 WebSocket ${m.byTransport.websocket.p99.toFixed(1)}, SSE ${m.byTransport.sse.p99.toFixed(1)}, long poll ${m.byTransport.poll.p99.toFixed(1)} ms)` : ''),
      );
      await Promise.all(workers.map((worker) => ask(worker, { cmd: 'close' }).catch(() => {})));
      workers = [];
    }
    if (CONFIG.idleConnections > 0 && !design.short) {
      await running.stop();
      running = await design.start();
      await sleep(1000);
      result.idle = await idleMemory(design, running);
      const idle = result.idle!;
      console.log(`  idle: ${idle.connections} connections (${idle.dropped} dropped), ${idle.bytesPerConnection} bytes per connection`);
    }
  } catch (err) {
    result.error = err instanceof Error ? err.message : String(err);
    console.log(`  error: ${result.error}`);
  } finally {
    for (const worker of workers) worker.kill('SIGKILL');
    publisher.kill('SIGKILL');
    await running.stop();
  }
  return result;
}

pin(process.pid);
const started = new Date();
const results: DesignResult[] = [];
for (const design of DESIGNS.filter((d) => CONFIG.designs.test(d.name))) results.push(await benchDesign(design));

const output = {
  date: started.toISOString(),
  machine: { cpu: cpus()[0]?.model, cores: cpus().length, memoryBytes: totalmem(), kernel: release(), node: process.version },
  config: { ...CONFIG, designs: String(CONFIG.designs) },
  designs: results,
};
mkdirSync('bench/results', { recursive: true });
const file = `bench/results/${started.toISOString().slice(0, 19).replace(/:/g, '-')}.json`;
writeFileSync(file, `${JSON.stringify(output, null, 2)}\n`);
console.log(`results: ${file}`);
renderReport(file);
process.exit(0);
