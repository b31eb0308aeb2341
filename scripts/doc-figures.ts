// npm run docs:figures: the figures the docs quote (bundle sizes) are
// measured here and written between their markers, never typed by hand:
//   <!-- figure:worker-gzip-kib -->206<!-- /figure -->
// With --check it changes nothing and exits 1 when a figure is stale (what the
// tests run).

import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { bundleClient, measureUi } from './client-bundle.ts';
import { buildPackage } from './package.ts';

/** The files whose figures this script keeps. */
const DOCS = ['README.md', ...readdirSync('docs').filter((name) => name.endsWith('.md')).map((name) => join('docs', name))];
const MARKER = /<!-- figure:([a-z0-9-]+) -->([^<]*)<!-- \/figure -->/g;

/** KiB rounded up: a size the docs state is never below what it measures. */
const kib = (bytes: number, digits: number) => (Math.ceil((bytes / 1024) * 10 ** digits) / 10 ** digits).toFixed(digits);

/** Every figure, measured now. */
export async function measureFigures(): Promise<Record<string, string>> {
  const out = mkdtempSync(join(tmpdir(), 'userhub-figures-'));
  try {
    // The deploy bundle, as `wrangler deploy` would upload it.
    execFileSync('npx', ['wrangler', 'deploy', '--dry-run', '--outdir', join(out, 'worker')], { env: { ...process.env, WRANGLER_SEND_METRICS: 'false' }, stdio: 'ignore' });
    const worker = gzipSync(readFileSync(join(out, 'worker/worker.js')), { level: 9 }).length;
    // The client, the React hooks and components, and the custom element as an application's bundler minifies the package's files.
    await buildPackage(join(out, 'package'));
    const client = await bundleClient(join(out, 'package/lib/client/index.js'));
    const ui = await measureUi(join(out, 'package/lib'));
    return {
      'worker-gzip-kib': kib(worker, 0),
      'client-gzip-kib': kib(client.gzipBytes, 1),
      'react-gzip-kib': kib(ui.hooks, 1),
      'react-components-gzip-kib': kib(ui.components, 1),
      'elements-gzip-kib': kib(ui.elements, 1),
    };
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}

/** The docs with every figure replaced by its measure; the names of those that changed. */
export function applyFigures(figures: Record<string, string>): { file: string; text: string; stale: string[] }[] {
  return DOCS.map((file) => {
    const stale: string[] = [];
    const text = readFileSync(file, 'utf8').replace(MARKER, (whole, name: string, value: string) => {
      const measured = figures[name];
      if (measured === undefined) throw new Error(`${file}: no figure named ${name}`);
      if (measured !== value) stale.push(`${file}: ${name} says ${value}, measured ${measured}`);
      return `<!-- figure:${name} -->${measured}<!-- /figure -->`;
    });
    return { file, text, stale };
  });
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const results = applyFigures(await measureFigures());
  const stale = results.flatMap((r) => r.stale);
  if (process.argv.includes('--check')) {
    console.log(stale.length ? stale.join('\n') : 'every figure is current');
    process.exit(stale.length ? 1 : 0);
  }
  for (const { file, text, stale } of results) if (stale.length) writeFileSync(file, text);
  console.log(stale.length ? stale.join('\n') : 'every figure was current');
}
