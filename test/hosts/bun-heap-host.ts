// The Bun host (src/standalone/bun.ts) with one addition for measuring: on
// SIGUSR2 it collects garbage and writes bun:jsc's heapStats() to HEAP_OUT.
import { writeFileSync } from 'node:fs';
import { startHost } from '../../src/standalone/bun.ts';
// @ts-expect-error bun:jsc has no types here (Bun's own would clash with the Workers types)
import { heapStats } from 'bun:jsc';

declare const Bun: { gc(force: boolean): void };
process.on('SIGUSR2', () => {
  Bun.gc(true);
  writeFileSync(process.env.HEAP_OUT!, JSON.stringify(heapStats()));
});

startHost();
