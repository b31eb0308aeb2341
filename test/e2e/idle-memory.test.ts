// What an idle WebSocket keeps on the Bun host: the JS heap and its objects
// per connection, read from bun:jsc's heapStats() after a forced collection,
// for 1,000 users with one idle socket each. A connection keeps its own
// socket wrapper and session and its user's actor keeps only what opening a
// stream needed; before, each kept the Request it was opened with, a closure
// per socket method and every part of the actor (4.1 KB and 60 objects; now
// about 1.4 KB and 20). Resident memory per socket, which also counts the
// runtime's own buffers, is measured by `node bench/tools/idle-memory.ts`.

import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tokenFor } from '../helpers/requests.ts';
import { TEST_VARS } from '../helpers/test-vars.ts';
import { startStandalone, type StandaloneProcess } from '../hosts/standalone.ts';

const heapOut = join(tmpdir(), `userhub-heap-${process.pid}.json`);
let host: StandaloneProcess;
beforeAll(async () => {
  host = await startStandalone('bun', { ...TEST_VARS, HEAP_OUT: heapOut }, { entry: 'test/hosts/bun-heap-host.ts' });
}, 60_000);
afterAll(async () => {
  await host?.stop();
  rmSync(heapOut, { force: true });
});

type HeapStats = { heapSize: number; objectCount: number };
async function heap(): Promise<HeapStats> {
  rmSync(heapOut, { force: true });
  host.child.kill('SIGUSR2');
  for (let i = 0; i < 100; i++) {
    await new Promise((resolve) => setTimeout(resolve, 50));
    try {
      return JSON.parse(readFileSync(heapOut, 'utf8')) as HeapStats;
    } catch {
      // not written yet
    }
  }
  throw new Error('the host wrote no heap statistics');
}

async function openIdle(count: number, prefix: string): Promise<WebSocket[]> {
  const url = host.url.replace('http', 'ws');
  return Promise.all(
    Array.from({ length: count }, async (_, i) => {
      const ws = new WebSocket(`${url}/v1/connect`, ['userhub.v1', `userhub.token.${await tokenFor(`${prefix}${i}`)}`]);
      await new Promise((resolve, reject) => (ws.once('message', resolve), ws.once('error', reject))); // hub.ready
      return ws;
    }),
  );
}

describe('an idle WebSocket on the Bun host', () => {
  it('keeps under 2 KB of JS heap and 30 objects, its user\'s actor included', { timeout: 60_000 }, async () => {
    const N = 1000;
    for (const ws of await openIdle(100, `warm-${process.pid}-`)) ws.close(); // the connect path compiled first
    await new Promise((resolve) => setTimeout(resolve, 500));
    const before = await heap();
    const sockets = await openIdle(N, `idle-${process.pid}-`);
    const after = await heap();
    const bytes = (after.heapSize - before.heapSize) / N;
    const objects = (after.objectCount - before.objectCount) / N;
    expect(sockets.filter((ws) => ws.readyState === WebSocket.OPEN)).toHaveLength(N);
    expect(bytes).toBeLessThan(2048);
    expect(objects).toBeLessThan(30);
    for (const ws of sockets) ws.terminate();
  });
});
