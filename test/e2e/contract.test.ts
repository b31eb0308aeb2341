// The one conformance suite, run against every host. A behaviour that differs
// between hosts is a bug in that host's adapter.

import { inject } from 'vitest';
import { describeEveryContract } from '../conformance/every-contract.ts';
import { HOST_VARS } from './hosts.setup.ts';

for (const host of ['wrangler dev', 'node', 'bun', 'deno']) {
  // A Durable Object cannot see a hibernatable socket's send buffer; workerd owns it.
  describeEveryContract(host, () => inject('hostUrls')[host]!, HOST_VARS, { slowConsumerClose: host !== 'wrangler dev' });
}
