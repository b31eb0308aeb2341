// Served publishes at a fixed rate against one standalone host pinned to core 1
// (this process on core 0): the host's user and system CPU per publish, with
// SUBS WebSocket subscribers over 1,000 users. FLOOR=1 serves a bare Bun.serve
// handler instead (the runtime's own cost per request); PROF=<dir> writes a
// CPU profile (Bun: with a markdown summary). RUNTIME=workerd serves the
// Cloudflare build on workerd directly (bench/peers/workerd-direct.ts);
// USERS spreads publishes over that many users; HEALTH=1 sends GET /v1/health
// instead (a request that reaches no actor). FLOOR_CMD='<command>' serves that
// command instead (bench/tools/bare-node-server.ts: the same floor on Node).
//   taskset -c 0 node bench/tools/served-publish.ts                 (RATE=2000 SECONDS=10 SUBS=0 USERS=1000 RUNTIME=bun)
//   SUBS=2000 SQLITE_SYNCHRONOUS=NORMAL taskset -c 0 node bench/tools/served-publish.ts
//   RUNTIME=workerd RATE=200 USERS=10 taskset -c 0 node bench/tools/served-publish.ts
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHmac } from 'node:crypto';
import { Agent, request } from 'undici';
import WebSocket from 'ws';
import { cpuSeconds, processTree } from '../lib.ts';
import { freezeWorker } from '../../test/hosts/wrangler-dev.ts';
import { signClientToken } from '../../src/core/auth/client-token.ts';
import { TEST_VARS } from '../../test/helpers/test-vars.ts';

const RATE = Number(process.env.RATE ?? 2000);
const SECONDS = Number(process.env.SECONDS ?? 10);
const SUBS = Number(process.env.SUBS ?? 0);
const port = 18000 + Math.floor(Math.random() * 1000);
const runtime = process.env.RUNTIME ?? 'bun';
const scratch = mkdtempSync(join(tmpdir(), 'served-publish-'));
const command = (): string[] => {
  if (process.env.FLOOR_CMD) return process.env.FLOOR_CMD.split(' ');
  if (process.env.FLOOR) return ['bun', 'bench/tools/bare-server.ts'];
  if (runtime === 'workerd') {
    freezeWorker(scratch);
    return ['node', 'bench/peers/workerd-direct.ts', join(scratch, 'worker'), String(port), join(scratch, 'state')];
  }
  const profile = process.env.PROF ? ['--cpu-prof', '--cpu-prof-dir=' + process.env.PROF] : [];
  if (runtime === 'node') return ['node', '--disable-warning=ExperimentalWarning', ...profile, 'src/standalone/node.ts'];
  // Bun also writes a markdown summary beside the profile.
  return ['bun', ...profile, ...(profile.length ? ['--cpu-prof-md'] : []), 'src/standalone/bun.ts'];
};
const host = spawn('taskset', ['-c', '1', ...command()], {
  env: { ...process.env, ...TEST_VARS, PORT: String(port), DATABASE_PATH: join(scratch, 'hub.sqlite'), PUBLISH_RATE_PER_USER: '0', MAX_CONNECTIONS_PER_USER: '50', HEARTBEAT_SECONDS: '15' },
  stdio: 'ignore',
});
const base = `http://127.0.0.1:${port}`;
for (let i = 0; i < 300; i++) { try { if ((await fetch(process.env.FLOOR || process.env.FLOOR_CMD ? base : `${base}/v1/health`)).ok) break; } catch {} await new Promise((r) => setTimeout(r, 100)); }
const users = Number(process.env.USERS ?? 1000);
let received = 0;
const sockets: WebSocket[] = [];
for (let i = 0; i < SUBS; i++) {
  const token = await signClientToken(TEST_VARS.JWT_SECRET, `u${i % users}`, 3600);
  const ws = new WebSocket(`ws://127.0.0.1:${port}/v1/connect`, ['userhub.v1', `userhub.token.${token}`]);
  ws.on('message', () => received++);
  await new Promise((r) => ws.once('open', r));
  sockets.push(ws);
}
const key = Buffer.from(TEST_VARS.WEBHOOK_SECRET.slice(6), 'base64');
const agent = new Agent({ connections: 64, keepAliveTimeout: 30_000 });
const send = async (seq: number) => {
  if (process.env.HEALTH) {
    const r = await request(`${base}/v1/health`, { dispatcher: agent });
    await r.body.dump();
    return;
  }
  const userId = `u${seq % users}`;
  const body = `{"userId":"${userId}","type":"n","data":{"s":${seq},"t":${Date.now()}}}`;
  const id = `d${seq}`, ts = String(Math.floor(Date.now() / 1000));
  const sig = `v1,${createHmac('sha256', key).update(`${id}.${ts}.${body}`).digest('base64')}`;
  const r = await request(`${base}/v1/users/${userId}/events`, { method: 'POST', dispatcher: agent, body, headers: { 'content-type': 'application/json', 'webhook-id': id, 'webhook-timestamp': ts, 'webhook-signature': sig } });
  await r.body.dump();
  if (r.statusCode !== 202) throw new Error(String(r.statusCode));
};
// warm up
await Promise.all(Array.from({ length: 2000 }, (_, i) => send(1e7 + i)));
received = 0;
const stat = (): [number, number] => {
  let [user, system] = [0, 0];
  for (const pid of processTree([host.pid!])) {
    const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    [user, system] = [user + Number(f[11]), system + Number(f[12])];
  }
  return [user, system];
};
const [u0, s0] = stat();
const cpu0 = cpuSeconds([host.pid!]);
const t0 = Date.now();
const total = RATE * SECONDS;
const pending: Promise<void>[] = [];
for (let k = 0; k < total; k++) {
  const due = t0 + (k * 1000) / RATE;
  if (due > Date.now()) await new Promise((r) => setTimeout(r, due - Date.now()));
  pending.push(send(k));
}
await Promise.all(pending);
await new Promise((r) => setTimeout(r, 500));
const cpu = cpuSeconds([host.pid!]) - cpu0;
const [u1, s1] = stat();
console.log(`user ${((u1 - u0) * 1e4 / total).toFixed(1)} µs, sys ${((s1 - s0) * 1e4 / total).toFixed(1)} µs per publish`);
console.log(`${runtime} rate ${RATE}/s subs ${SUBS}: ${((cpu * 1e6) / total).toFixed(1)} µs CPU per publish, ${received} deliveries, ${((cpu * 1e6) / Math.max(1, received)).toFixed(1)} µs per delivery, core ${((cpu / SECONDS) * 100).toFixed(0)}%`);
for (const ws of sockets) ws.terminate();
host.kill(process.env.PROF || runtime === 'workerd' ? 'SIGTERM' : 'SIGKILL'); await new Promise((r) => setTimeout(r, 2000));
rmSync(scratch, { recursive: true, force: true });
process.exit(0);
