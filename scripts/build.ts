// npm run build: the bundle `wrangler deploy` would upload, built offline into
// dist/ (extra arguments go to wrangler, e.g. `-- --env production`), and its
// gzipped size against the Workers script size limits.

import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';

/** Workers' limits on a script's gzipped size: Free and Paid plans. */
export const SIZE_LIMITS = { free: 3 * 1024 * 1024, paid: 10 * 1024 * 1024 };

const outdir = 'dist';
const build = spawnSync('npx', ['wrangler', 'deploy', '--dry-run', '--outdir', outdir, ...process.argv.slice(2)], {
  env: { ...process.env, WRANGLER_SEND_METRICS: 'false' },
  encoding: 'utf8',
});
if (build.status !== 0) {
  process.stderr.write(build.stdout + build.stderr);
  process.exit(build.status ?? 1);
}
const bundle = readFileSync(`${outdir}/worker.js`);
const gzipped = gzipSync(bundle, { level: 9 }).length;
const kib = (n: number) => `${(n / 1024).toFixed(1)} KiB`;
console.log(
  `worker bundle: ${kib(bundle.length)}, ${kib(gzipped)} gzipped ` +
    `(Workers limit: ${kib(SIZE_LIMITS.free)} on Free, ${kib(SIZE_LIMITS.paid)} on Paid) -> ${outdir}/worker.js`,
);
if (gzipped > SIZE_LIMITS.free) {
  console.error('The bundle is over the Free plan limit.');
  process.exit(1);
}
