// The publisher contract on every host started with PUBLISH_REQUIRE_TARGET=false,
// the setting a deployment runs while it moves its publishers to the bound
// forms: the old forms are accepted, a body naming another target never is.

import { afterAll, beforeAll, describe } from 'vitest';
import { describePublisherContract } from '../conformance/publisher-contract.ts';
import { startStandalone } from '../hosts/standalone.ts';
import { startWranglerDev, type RunningHost } from '../hosts/wrangler-dev.ts';
import { HOST_VARS, RUNTIMES } from './hosts.setup.ts';

const VARS = { ...HOST_VARS, PUBLISH_REQUIRE_TARGET: 'false' };
const HOSTS = ['wrangler dev', ...RUNTIMES] as const;

const urls: Record<string, string> = {};
const started: RunningHost[] = [];

beforeAll(async () => {
  await Promise.all(
    HOSTS.map(async (name) => {
      const host = name === 'wrangler dev' ? await startWranglerDev(VARS) : await startStandalone(name, VARS);
      started.push(host);
      urls[name] = host.url;
    }),
  );
}, 90_000);
afterAll(() => Promise.all(started.map((host) => host.stop())));

describe('while publishers move over', () => {
  for (const host of HOSTS) describePublisherContract(host, () => urls[host]!, { requireTarget: false });
});
