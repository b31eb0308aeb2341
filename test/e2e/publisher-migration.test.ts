// The publisher contract on every host started with PUBLISH_REQUIRE_TARGET=false,
// the setting a deployment runs while it moves its publishers to the bound
// forms: the old forms are accepted, a body naming another target never is.

import { describe } from 'vitest';
import { describePublisherContract } from '../conformance/publisher-contract.ts';
import { EVERY_HOST, useEveryHost } from '../hosts/every-host.ts';
import { HOST_VARS } from './hosts.setup.ts';

const hosts = useEveryHost({ ...HOST_VARS, PUBLISH_REQUIRE_TARGET: 'false' });

describe('while publishers move over', () => {
  for (const host of EVERY_HOST) describePublisherContract(host, () => hosts.url(host), { requireTarget: false });
});
