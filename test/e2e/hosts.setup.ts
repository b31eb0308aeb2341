// Global setup for the e2e project: every host the contract runs against —
// wrangler dev, and the standalone host on Node, Bun and Deno — started once;
// and the npm package, built and packed once, for the tests that install it.

import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { TestProject } from 'vitest/node';
import { buildPackage, PACKAGE_DIR } from '../../scripts/package.ts';
import { startStandalone, type Runtime } from '../hosts/standalone.ts';
import { startWranglerDev, type RunningHost } from '../hosts/wrangler-dev.ts';
import { TEST_VARS } from '../helpers/test-vars.ts';

export const HOST_VARS = {
  ...TEST_VARS,
  SSE_MAX_STREAM_SECONDS: '2',
  MAX_CONNECTIONS_PER_USER: '10',
  PUBLISH_RATE_PER_USER: '10',
  PUBLISH_BURST_PER_USER: '100',
};
export const RUNTIMES: Runtime[] = ['node', 'bun', 'deno'];

declare module 'vitest' {
  export interface ProvidedContext {
    hostUrls: Record<string, string>;
    /** The npm package's tarball, as `npm pack ./npm-package` makes it. */
    packageTarball: string;
  }
}

export default async function setup(project: TestProject) {
  const started: RunningHost[] = [];
  const packed = mkdtempSync(join(tmpdir(), 'userhub-tarball-'));
  await buildPackage();
  execFileSync('npm', ['pack', `./${PACKAGE_DIR}`, '--pack-destination', packed, '--silent'], { stdio: 'ignore' });
  project.provide('packageTarball', resolve(packed, readdirSync(packed).find((name) => name.endsWith('.tgz'))!));
  try {
    const hosts = await Promise.all([
      startWranglerDev(HOST_VARS).then((host) => ['wrangler dev', host] as const),
      ...RUNTIMES.map((runtime) => startStandalone(runtime, HOST_VARS).then((host) => [runtime, host] as const)),
    ]);
    for (const [, host] of hosts) started.push(host);
    project.provide('hostUrls', Object.fromEntries(hosts.map(([name, host]) => [name, host.url])));
  } catch (err) {
    await Promise.all(started.map((host) => host.stop()));
    throw err;
  }
  return () => Promise.all(started.map((host) => host.stop())).then(() => rmSync(packed, { recursive: true, force: true }));
}
