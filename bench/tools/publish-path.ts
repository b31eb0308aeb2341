// The publish path in process, with no network: a standalone host's fetch()
// called with signed publishes, B at a time (one turn of the event loop each).
// Run on Bun, pinned: server CPU per publish, and what one commit per turn costs.
//   taskset -c 1 bun bench/tools/publish-path.ts          (B=100 N=20000 SYNC=FULL)
//   B=1 SYNC=NORMAL taskset -c 1 bun bench/tools/publish-path.ts
import { Database } from 'bun:sqlite';
import { createStandaloneHost, readStandaloneOptions } from '../../src/standalone/host.ts';
import { signWebhook } from '../../src/shared/webhook-signature.ts';
import { TEST_VARS } from '../../test/helpers/test-vars.ts';

const env = { ...TEST_VARS, PUBLISH_RATE_PER_USER: '0', LOG_LEVEL: 'info', SQLITE_SYNCHRONOUS: process.env.SYNC ?? 'FULL', HEARTBEAT_SECONDS: '15' };
const options = readStandaloneOptions(env);
const host = createStandaloneHost(env, new Database(`/tmp/micro-${process.pid}.sqlite`) as never, () => new Response(null), options);
const N = Number(process.env.N ?? 20000);
const users = 500;
const requests: Array<() => Promise<Request>> = [];
async function make(i: number): Promise<Request> {
  const userId = `u${i % users}`;
  const body = JSON.stringify({ userId, type: 'bench', data: { seq: i, pad: 'x'.repeat(60) } });
  const headers = await signWebhook(TEST_VARS.WEBHOOK_SECRET, `msg_${i}`, body);
  return new Request(`http://127.0.0.1:8787/v1/users/${userId}/events`, { method: 'POST', headers: { ...headers, 'Content-Type': 'application/json', Host: '127.0.0.1:8787' }, body });
}
const prepared: Request[] = [];
for (let i = 0; i < N; i++) prepared.push(await make(i));
const t0 = performance.now();
const cpu0 = process.cpuUsage();
// Batches of 100 concurrent requests, like a busy turn.
const B = Number(process.env.B ?? 100);
for (let i = 0; i < N; i += B) {
  const batch = prepared.slice(i, i + B).map((r) => host.fetch(r));
  const responses = await Promise.all(batch);
  if (responses.some((r) => r.status !== 202)) throw new Error(`status ${responses.find((r) => r.status !== 202)!.status}: ${await responses.find((r) => r.status !== 202)!.text()}`);
}
const ms = performance.now() - t0;
const cpu = process.cpuUsage(cpu0);
console.log(`${N} publishes in ${ms.toFixed(0)} ms: ${((ms * 1000) / N).toFixed(1)} µs wall, ${((cpu.user + cpu.system) / N).toFixed(1)} µs CPU per publish (user ${(cpu.user / N).toFixed(1)}, sys ${(cpu.system / N).toFixed(1)})`);
host.close();
process.exit(0);
