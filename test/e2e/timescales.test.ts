// The contract at the protocol's own time scales on every host, each started
// with the default heartbeat (15 s) rather than the quick suite's one second.
// Every case waits out a heartbeat or a maximum `wait`, so they all run at once.

import { describe } from 'vitest';
import { describeTimescaleContract } from '../conformance/timescale-contract.ts';
import { EVERY_HOST, useEveryHost } from '../hosts/every-host.ts';
import { HOST_VARS } from './hosts.setup.ts';

// The quick suite's one-second heartbeat and two-second stream lifetime, back at their defaults.
const { HEARTBEAT_SECONDS: _heartbeat, SSE_MAX_STREAM_SECONDS: _lifetime, ...DEFAULT_HEARTBEAT_VARS } = HOST_VARS;
const HEARTBEAT_SECONDS = 15;

const hosts = useEveryHost(DEFAULT_HEARTBEAT_VARS);

describe.concurrent('protocol time scales', () => {
  for (const host of EVERY_HOST) {
    describeTimescaleContract(host, () => hosts.url(host), {
      heartbeatSeconds: HEARTBEAT_SECONDS,
      seesDisconnects: host !== 'wrangler dev',
    });
  }
});
