// Memory per idle WebSocket on a fresh Bun host (pinned to core 1; clients in
// this process on core 0): resident memory and the JS heap before and after N
// users each open one WebSocket and stay idle for HOLD seconds, with the heap's
// objects per connection by type. FLOOR=1 measures a bare Bun.serve instead
// (the runtime's own cost per socket).
//   taskset -c 0 node bench/tools/idle-memory.ts                (N=5000 HOLD=20)
//   FLOOR=1 taskset -c 0 node bench/tools/idle-memory.ts
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import WebSocket from 'ws';
import { rssBytes } from '../lib.ts';
import { signClientToken } from '../../src/core/auth/client-token.ts';
import { TEST_VARS } from '../../test/helpers/test-vars.ts';

const N = Number(process.env.N ?? 5000);
const HOLD = Number(process.env.HOLD ?? 20);
const floor = Boolean(process.env.FLOOR);
const port = 19000 + Math.floor(Math.random() * 500);
const scratch = mkdtempSync(join(tmpdir(), 'idle-memory-'));
const heapOut = join(scratch, 'heap.json');
const host = spawn('taskset', ['-c', '1', 'bun', floor ? 'bench/tools/bare-server.ts' : 'test/hosts/bun-heap-host.ts'], {
  env: { ...process.env, ...TEST_VARS, PORT: String(port), DATABASE_PATH: join(scratch, 'hub.sqlite'), HEAP_OUT: heapOut },
  stdio: 'ignore',
});
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
for (let i = 0; i < 300; i++) {
  try {
    if ((await fetch(`http://127.0.0.1:${port}/v1/health`)).ok) break;
  } catch {}
  await sleep(100);
}

type HeapStats = { heapSize: number; objectCount: number; objectTypeCounts: Record<string, number> };
async function heap(): Promise<HeapStats | null> {
  if (floor) return null;
  rmSync(heapOut, { force: true });
  process.kill(host.pid!, 'SIGUSR2');
  for (let i = 0; i < 100; i++) {
    await sleep(100);
    try {
      return JSON.parse(readFileSync(heapOut, 'utf8')) as HeapStats;
    } catch {}
  }
  throw new Error('the host wrote no heap statistics');
}

async function openIdle(count: number, prefix: string): Promise<WebSocket[]> {
  const sockets: WebSocket[] = [];
  for (let i = 0; i < count; i++) {
    const token = await signClientToken(TEST_VARS.JWT_SECRET, `${prefix}${i}`, 3600);
    const ws = new WebSocket(`ws://127.0.0.1:${port}/v1/connect`, ['userhub.v1', `userhub.token.${token}`]);
    await new Promise((resolve, reject) => (ws.once('open', resolve), ws.once('error', reject)));
    sockets.push(ws);
  }
  return sockets;
}

// Warm: code paths compiled and pools made before the baseline.
for (const ws of await openIdle(200, 'warm')) ws.close();
await sleep(3000);
const [rss0, heap0] = [rssBytes([host.pid!]), await heap()];
const sockets = await openIdle(N, 'idle');
await sleep(HOLD * 1000);
const [rss1, heap1] = [rssBytes([host.pid!]), await heap()];
const open = sockets.filter((ws) => ws.readyState === WebSocket.OPEN).length;

console.log(
  `${floor ? 'bare Bun.serve' : 'bun host'}: ${open} of ${N} idle WebSockets held ${HOLD} s; resident ${(rss0 / 2 ** 20).toFixed(1)} → ${(rss1 / 2 ** 20).toFixed(1)} MiB, ` +
    `${((rss1 - rss0) / N / 1024).toFixed(2)} KiB per connection`,
);
if (heap0 && heap1) {
  const perType = Object.entries(heap1.objectTypeCounts)
    .map(([type, count]) => [type, (count - (heap0.objectTypeCounts[type] ?? 0)) / N] as const)
    .filter(([, count]) => count >= 0.5)
    .sort((a, b) => b[1] - a[1]);
  console.log(
    `JS heap: ${((heap1.heapSize - heap0.heapSize) / N).toFixed(0)} B and ${((heap1.objectCount - heap0.objectCount) / N).toFixed(1)} objects per connection (` +
      perType.map(([type, count]) => `${type} ${count.toFixed(1)}`).join(', ') +
      ')',
  );
}
for (const ws of sockets) ws.terminate();
host.kill('SIGKILL');
rmSync(scratch, { recursive: true, force: true });
process.exit(0);
