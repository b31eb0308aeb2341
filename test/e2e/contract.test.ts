// The one conformance suite, run against every host. A behaviour that differs
// between hosts is a bug in that host's adapter.

import { inject } from 'vitest';
import { describeContract } from '../conformance/contract.ts';
import { describeClientContract } from '../conformance/client-contract.ts';
import { describeInboxContract } from '../conformance/inbox-contract.ts';
import { describeJobsContract } from '../conformance/jobs-contract.ts';
import { describeLimitsContract } from '../conformance/limits-contract.ts';
import { describePublisherContract } from '../conformance/publisher-contract.ts';
import { HOST_VARS } from './hosts.setup.ts';

for (const host of ['wrangler dev', 'node', 'bun', 'deno']) {
  const baseUrl = () => inject('hostUrls')[host]!;
  describeContract(host, baseUrl, { sseMaxStreamSeconds: 2 });
  describeJobsContract(host, baseUrl);
  describeClientContract(host, baseUrl);
  describeInboxContract(host, baseUrl);
  describePublisherContract(host, baseUrl, { requireTarget: true });
  describeLimitsContract(host, baseUrl, {
    maxConnectionsPerUser: Number(HOST_VARS.MAX_CONNECTIONS_PER_USER),
    publishBurstPerUser: Number(HOST_VARS.PUBLISH_BURST_PER_USER),
    // A Durable Object cannot see a hibernatable socket's send buffer; workerd owns it.
    slowConsumerClose: host !== 'wrangler dev',
  });
}
