// The deploy bundle builds offline, for the default and production
// environments, and fits the Workers size limit (checked by the build script).

import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { applyFigures, measureFigures } from '../../scripts/doc-figures.ts';

const build = (...args: string[]) =>
  execFileSync('node', ['scripts/build.ts', ...args], { encoding: 'utf8', env: { ...process.env, WRANGLER_SEND_METRICS: 'false' } });

describe('npm run build', () => {
  it.each([[[]], [['--env', 'production']]])('bundles the Worker %j and reports its gzipped size under the limit', { timeout: 120_000 }, (args) => {
    const output = build(...args);
    const match = /worker bundle: [\d.]+ KiB, ([\d.]+) KiB gzipped/.exec(output);
    expect(match, output).not.toBeNull();
    expect(Number(match![1])).toBeLessThan(3 * 1024);
  });
});

describe('npm run docs:figures', () => {
  it('keeps every figure the docs quote (bundle sizes) equal to what it measures now', { timeout: 180_000 }, async () => {
    const stale = applyFigures(await measureFigures()).flatMap((result) => result.stale);
    expect(stale, 'run npm run docs:figures').toEqual([]);
  });
});
