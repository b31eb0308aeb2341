// The one conformance suite, run against every host. A behaviour that differs
// between hosts is a bug in that host's adapter.

import { inject } from 'vitest';
import { describeContract } from '../conformance/contract.ts';
import { describeClientContract } from '../conformance/client-contract.ts';
import { describeJobsContract } from '../conformance/jobs-contract.ts';

for (const host of ['wrangler dev', 'node', 'bun', 'deno']) {
  const baseUrl = () => inject('hostUrls')[host]!;
  describeContract(host, baseUrl, { sseMaxStreamSeconds: 2 });
  describeJobsContract(host, baseUrl);
  describeClientContract(host, baseUrl);
}
