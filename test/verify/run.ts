// npm run verify: every guarantee suite at full scale on every host, one after
// another, each host started fresh. Prints a table, writes
// test/verify/results/<date>.json and renders docs/guarantees.md from the
// latest result of each suite on each host.
//
//   VERIFY_HOSTS=node|bun    only these hosts (a regex; default all)
//   VERIFY_SUITES=storm      only these suites (a regex on the suite names below)
//   VERIFY_SCALE=quick       the fast scale `npm test` uses (default full)
//   The cluster suite runs where PostgreSQL 15 and Redis are installed (test/hosts/engines.ts).

import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, release, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { HOST_VARS, RUNTIMES } from '../e2e/hosts.setup.ts';
import { startStandalone } from '../hosts/standalone.ts';
import { freePort, freezeWorker, startWranglerDev, type KillableHost } from '../hosts/wrangler-dev.ts';
import { runCrashRestart } from './crash-restart.ts';
import { runClusterFailures } from './cluster-failures.ts';
import { haveEngines } from '../hosts/engines.ts';
import { runExpiringSessions } from './expiring-sessions.ts';
import { runInboxDevices } from './inbox-devices.ts';
import { runHostileInput } from './hostile-input.ts';
import { runIsolation } from './isolation.ts';
import { runReconnectStorm } from './reconnect-storm.ts';
import { renderGuarantees, type VerifyResult } from './report.ts';
import { runRetentionEdge, RETENTION_VARS } from './retention-edge.ts';
import { runSoak } from './soak.ts';
import type { Scale, SuiteReport } from './suite.ts';

export type HostName = 'wrangler dev' | 'node' | 'bun' | 'deno';
const HOSTS: HostName[] = ['wrangler dev', ...RUNTIMES];

/** The Worker bundled once for the whole run, so edits to the tree cannot restart it mid-suite. */
let frozenConfig: string | undefined;

function startHost(name: HostName, vars: Record<string, string>, state?: { dir: string; port: number }): Promise<KillableHost> {
  if (name === 'wrangler dev') {
    frozenConfig ??= freezeWorker(mkdtempSync(join(tmpdir(), 'userhub-verify-worker-')));
    return startWranglerDev(vars, { ...(state ? { persistTo: state.dir, port: state.port } : {}), config: frozenConfig });
  }
  return startStandalone(name, vars, state ? { databasePath: join(state.dir, 'hub.sqlite'), port: state.port } : {});
}

/** Runs `suite` against a host started for it alone. */
async function withHost(name: HostName, vars: Record<string, string>, suite: (host: KillableHost) => Promise<SuiteReport>) {
  const host = await startHost(name, vars);
  try {
    return await suite(host);
  } finally {
    await host.stop();
  }
}

/** The property tests run in vitest; their figures come from its JSON reporter. */
function runProperties(scale: Scale): SuiteReport {
  const runs = scale === 'full' ? 1000 : 100;
  const out = join(tmpdir(), `userhub-properties-${process.pid}.json`);
  try {
    execFileSync('npx', ['vitest', 'run', '--project', 'unit', 'test/unit/hub.property.test.ts', '--reporter=json', `--outputFile=${out}`], {
      env: { ...process.env, VERIFY_PROPERTY_RUNS: String(runs) },
      stdio: 'ignore',
    });
  } catch {
    // Failures are in the report file.
  }
  const report = JSON.parse(readFileSync(out, 'utf8')) as {
    numPassedTests: number;
    numFailedTests: number;
    testResults: Array<{ assertionResults: Array<{ status: string; title: string }> }>;
  };
  rmSync(out, { force: true });
  const failed = report.testResults.flatMap((file) => file.assertionResults.filter((a) => a.status === 'failed'));
  return {
    figures: { properties: report.numPassedTests + report.numFailedTests, failed: report.numFailedTests, runsEach: runs },
    failures: failed.map((a) => `property failed: ${a.title}`),
  };
}

interface SuiteSpec {
  name: string;
  /** Hosts this suite runs on. */
  hosts: readonly HostName[] | 'once';
  /** What a suite run once runs on, in the report. */
  once?: string;
  run(host: HostName, scale: Scale): Promise<SuiteReport>;
}

const SUITES: SuiteSpec[] = [
  { name: 'reconnect storm', hosts: HOSTS, run: (h, s) => withHost(h, HOST_VARS, (host) => runReconnectStorm(host.url, s)) },
  {
    name: 'crash and restart',
    hosts: HOSTS,
    run: async (h, s) => runCrashRestart((state) => startHost(h, HOST_VARS, state), await freePort(), s),
  },
  {
    name: 'retention edge',
    hosts: HOSTS,
    run: (h, s) => withHost(h, { ...HOST_VARS, ...RETENTION_VARS }, (host) => runRetentionEdge(host.url, s)),
  },
  {
    name: 'expiring sessions',
    hosts: HOSTS,
    run: (h, s) => withHost(h, HOST_VARS, (host) => runExpiringSessions(host.url, s)),
  },
  {
    name: 'inbox across devices',
    hosts: HOSTS,
    run: (h, s) => withHost(h, HOST_VARS, (host) => runInboxDevices(host.url, s)),
  },
  { name: 'properties', hosts: 'once', run: async (_h, s) => runProperties(s) },
  // Three nodes on PostgreSQL and Redis behind haproxy (docs/self-hosting.md), when this machine has the engines.
  ...(haveEngines() ? [{ name: 'cluster under failures', hosts: 'once' as const, once: 'a cluster (Node, Bun, Node)', run: (_h: HostName, s: Scale) => runClusterFailures(HOST_VARS, s) }] : []),
  { name: 'isolation', hosts: HOSTS, run: (h, s) => withHost(h, HOST_VARS, (host) => runIsolation(host.url, s)) },
  { name: 'hostile input', hosts: HOSTS, run: (h, s) => withHost(h, HOST_VARS, (host) => runHostileInput(host.url, s, { devProxy: h === 'wrangler dev' })) },
  {
    name: 'soak',
    hosts: ['node', 'wrangler dev'],
    // One connection per user: the per-user cap does not apply; the rate limit stays on.
    // wrangler dev: 4,000 connections, the most its local proxy holds under 20,000 open files.
    run: (h, s) => withHost(h, HOST_VARS, (host) => runSoak(host, s, h === 'wrangler dev' && s === 'full' ? 4000 : undefined)),
  },
];

/** The headline figures a suite reports, in a fixed column order. */
function pick(figures: Record<string, number>, names: string[]): Record<string, number> {
  return Object.fromEntries(names.filter((name) => name in figures).map((name) => [name, figures[name]!]));
}

async function main() {
  const hostFilter = new RegExp(process.env.VERIFY_HOSTS ?? '.', 'i');
  const suiteFilter = new RegExp(process.env.VERIFY_SUITES ?? '.', 'i');
  const scale: Scale = process.env.VERIFY_SCALE === 'quick' ? 'quick' : 'full';
  const result: VerifyResult = {
    date: new Date().toISOString(),
    scale,
    command: `npm run verify${process.env.VERIFY_HOSTS ? ` (VERIFY_HOSTS=${process.env.VERIFY_HOSTS})` : ''}${
      process.env.VERIFY_SUITES ? ` (VERIFY_SUITES=${process.env.VERIFY_SUITES})` : ''
    }`,
    machine: { cpu: cpus()[0]?.model, cores: cpus().length, memoryBytes: totalmem(), kernel: release(), node: process.version },
    runs: [],
  };
  for (const suite of SUITES.filter((s) => suiteFilter.test(s.name))) {
    const hosts = suite.hosts === 'once' ? [suite.once ?? 'all hosts (actor logic)'] : suite.hosts.filter((h) => hostFilter.test(h));
    for (const host of hosts) {
      const started = Date.now();
      process.stdout.write(`${suite.name} on ${host} … `);
      let report: SuiteReport;
      try {
        report = await suite.run(host as HostName, scale);
      } catch (err) {
        report = { figures: {}, failures: [`the suite did not finish: ${err instanceof Error ? err.message : String(err)}`] };
      }
      const seconds = Math.round((Date.now() - started) / 1000);
      result.runs.push({ suite: suite.name, host, seconds, ...report });
      console.log(`${report.failures.length === 0 ? 'pass' : 'FAIL'} in ${seconds} s ${JSON.stringify(report.figures)}`);
      for (const failure of report.failures) console.log(`    ${failure}`);
    }
  }

  // Only full-scale figures are kept; a quick run just prints.
  let file = 'not kept: quick scale';
  if (scale === 'full') {
    const dir = 'test/verify/results';
    mkdirSync(dir, { recursive: true });
    file = `${dir}/${result.date.replace(/[:.]/g, '-').slice(0, 19)}.json`;
    writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);
    renderGuarantees(dir, 'docs/guarantees.md');
  }
  console.log('');
  console.table(
    result.runs.map((r) => ({
      suite: r.suite,
      host: r.host,
      result: r.failures.length === 0 ? 'pass' : 'FAIL',
      seconds: r.seconds,
      ...pick(r.figures, ['published', 'delivered', 'lost', 'duplicated', 'leaks', 'serverErrors', 'silentGaps', 'rssGrowthPercent']),
    })),
  );
  const failed = result.runs.filter((r) => r.failures.length > 0).length;
  console.log(`\n${result.runs.length - failed} passed, ${failed} failed (${file})`);
  process.exitCode = failed > 0 ? 1 : 0;
}

await main();
