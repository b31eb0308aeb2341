// The contract at the protocol's own time scales on every host, each started
// with the default heartbeat (15 s) rather than the quick suite's one second.
// Every case waits out a heartbeat or a maximum `wait`, so they all run at once.

import { afterAll, beforeAll, describe } from 'vitest';
import { describeTimescaleContract } from '../conformance/timescale-contract.ts';
import { startStandalone } from '../hosts/standalone.ts';
import { startWranglerDev, type RunningHost } from '../hosts/wrangler-dev.ts';
import { HOST_VARS, RUNTIMES } from './hosts.setup.ts';

// The quick suite's one-second heartbeat and two-second stream lifetime, back at their defaults.
const { HEARTBEAT_SECONDS: _heartbeat, SSE_MAX_STREAM_SECONDS: _lifetime, ...DEFAULT_HEARTBEAT_VARS } = HOST_VARS;
const HEARTBEAT_SECONDS = 15;
const HOSTS = ['wrangler dev', ...RUNTIMES] as const;

const urls: Record<string, string> = {};
const started: RunningHost[] = [];

beforeAll(async () => {
  await Promise.all(
    HOSTS.map(async (name) => {
      const host = name === 'wrangler dev' ? await startWranglerDev(DEFAULT_HEARTBEAT_VARS) : await startStandalone(name, DEFAULT_HEARTBEAT_VARS);
      started.push(host);
      urls[name] = host.url;
    }),
  );
}, 90_000);
afterAll(() => Promise.all(started.map((host) => host.stop())));

describe.concurrent('protocol time scales', () => {
  for (const host of HOSTS) {
    describeTimescaleContract(host, () => urls[host]!, {
      heartbeatSeconds: HEARTBEAT_SECONDS,
      seesDisconnects: host !== 'wrangler dev',
    });
  }
});
