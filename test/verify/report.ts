// Renders docs/guarantees.md from the verify results: for each promise, the
// suite that tests it and the latest full-scale figures on each host, with the
// date and the command that produced them. Nothing here is typed in by hand.

import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import type { SuiteReport } from './suite.ts';

export interface VerifyRun extends SuiteReport {
  suite: string;
  host: string;
  seconds: number;
}

export interface VerifyResult {
  date: string;
  scale: 'quick' | 'full';
  command: string;
  machine: Record<string, unknown>;
  runs: VerifyRun[];
}

const PROMISES: Array<{ suite: string; promise: string; how: string; code: string }> = [
  {
    suite: 'reconnect storm',
    promise: 'No event is lost, doubled or reordered when connections drop and resume.',
    how: '200 users × 3 connections (WebSocket, SSE, long poll); 20,000 events published at a steady rate while at least 2,000 connections are cut at random and resume from their last id.',
    code: 'test/verify/reconnect-storm.ts',
  },
  {
    suite: 'cluster under failures',
    promise: 'A cluster of nodes on PostgreSQL and Redis loses, doubles and reorders nothing when a node dies, Redis restarts or the PostgreSQL primary dies.',
    how: 'Three nodes (Node, Bun, Node) behind haproxy round robin, on Redis and a PostgreSQL primary with a synchronous standby; one failure at a time. *node killed*: the reconnect storm above runs through the balancer while a node is killed with SIGKILL mid-publish and restarted. *redis restarted*: 10,000 users with a WebSocket each, spread over the nodes; a wave of one event per user live, one while Redis is down (delivered by the nodes\' periodic check of the log), one after it restarts (once the nodes have subscribed again). *primary promoted*: the storm while the primary is killed with SIGKILL mid-publish and, 10 s later, the standby promoted; the nodes\' DATABASE_URL names both servers. After each storm the log is read from PostgreSQL: missingFromLog (acknowledged, not in the log under its id), storedTwice (one webhook-id stored under two ids), idGaps. caughtUpMs: from the recovery until every connection holds every event acknowledged before it.',
    code: 'test/verify/cluster-failures.ts',
  },
  {
    suite: 'inbox across devices',
    promise: 'Every device of a user shows the inbox counts the server computes, and gets every inbox change once, in order, whatever its transport.',
    how: '30 users × 3 devices (WebSocket, SSE, long poll) through a proxy that cuts every connection 10 times; 60 notifications per user (a quarter collapsing) while every device marks items seen, read, unread and archived 50 times; at the end each device\'s counts are compared with the server\'s and its events with the log.',
    code: 'test/verify/inbox-devices.ts',
  },
  {
    suite: 'crash and restart',
    promise: 'A publish that was answered 202 is never lost, even when the host is killed.',
    how: 'WebSocket and SSE clients stream while the host is killed with SIGKILL five times mid-stream and restarted on the same state; publishers retry with the same webhook-id until acknowledged.',
    code: 'test/verify/crash-restart.ts',
  },
  {
    suite: 'retention edge',
    promise: 'A resume point is answered with a full replay or an explicit reset, never a silent gap.',
    how: 'Resume points just inside and just outside the retained window, at and beyond the last id, on every transport.',
    code: 'test/verify/retention-edge.ts',
  },
  {
    suite: 'properties',
    promise: 'The actor keeps its invariants under any interleaving of operations.',
    how: 'fast-check model runs of publish, connect, resume, disconnect, prune, duplicate webhook-id and job update against the actor with real SQLite: ids increase, each client sees a gap-free suffix, a job never leaves a terminal state.',
    code: 'test/unit/hub.property.test.ts',
  },
  {
    suite: 'isolation',
    promise: 'A client never receives, polls or reads anything of another user; forged credentials and signed requests replayed to another user are refused.',
    how: '1,000 users with their own tokens, publishes and jobs to random users, every read path checked; forged, expired, `alg: none`, HS/RS-confused, wrong-secret and `sub`-less tokens; signed publishes, job updates and reads captured for one user and replayed to another user\'s URL (crossUserReplays, all refused).',
    code: 'test/verify/isolation.ts',
  },
  {
    suite: 'hostile input',
    promise: 'Bad input gets a 4xx JSON error (or a documented close code), never a 5xx, and nothing is stored.',
    how: 'A generated corpus of hostile requests and WebSocket frames: broken JSON, huge and deep bodies, bad UTF-8, CRLF in types, ids out of range, bad signatures, oversized frames, query floods; and, over raw TCP, malformed request lines, `Host` headers that are not authorities, upgrades of every path by every protocol, smuggling and chunk overflows; a webhook-id reused for another request (idempotencyReuses: 409) and signed requests replayed to another user (crossUserReplays) (`test/verify/raw-requests.ts`: a 4xx or a closed socket, never a 5xx, a hang or an upgrade; under wrangler dev its local proxy answers 5xx before the Worker runs, counted as proxyErrors).',
    code: 'test/verify/hostile-input.ts',
  },
  {
    suite: 'soak',
    promise: 'Memory stays flat under load over time, with nothing lost.',
    how: '10,000 idle WebSocket connections (4,000 under wrangler dev, whose local proxy holds about four file descriptors per WebSocket against this machine\'s 20,000 per process) plus steady publishing for 10 minutes; memory (RSS of every host process) at the end against memory after a 60 s warm-up.',
    code: 'test/verify/soak.ts',
  },
];

function latestRuns(dir: string): Array<VerifyRun & { date: string; command: string }> {
  const latest = new Map<string, VerifyRun & { date: string; command: string }>();
  const files = readdirSync(dir).filter((f) => f.endsWith('.json')).sort();
  for (const file of files) {
    const result = JSON.parse(readFileSync(`${dir}/${file}`, 'utf8')) as VerifyResult;
    if (result.scale !== 'full') continue;
    for (const run of result.runs) latest.set(`${run.suite}|${run.host}`, { ...run, date: result.date, command: result.command });
  }
  return [...latest.values()];
}

const figures = (f: Record<string, number>) =>
  Object.entries(f)
    .map(([name, value]) => `${name} ${value.toLocaleString('en-US')}`)
    .join(', ');

export function renderGuarantees(dir: string, out: string): void {
  const runs = latestRuns(dir);
  const lines = [
    '# Guarantees, measured',
    '',
    'Each promise the README makes, the suite that tests it, and the figures of its latest full-scale run on',
    'each host. Generated by `npm run verify` from `test/verify/results/*.json`; do not edit by hand.',
    '`npm test` runs the same suites at a quick scale on every host and fails on any broken promise.',
    '',
  ];
  for (const p of PROMISES) {
    lines.push(`## ${p.promise}`, '', `**Suite:** ${p.suite} (\`${p.code}\`). ${p.how}`, '');
    const rows = runs.filter((r) => r.suite === p.suite);
    if (rows.length === 0) {
      lines.push('_Not run at full scale yet._', '');
      continue;
    }
    lines.push('| host | result | figures | seconds | date | command |', '| --- | --- | --- | ---: | --- | --- |');
    for (const r of rows) {
      // A suite of several parts names its figures `part.name` (and its failures `part: …`): a row per part.
      const parts = [...new Set(Object.keys(r.figures).map((name) => (name.includes('.') ? name.slice(0, name.indexOf('.')) : '')))];
      for (const part of parts) {
        const own = Object.fromEntries(Object.entries(r.figures).flatMap(([name, value]) => (part === '' ? (name.includes('.') ? [] : [[name, value]]) : name.startsWith(`${part}.`) ? [[name.slice(part.length + 1), value]] : [])));
        const failed = r.failures.filter((failure) => part === '' || failure.startsWith(`${part}: `)).map((failure) => (part ? failure.slice(part.length + 2) : failure));
        const result = failed.length === 0 ? 'pass' : `**FAIL**: ${failed.join('; ')}`;
        const host = part ? `${r.host}: ${part}` : r.host;
        lines.push(`| ${host} | ${result} | ${figures(own)} | ${r.seconds} | ${r.date.slice(0, 16).replace('T', ' ')} UTC | \`${r.command}\` |`);
      }
    }
    lines.push('');
  }
  // The hand-written part between the title and the generated one (the promises in words) is kept as it is.
  const generated = lines.indexOf(lines.find((line) => line.startsWith('Each promise the README makes'))!);
  const kept = existsSync(out) ? /^# [^\n]*\n\n([\s\S]*?)^Each promise the README makes/m.exec(readFileSync(out, 'utf8'))?.[1] ?? '' : '';
  writeFileSync(out, `${[...lines.slice(0, generated), ...(kept ? [kept.trimEnd(), ''] : []), ...lines.slice(generated)].join('\n')}\n`);
}
