// Renders docs/benchmarks.md and its SVG charts from one results file, or
// from one with the designs of later partial runs beside its own.
//   node bench/report.ts [bench/results/<date>.json [<partial run>.json ...]]   (default: the newest)

import { existsSync, readdirSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import type { DesignResult, StepResult } from './run.ts';
import { costModel } from './cost.ts';
import { fanoutHolds } from './fanout.ts';
import { targetsSection } from './targets.ts';

interface Results {
  date: string;
  machine: { cpu?: string; cores: number; memoryBytes: number; kernel: string; node: string };
  config: Record<string, unknown>;
  designs: DesignResult[];
}

const COLORS = ['#2f5bea', '#16794a', '#b42318', '#a36300', '#6b3fa0', '#0e7490', '#be185d', '#4d7c0f', '#57534e'];
const fmt = (n: number | undefined, digits = 1) => (n === undefined || Number.isNaN(n) ? '–' : n.toFixed(digits));
const isOurs = (d: DesignResult) => d.name.startsWith('userhub');

/** A line chart of p99 latency against publish rate, one line per design, log-scaled y. */
function p99Chart(designs: DesignResult[]): string {
  const width = 760;
  const height = 380;
  const pad = { left: 60, right: 230, top: 20, bottom: 45 };
  const rates = [...new Set(designs.flatMap((d) => d.steps.map((s) => s.rate)))].sort((a, b) => a - b);
  const maxRate = Math.max(...rates, 1);
  const yMin = Math.log10(0.5);
  const yMax = Math.log10(Math.max(100, ...designs.flatMap((d) => d.steps.map((s) => s.p99))));
  const x = (rate: number) => pad.left + (rate / maxRate) * (width - pad.left - pad.right);
  const y = (ms: number) => pad.top + (1 - (Math.log10(Math.max(ms, 0.5)) - yMin) / (yMax - yMin)) * (height - pad.top - pad.bottom);
  const parts: string[] = [];
  for (const tick of [1, 10, 50, 100, 1000, 10000].filter((t) => Math.log10(t) <= yMax)) {
    parts.push(`<line x1="${pad.left}" x2="${width - pad.right}" y1="${y(tick)}" y2="${y(tick)}" stroke="${tick === 50 ? '#b42318' : '#e1e4ea'}" stroke-dasharray="${tick === 50 ? '4 3' : ''}"/>`);
    parts.push(`<text x="${pad.left - 6}" y="${y(tick) + 4}" text-anchor="end">${tick}</text>`);
  }
  for (const rate of rates) parts.push(`<text x="${x(rate)}" y="${height - pad.bottom + 16}" text-anchor="middle">${rate}</text>`);
  designs.forEach((design, i) => {
    const color = COLORS[i % COLORS.length]!;
    const points = design.steps.map((s) => `${x(s.rate).toFixed(1)},${y(s.p99).toFixed(1)}`).join(' ');
    parts.push(`<polyline fill="none" stroke="${color}" stroke-width="2" points="${points}"/>`);
    for (const s of design.steps) parts.push(`<circle cx="${x(s.rate)}" cy="${y(s.p99)}" r="3" fill="${color}"/>`);
    parts.push(`<rect x="${width - pad.right + 12}" y="${pad.top + i * 20}" width="12" height="12" fill="${color}"/>`);
    parts.push(`<text x="${width - pad.right + 30}" y="${pad.top + i * 20 + 10}">${design.name}</text>`);
  });
  parts.push(`<text x="${(pad.left + width - pad.right) / 2}" y="${height - 8}" text-anchor="middle">publish rate (events/s)</text>`);
  parts.push(`<text transform="translate(16 ${height / 2}) rotate(-90)" text-anchor="middle">p99 latency (ms, log)</text>`);
  return svg(width, height, parts);
}

/** Horizontal bars: server CPU-seconds per million deliveries at one rate. */
function cpuChart(designs: Array<{ name: string; value: number }>, rate: number): string {
  const width = 760;
  const row = 26;
  const height = 50 + designs.length * row;
  const left = 270;
  const max = Math.max(...designs.map((d) => d.value), 1);
  const parts = designs.map((d, i) => {
    const w = (d.value / max) * (width - left - 80);
    return `<text x="${left - 8}" y="${30 + i * row + 13}" text-anchor="end">${d.name}</text>` +
      `<rect x="${left}" y="${30 + i * row}" width="${w.toFixed(1)}" height="18" fill="${COLORS[i % COLORS.length]}"/>` +
      `<text x="${left + w + 6}" y="${30 + i * row + 13}">${d.value.toFixed(1)}</text>`;
  });
  parts.push(`<text x="${left}" y="16">server CPU-seconds per million deliveries at ${rate} events/s (lower is better)</text>`);
  return svg(width, height, parts);
}

const svg = (width: number, height: number, parts: string[]) =>
  `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="system-ui, sans-serif" font-size="12" fill="#1d2330">\n<rect width="100%" height="100%" fill="#fff"/>\n${parts.join('\n')}\n</svg>\n`;

const stepAt = (design: DesignResult, rate: number): StepResult | undefined => design.steps.find((s) => s.rate === rate);

/** Where a design's figures came from when they are not from the first file. */
type Sources = Map<string, { file: string; date: string }>;

/**
 * The first file's results with the designs of `beside` (later runs of a few
 * designs, say the cluster alone) added, each replacing a design of the same
 * name; what came from which run is said where the design is shown.
 */
function merged(path: string, beside: string[]): { results: Results; sources: Sources } {
  const results = JSON.parse(readFileSync(path, 'utf8')) as Results;
  const sources: Sources = new Map();
  for (const file of beside) {
    const other = JSON.parse(readFileSync(file, 'utf8')) as Results;
    for (const design of other.designs.filter((d) => !d.skipped)) {
      const at = results.designs.findIndex((d) => d.name === design.name);
      if (at >= 0) results.designs[at] = design;
      else results.designs.push(design);
      sources.set(design.name, { file, date: other.date });
    }
  }
  return { results, sources };
}

export function renderReport(file?: string, beside: string[] = []): void {
  const path = file ?? `bench/results/${readdirSync('bench/results').filter((f) => f.endsWith('.json')).sort().at(-1)}`;
  const { results, sources } = merged(path, beside);
  const ran = results.designs.filter((d) => !d.skipped && d.steps.length > 0);
  mkdirSync('docs', { recursive: true });

  // The rate compared across designs is one every design of the first run reached; a later run's design may lack it.
  const first = ran.filter((d) => !sources.has(d.name));
  const rates = [...new Set(first.flatMap((d) => d.steps.map((s) => s.rate)))].sort((a, b) => a - b);
  const commonRate = [...rates].reverse().find((rate) => first.every((d) => stepAt(d, rate))) ?? rates[0] ?? 0;
  writeFileSync('docs/bench-p99.svg', p99Chart(ran));
  writeFileSync(
    'docs/bench-cpu.svg',
    cpuChart(ran.filter((d) => stepAt(d, commonRate)).map((d) => ({ name: d.name, value: stepAt(d, commonRate)!.cpuSecondsPerMillion })), commonRate),
  );

  const lines: string[] = [];
  const c = results.config;
  // The hand-written part above the generated report (how to run, the variables) is kept as it is.
  const previous = existsSync('docs/benchmarks.md') ? readFileSync('docs/benchmarks.md', 'utf8') : '';
  const generatedAt = previous.indexOf('Generated by `npm run bench`');
  lines.push(generatedAt > 0 ? previous.slice(0, generatedAt).trimEnd() : '# Benchmarks', '');
  lines.push(
    `Generated by \`npm run bench\` on ${results.date.slice(0, 10)} from \`${path}\`${
      sources.size ? `, with ${[...sources].map(([name, source]) => `${name} from \`${source.file}\``).join(', ')} (\`npm run bench:report <file> <later file>\`)` : ''
    }; do not edit by hand.`,
    `Machine: ${results.machine.cpu} (${results.machine.cores} cores), ${(results.machine.memoryBytes / 2 ** 30).toFixed(0)} GiB, Linux ${results.machine.kernel}, Node ${results.machine.node}.`,
    '',
    `Workload: ${c.connections} WebSocket connections over users with 1–3 connections each (seed ${c.seed}); publish targets drawn from a Zipf distribution over online users, ${Number(c.offlineShare) * 100}% to offline users; open-loop publishing at fixed rates for ${c.stepSeconds} s per step, then stepped up ×1.5 while the design holds. Latency is measured from each event's intended send time (no coordinated omission) into an HDR histogram. Servers are pinned to core 1 and the load generator to core 0 (taskset); server CPU and resident memory are read from /proc for every server-side process (Redis, the splitter and every node for Socket.IO; for the cluster, its nodes, PostgreSQL with every backend, Redis and haproxy; for wrangler dev, both workerd processes (its local proxy and the Worker), wrangler's Node processes and its esbuild service).`,
    '',
  );
  lines.push('![p99 latency by publish rate](bench-p99.svg)', '', '![CPU per delivery](bench-cpu.svg)', '');

  lines.push('## Summary', '');
  lines.push('| Design | Highest rate held (p99 < 50 ms, 0 lost) | p99 at ' + commonRate + '/s (ms) | CPU-s per million deliveries at ' + commonRate + '/s | Idle memory per connection | Wasted deliveries |');
  lines.push('| --- | ---: | ---: | ---: | ---: | ---: |');
  for (const d of results.designs) {
    if (d.skipped) {
      lines.push(`| ${d.name} | skipped: ${d.skipped} | | | | |`);
      continue;
    }
    const at = stepAt(d, commonRate);
    const waste = d.cluster ? 'by placement: see "Cluster: Redis messages per publish"' : d.waste && d.waste.received > 0 ? `${((d.waste.wasted / d.waste.received) * 100).toFixed(0)}% of ${d.waste.received} node receipts` : '0';
    lines.push(
      `| ${d.name} | ${d.highestRateHeld ? `${d.highestRateHeld}/s` : 'none'} | ${fmt(at?.p99)} | ${fmt(at?.cpuSecondsPerMillion)} | ${d.idle ? `${(d.idle.bytesPerConnection / 1024).toFixed(1)} KiB${d.idle.limited ? ` (${d.idle.connections} connections)` : ''}` : '–'} | ${waste} |`,
    );
  }
  lines.push('');

  lines.push(...targetsSection(ran, c.connections));
  lines.push(...clusterSection(ran));

  const ours = ran.filter(isOurs);
  const peers = ran.filter((d) => !isOurs(d));
  if (ours.length && peers.length) {
    lines.push(`## Ratios at ${commonRate} events/s`, '', 'Ours ÷ peer for CPU per delivery and for p99: below 1 means ours is cheaper or faster. Highest rate held: ours ÷ peer, higher is better.', '');
    lines.push(`| Ours | Peer | CPU per delivery | p99 | Highest rate held (higher is better) |`, '| --- | --- | ---: | ---: | ---: |');
    for (const o of ours) {
      for (const p of peers) {
        const a = stepAt(o, commonRate);
        const b = stepAt(p, commonRate);
        if (!a || !b) continue;
        const rateRatio = p.highestRateHeld ? (o.highestRateHeld ?? 0) / p.highestRateHeld : NaN;
        lines.push(`| ${o.name} | ${p.name} | ${fmt(a.cpuSecondsPerMillion / b.cpuSecondsPerMillion, 2)} | ${fmt(a.p99 / b.p99, 2)} | ${fmt(rateRatio, 2)} |`);
      }
    }
    lines.push('');
  }

  const mixed = results.designs.filter((d) => d.mixed);
  if (mixed.length) {
    lines.push(
      '## Transport mix',
      '',
      'The same users with 60% WebSocket, 20% SSE and 20% long-poll connections, one step at the first rate. Nchan long-polls with its own protocol: each poll sends back the last message\'s Last-Modified and Etag as If-Modified-Since and If-None-Match, and messages published between polls wait in the channel\'s buffer.',
      '',
      '| Design | Connected (WebSocket / SSE / long poll) | Rate | Deliveries | p50 ms | p99 ms | p99.9 ms | Lost | Duplicated | CPU-s / M |',
      '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    );
    for (const d of mixed) {
      const s = d.mixed!;
      const split = s.connections ? `${s.connections.websocket} / ${s.connections.sse} / ${s.connections.poll}` : 'not recorded';
      lines.push(`| ${d.name} | ${split} | ${s.rate} | ${s.delivered} | ${fmt(s.p50)} | ${fmt(s.p99)} | ${fmt(s.p999)} | ${s.lost} | ${s.duplicated} | ${fmt(s.cpuSecondsPerMillion)} |`);
    }
    lines.push('');
    const split = mixed.filter((d) => d.mixed!.byTransport);
    if (split.length) {
      lines.push(
        'Each transport alone in the same step (CPU is the process\'s, not split):',
        '',
        '| Design | Transport | Connections | Deliveries | p50 ms | p99 ms | p99.9 ms | Lost | Duplicated |',
        '| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
      );
      for (const d of split) {
        for (const transport of ['websocket', 'sse', 'poll'] as const) {
          const t = d.mixed!.byTransport![transport];
          lines.push(`| ${d.name} | ${transport === 'poll' ? 'long poll' : transport === 'sse' ? 'SSE' : 'WebSocket'} | ${d.mixed!.connections?.[transport] ?? '–'} | ${t.delivered} | ${fmt(t.p50)} | ${fmt(t.p99)} | ${fmt(t.p999)} | ${t.lost} | ${t.duplicated} |`);
        }
      }
      lines.push('');
    }
  }

  lines.push('## Every step', '');
  for (const d of ran) {
    const source = sources.get(d.name);
    const from = source ? ` From \`${source.file}\` (${source.date.slice(0, 10)}).` : '';
    const short = d.short ? ` A shorter run (rates ${[...new Set(d.steps.map((s) => s.rate))].join(', ')}/s, no transport mix, no idle phase): ${d.short}.` : '';
    const load = d.loadAverage !== undefined ? ` The machine's load average as it started: ${d.loadAverage}.` : '';
    lines.push(`### ${d.name}`, '', `${d.connected} connected (${d.connectFailures} failed).${d.error ? ` Error: ${d.error}` : ''}${from}${short}${load}`, '');
    lines.push('| Rate | Published | Deliveries | p50 ms | p99 ms | p99.9 ms | Lost | Duplicated | CPU-s / M | Publisher lag ms | Held |', '| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | :---: |');
    for (const s of d.steps) {
      lines.push(`| ${s.rate} | ${s.published} | ${s.delivered} | ${fmt(s.p50)} | ${fmt(s.p99)} | ${fmt(s.p999)} | ${s.lost} | ${s.duplicated} | ${fmt(s.cpuSecondsPerMillion)} | ${s.publisherLagMs} | ${s.held ? 'yes' : 'no'} |`);
    }
    if (d.idleSkipped) lines.push('', `Idle memory: not measured: ${d.idleSkipped}.`);
    if (d.idle) {
      const { connections, dropped, seconds, rssBytes, baselineBytes, bytesPerConnection, limited } = d.idle;
      lines.push(
        '',
        `Idle: ${connections} connections held ${seconds} s${dropped ? ` (${dropped} more were dropped on the way)` : ''}: ${(rssBytes / 2 ** 20).toFixed(0)} MiB resident vs ${(baselineBytes / 2 ** 20).toFixed(0)} MiB before them (a fresh start, warmed with 100 connections), ${(bytesPerConnection / 1024).toFixed(1)} KiB per connection.` +
          (limited ? ` Fewer idle connections than the other designs: ${limited}.` : ''),
      );
    }
    lines.push('');
  }

  lines.push(...besideEarlierRuns(path, results, sources), '');
  lines.push(...costModel(), '');
  lines.push(
    '## What these numbers do and do not mean',
    '',
    '- Everything ran on one 2-core machine: ratios between designs measured in the same run hold better than absolute figures, which drift with the machine.',
    '- `wrangler dev` is a development server (workerd behind a local proxy, with development tooling), not Cloudflare\'s production fleet: its figures say nothing about latency or capacity on Cloudflare, where each user\'s actor runs on its own and users spread over many machines.',
    '- The standalone hosts are one process on one core here; they are the design for one machine.',
    '- A step "holds" when p99 < 50 ms with 0 lost and 0 duplicated deliveries and no failed publish. Deliveries not seen within the drain window after the last publish count as lost.',
    '- When the publisher lag column grows, the load generator (sharing one core with all clients) fell behind its schedule; latency is still measured from the intended send time, so that lag is charged to the design, which can only flatter no one.',
    '- Wasted deliveries: events a node received for a user with no connection on it. Broadcast designs pay (N−1)/N of them on every event; a per-user actor receives only its own user\'s events (0 by construction, reported as 0).',
  );
  if (ran.some((d) => d.cluster)) {
    lines.push(
      '- The cluster\'s three nodes, PostgreSQL, Redis and haproxy share the one server core here, and every publish is a PostgreSQL transaction synced to disk: its highest rate held is what one core holds of all that work, not a measure of scaling out over machines. What it does show is the Redis fan-out and the cost per delivery of the whole cluster.',
    );
  }
  writeFileSync('docs/benchmarks.md', `${lines.join('\n')}\n`);
  console.log('wrote docs/benchmarks.md, docs/bench-p99.svg, docs/bench-cpu.svg');
}

/**
 * Earlier runs shown beside this one (BENCH_REFERENCE_RUNS, comma-separated
 * results files; by default the 2026-11-22 run and the previous 2026-12-01
 * one): each design's highest rate held and CPU per delivery at a rate every
 * run has, with its ratio to Nchan in its own run, the only comparison that
 * survives this machine's drift between runs.
 */
function besideEarlierRuns(path: string, results: Results, sources: Sources): string[] {
  const references = (process.env.BENCH_REFERENCE_RUNS ?? 'bench/results/2026-11-22T11-45-14.json,bench/results/2026-12-01T18-36-13.json')
    .split(',')
    .filter((file) => file && file !== path && existsSync(file));
  if (references.length === 0) return [];
  const runs = [{ file: path, results }, ...references.map((file) => ({ file, results: JSON.parse(readFileSync(file, 'utf8')) as Results }))];
  const rate = 2000;
  const nchanAt = (r: Results) => {
    const nchan = r.designs.find((d) => d.name.startsWith('Nchan'));
    return nchan && stepAt(nchan, rate);
  };
  const lines = [
    '## Beside earlier runs',
    '',
    `Each design in this run and in earlier ones (\`BENCH_REFERENCE_RUNS\`), at ${rate} events/s where the run has that step; ÷ Nchan is against Nchan in the same run.`,
    '',
    `| Design | Run | Highest rate held | CPU-s / M at ${rate}/s | ÷ Nchan | p99 at ${rate}/s (ms) |`,
    '| --- | --- | ---: | ---: | ---: | ---: |',
  ];
  for (const design of results.designs.filter((d) => !d.skipped)) {
    for (const run of runs) {
      const d = run.results.designs.find((other) => other.name === design.name && !other.skipped);
      if (!d) continue;
      const at = stepAt(d, rate);
      const nchan = nchanAt(run.results);
      const ratio = at && nchan ? fmt(at.cpuSecondsPerMillion / nchan.cpuSecondsPerMillion, 1) : '–';
      const date = run.file === path ? (sources.get(d.name)?.date ?? run.results.date) : run.results.date;
      const label = run.file === path ? `${date.slice(0, 10)} (this run)` : `${date.slice(0, 10)} (\`${run.file.split('/').pop()}\`)`;
      lines.push(`| ${d.name} | ${label} | ${d.highestRateHeld ? `${d.highestRateHeld}/s` : 'none'} | ${fmt(at?.cpuSecondsPerMillion)} | ${ratio} | ${fmt(at?.p99)} |`);
    }
  }
  return lines;
}

/**
 * The cluster's Redis traffic: SPUBLISH calls and the nodes Redis handed them
 * to, per publish, with each user's connections on known nodes, and over the
 * load steps, where the balancer spread them.
 */
function clusterSection(designs: DesignResult[]): string[] {
  const lines: string[] = [];
  for (const d of designs.filter((design) => design.cluster)) {
    const { nodes, load, placements } = d.cluster!;
    const per = (receivers: number, messages: number) => (messages > 0 ? (receivers / messages).toFixed(2) : '–');
    const first = placements[0];
    lines.push(
      '## Cluster: Redis messages per publish',
      '',
      `${d.name}. A node sends one SPUBLISH on the user's channel per commit; Redis hands it to every node subscribed to that channel, which are the nodes holding the user's connections, the publishing node included when it holds some (SPUBLISH counts its own subscriber; it drops its own message, having delivered it). Counted from every node's GET /metrics (\`userhub_cluster_messages_total\`, \`userhub_cluster_message_receivers_total\`) around one step of publishes through the balancer for each placement${
        first ? `, to ${first.users} users with ${nodes} WebSocket connections each, connected to the chosen nodes directly` : ''
      }, and over the load steps.`,
      '',
      '| Each user\'s connections on | Nodes holding them | Nodes | Connections | Publishes | Redis messages (SPUBLISH) | Receiving nodes | Receiving nodes per publish | Lost | Duplicated |',
      '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
      ...placements.map(
        (p) => `| ${p.placement} | ${p.holders} | ${p.nodes} | ${p.connections} | ${p.published} | ${p.messages} | ${p.receivers} | ${per(p.receivers, p.messages)} | ${p.lost} | ${p.duplicated} |`,
      ),
      `| wherever the balancer put them (the load steps; 1–3 connections per user) | 0–${nodes} | ${nodes} | ${d.connected} | ${load.published} | ${load.messages} | ${load.receivers} | ${per(load.receivers, load.messages)} | | |`,
      '',
      `Receiving nodes per publish = nodes holding that user's connections, never the number of nodes (${nodes}): **${fanoutHolds(placements) ? 'met' : 'missed'}** in this run.`,
      '',
    );
    const parts = Object.entries(d.cluster!.cpuByPart ?? {});
    const total = parts.reduce((sum, [, seconds]) => sum + seconds, 0);
    if (total > 0) {
      const each = parts.map(([name, seconds]) => `${name} ${((seconds / total) * 100).toFixed(0)}% (${((seconds / Math.max(1, load.published)) * 1000).toFixed(1)} ms per publish)`);
      lines.push(`Where its CPU went over the load steps: ${each.join(', ')}.`, '');
    }
    const atRest = d.cluster!.coresAtRest;
    if (atRest !== undefined) {
      lines.push(
        `At rest, with its ${d.connected} connections open and nothing published, the cluster used ${atRest.toFixed(2)} of the core: each node's periodic check refreshes the presence of every user it holds in Redis and reads their positions from PostgreSQL every 3 s (\`src/standalone/cluster.ts\`). Its CPU per delivery counts that too, as it counts everything the design's processes do.`,
        '',
      );
    }
  }
  return lines;
}

if (import.meta.url === `file://${process.argv[1]}`) renderReport(process.argv[2], process.argv.slice(3));
