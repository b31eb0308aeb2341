// publishMany against the real app (its validation and body limit), with a
// backend that records what reached each user's actor.

import { describe, expect, it } from 'vitest';
import type { PublishInput } from '../../src/core/actor/hub.ts';
import { createApp } from '../../src/core/app.ts';
import type { HubBackend } from '../../src/core/backend.ts';
import { createPublisher } from '../../src/publisher/index.ts';
import { TEST_VARS } from '../helpers/test-vars.ts';

function recordingService() {
  const published: string[] = [];
  const bodies: number[] = [];
  const backend = new Proxy({} as HubBackend, {
    get: (_target, name) =>
      name === 'actor'
        ? (userId: string) => ({
            publish: async (_input: PublishInput) => {
              published.push(userId);
              return { id: '1', delivered: 0 };
            },
            presence: async () => ({ online: false, connections: { websocket: 0, sse: 0, poll: 0 }, userId }),
          })
        : () => Promise.reject(new Error(`reached ${String(name)}`)),
  });
  const app = createApp(() => backend);
  const publisher = createPublisher({
    url: 'https://hub.test',
    secret: TEST_VARS.WEBHOOK_SECRET,
    retries: 0,
    fetch: async (input, init) => {
      bodies.push(new TextEncoder().encode(String(init?.body ?? '')).length);
      return app.request(String(input), init, TEST_VARS);
    },
  });
  return { publisher, published, bodies };
}

describe('publishMany', () => {
  it('keeps every batch within the body limit when user ids are long, and reaches every user once', async () => {
    const { publisher, published, bodies } = recordingService();
    const users = Array.from({ length: 900 }, (_, i) => `user-${String(i).padStart(4, '0')}-${'x'.repeat(100)}`);
    // 900 ids of ~110 bytes: about 100 KiB in one body, over the 64 KiB limit.
    const results = await publisher.publishMany(users, 'maintenance', { at: '22:00' });
    expect(results).toHaveLength(900);
    expect(results.every((result) => 'id' in result)).toBe(true);
    expect(published).toEqual(users);
    expect(bodies.length).toBeGreaterThan(1);
    expect(Math.max(...bodies)).toBeLessThanOrEqual(64 * 1024);
  });

  it('still sends at most 1,000 users a batch', async () => {
    const { publisher, bodies } = recordingService();
    await publisher.publishMany(Array.from({ length: 2001 }, (_, i) => `u${i}`), 't');
    expect(bodies).toHaveLength(3);
  });
});

describe('request', () => {
  it('signs any publisher route: a body bound to the target of its path, a bodyless request over its path', async () => {
    const { publisher, published } = recordingService();
    expect(await publisher.request('post', '/v1/users/john/events', { type: 'raw.call' })).toEqual({ id: '1', delivered: 0 });
    expect(published).toEqual(['john']);
    expect(await publisher.request('GET', '/v1/users/jane/presence')).toMatchObject({ online: false, userId: 'jane' });
    // A body that names another user than its path is refused by the service, not rebound.
    await expect(publisher.request('POST', '/v1/users/jane/events', { userId: 'john', type: 'x' })).rejects.toMatchObject({
      status: 400,
      code: 'target_mismatch',
    });
    expect(published).toEqual(['john']);
  });
});
