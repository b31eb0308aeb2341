// Every host the contract runs against, started with the same variables for
// one test file, and stopped after it.

import { afterAll, beforeAll } from 'vitest';
import { startStandalone, type Runtime } from './standalone.ts';
import { startWranglerDev, type RunningHost } from './wrangler-dev.ts';

export const EVERY_HOST = ['wrangler dev', 'node', 'bun', 'deno'] as const;
export type HostName = (typeof EVERY_HOST)[number];

/** Starts every host (or those named) before the file's tests and stops them after; `url(host)` reads a started host's base URL. */
export function useEveryHost(
  vars: Record<string, string>,
  hosts: readonly HostName[] = EVERY_HOST,
  /** Environment for wrangler dev's process (standalone hosts see `vars` in theirs). */
  env: Record<string, string> = {},
): { url: (host: HostName) => string } {
  const urls = new Map<HostName, string>();
  const started: RunningHost[] = [];
  beforeAll(async () => {
    await Promise.all(
      hosts.map(async (name) => {
        const host = name === 'wrangler dev' ? await startWranglerDev(vars, { env }) : await startStandalone(name as Runtime, vars);
        started.push(host);
        urls.set(name, host.url);
      }),
    );
  }, 90_000);
  afterAll(() => Promise.all(started.map((host) => host.stop())));
  return { url: (host) => urls.get(host)! };
}
