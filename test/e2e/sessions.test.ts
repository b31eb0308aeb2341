// Sessions and retention (test/conformance/session-contract.ts) on every host,
// each started with a small replay bound, a cap of four connections and an
// eight-second retention, so cuts, evictions and prunes happen within a test.

import { describe } from 'vitest';
import { describeSessionContract, SESSION_VARS } from '../conformance/session-contract.ts';
import { EVERY_HOST, useEveryHost } from '../hosts/every-host.ts';

const hosts = useEveryHost(SESSION_VARS);

describe.concurrent('sessions and retention', () => {
  for (const host of EVERY_HOST) describeSessionContract(host, () => hosts.url(host));
});
