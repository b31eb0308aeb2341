// The per-user publish rate limit inside workerd: PUBLISH_RATE_PER_USER=5 and
// PUBLISH_BURST_PER_USER=40 for this project (vitest.config.ts).

import { describe, expect, it } from 'vitest';
import { uniqueUser } from '../helpers/requests.ts';
import { clientGet, publish, putJob, signedCall } from './clients.ts';

const BURST = 40;

describe('publish rate limit', () => {
  it('refuses a user’s publishes beyond the burst with 429 and Retry-After, storing nothing', async () => {
    const user = uniqueUser();
    const statuses: number[] = [];
    let refused: { retryAfter: string | null; body: unknown } | undefined;
    for (let i = 0; i < 60; i++) {
      const response = await publish(user, 'n', { i }, { webhookId: `msg_rl_${i}` });
      statuses.push(response.status);
      const body = await response.json();
      if (response.status === 429) refused ??= { retryAfter: response.headers.get('Retry-After'), body };
    }
    const accepted = statuses.filter((s) => s === 202).length;
    // The burst, plus whatever the bucket refilled (5/s) while the loop ran.
    expect(accepted).toBeGreaterThanOrEqual(BURST);
    expect(accepted).toBeLessThan(60);
    expect(statuses.slice(0, BURST).every((s) => s === 202)).toBe(true);
    expect(refused!.retryAfter).toBe('1');
    expect(refused!.body).toEqual({
      error: { code: 'rate_limited', message: expect.stringContaining('5 events a second') },
    });

    // Only accepted events are stored, with consecutive ids.
    const poll = (await (await clientGet(user, '/v1/poll?after=0')).json()) as { events: { id: string }[] };
    expect(poll.events.map((e) => e.id)).toEqual(Array.from({ length: accepted }, (_, i) => String(i + 1)));

    // A retry of an accepted publish is still answered from the dedupe table.
    const retry = await publish(user, 'n', { i: 0 }, { webhookId: 'msg_rl_0' });
    expect(retry.status).toBe(202);
    expect(await retry.json()).toMatchObject({ id: '1', duplicate: true });
  });

  it('counts job changes that emit an event, not refused or empty ones', async () => {
    const user = uniqueUser();
    expect((await putJob(user, 'done', { status: 'succeeded' })).status).toBe(201);
    // Refused (409) and unchanged updates, well past the burst: none spends the budget.
    for (let i = 0; i < 30; i++) await (await putJob(user, 'done', { status: 'running' })).arrayBuffer();
    for (let i = 0; i < 30; i++) await (await putJob(user, 'done', { status: 'succeeded' })).arrayBuffer();
    for (let i = 0; i < BURST - 1; i++) expect((await publish(user, 'n', i)).status).toBe(202);
  });

  it('reports a limited user in its place in a batch, and other users still get the event', async () => {
    const [busy, calm] = [uniqueUser(), uniqueUser()];
    // Spend the bucket until refused, then send the batch at once; a slow
    // machine may refill a token in between, so try a few times.
    let results: Array<Record<string, unknown>> = [];
    for (let attempt = 0; attempt < 5; attempt++) {
      for (let i = 0; i < 200; i++) {
        const refused = await publish(busy, 'n', i);
        await refused.arrayBuffer();
        if (refused.status === 429) break;
      }
      const response = await signedCall('POST', '/v1/events:batch', { userIds: [busy, calm], type: 'news', data: attempt });
      expect(response.status).toBe(202);
      results = ((await response.json()) as { results: Array<Record<string, unknown>> }).results;
      if (results[0]!.error) break;
    }
    expect(results[0]).toMatchObject({ userId: busy, error: { code: 'rate_limited' } });
    expect(results[1]).toMatchObject({ userId: calm });
    expect(results[1]!.id).toBeDefined();
  });
});
