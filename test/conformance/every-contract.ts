// Every contract suite for one host at a base URL, with the limits its
// variables set (HOST_VARS): what contract.test.ts runs on each single host
// and cluster-contract.test.ts on a cluster.

import { describeContract } from './contract.ts';
import { describeClientContract } from './client-contract.ts';
import { describeInboxContract } from './inbox-contract.ts';
import { describeJobsContract } from './jobs-contract.ts';
import { describeLimitsContract } from './limits-contract.ts';
import { describePublisherContract } from './publisher-contract.ts';

export function describeEveryContract(
  host: string,
  baseUrl: () => string,
  vars: { MAX_CONNECTIONS_PER_USER: string; PUBLISH_BURST_PER_USER: string },
  options: { slowConsumerClose: boolean },
): void {
  describeContract(host, baseUrl, { sseMaxStreamSeconds: 2 });
  describeJobsContract(host, baseUrl);
  describeClientContract(host, baseUrl);
  describeInboxContract(host, baseUrl);
  describePublisherContract(host, baseUrl, { requireTarget: true });
  describeLimitsContract(host, baseUrl, {
    maxConnectionsPerUser: Number(vars.MAX_CONNECTIONS_PER_USER),
    publishBurstPerUser: Number(vars.PUBLISH_BURST_PER_USER),
    slowConsumerClose: options.slowConsumerClose,
  });
}
