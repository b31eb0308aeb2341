// A cluster node's Redis subscriptions across a Redis restart, on a real
// Redis: a node watching thousands of users is subscribed to every one of
// their channels again once Redis is back (the driver's own reconnect
// subscribed only about 1,500 of them; the rest stayed silent until the
// periodic check), and each is caught up from the log once it holds.

import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Hub } from '../../src/core/actor/hub.ts';
import { Cluster } from '../../src/standalone/cluster.ts';
import { haveEngines, startRedis, type Engine } from '../hosts/engines.ts';
import { eventually } from '../helpers/wire.ts';

const USERS = 3000;

let redis: Engine;

beforeAll(async () => {
  if (haveEngines()) redis = await startRedis();
}, 30_000);

afterAll(async () => {
  await redis?.stop();
});

/** How many sharded channels Redis has subscribers for. */
const subscribed = () =>
  execFileSync('redis-cli', ['-p', new URL(redis.url).port, 'PUBSUB', 'SHARDCHANNELS'], { maxBuffer: 16 * 1024 * 1024 }).toString().split('\n').filter(Boolean).length;

describe.skipIf(!haveEngines())('a cluster node across a Redis restart', () => {
  it(`subscribes to all of ${USERS} users' channels again, and catches each up from the log`, { timeout: 60_000 }, async () => {
    const caughtUp = new Set<string>();
    const actor = (userId: string) => ({ catchUp: async () => void caughtUp.add(userId) }) as unknown as Hub;
    const cluster = new Cluster({ redisUrl: redis.url, actorOf: actor, positions: async () => new Map(), checkMs: 60_000 });
    try {
      for (let i = 0; i < USERS; i++) cluster.watch(`user-${i}`);
      await eventually(() => subscribed() === USERS, 20_000);
      await redis.kill();
      caughtUp.clear();
      await redis.restart();
      await eventually(() => subscribed() === USERS, 20_000);
      await eventually(() => caughtUp.size === USERS, 20_000);
    } finally {
      await cluster.close();
    }
  });
});
