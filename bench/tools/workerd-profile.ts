// A CPU profile of the Worker's isolate (the Worker and every Durable Object
// of its class run in it) over workerd's DevTools endpoint, summarised by self
// time per function. Start workerd direct with INSPECTOR_PORT, put load on it, then:
//
//   node bench/tools/workerd-profile.ts <inspector port> <seconds> [out.cpuprofile]

import { writeFileSync } from 'node:fs';
import WebSocket from 'ws';

const [port, seconds = '10', out] = process.argv.slice(2);
const targets = (await (await fetch(`http://127.0.0.1:${port}/json`)).json()) as Array<{ id: string; title: string; webSocketDebuggerUrl: string }>;
const target = targets.find((t) => t.title.includes('core:user')) ?? targets[0]!;
const ws = new WebSocket(target.webSocketDebuggerUrl);
await new Promise((resolve) => ws.once('open', resolve));
let nextId = 1;
const pending = new Map<number, (result: unknown) => void>();
ws.on('message', (raw) => {
  const message = JSON.parse(String(raw)) as { id?: number; result?: unknown };
  if (message.id !== undefined) pending.get(message.id)?.(message.result);
});
const send = (method: string, params = {}) =>
  new Promise<any>((resolve) => {
    const id = nextId++;
    pending.set(id, resolve);
    ws.send(JSON.stringify({ id, method, params }));
  });

await send('Profiler.enable');
await send('Profiler.setSamplingInterval', { interval: 200 });
await send('Profiler.start');
await new Promise((resolve) => setTimeout(resolve, Number(seconds) * 1000));
const { profile } = await send('Profiler.stop');
ws.close();
if (out) writeFileSync(out, JSON.stringify(profile));

interface Node { id: number; callFrame: { functionName: string; url: string; lineNumber: number }; children?: number[] }
const nodes = new Map<number, Node>((profile.nodes as Node[]).map((n) => [n.id, n]));
const self = new Map<string, number>();
const counts = new Map<number, number>();
for (const id of profile.samples as number[]) counts.set(id, (counts.get(id) ?? 0) + 1);
let total = 0;
for (const [id, n] of counts) {
  const frame = nodes.get(id)!.callFrame;
  const key = `${frame.functionName || '(anonymous)'} ${frame.url.split('/').pop()}:${frame.lineNumber + 1}`;
  self.set(key, (self.get(key) ?? 0) + n);
  total += n;
}
const rows = [...self].sort((a, b) => b[1] - a[1]).slice(0, 40);
for (const [key, n] of rows) console.log(`${((100 * n) / total).toFixed(1).padStart(5)}%  ${key}`);
