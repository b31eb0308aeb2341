// What a signed publisher request may do, on every host: it reaches only the
// target it names, and its webhook-id answers for that one request. Run with
// PUBLISH_REQUIRE_TARGET at its default (true) and, on hosts started for it,
// false, the setting a deployment uses while it moves its publishers over.

import { describe, expect, it } from 'vitest';
import { signWebhook } from '../../src/shared/webhook-signature.ts';
import { createPublisher } from '../../src/publisher/index.ts';
import { tokenFor, uniqueUser } from '../helpers/requests.ts';
import { TEST_VARS } from '../helpers/test-vars.ts';
import { createHubClient } from './clients.ts';

export interface PublisherContractOptions {
  /** The host's PUBLISH_REQUIRE_TARGET. */
  requireTarget: boolean;
}

const errorCode = async (response: Response) => ((await response.json()) as { error?: { code?: string } }).error?.code;

export function describePublisherContract(host: string, baseUrl: () => string, options: PublisherContractOptions) {
  describe(`publisher requests on ${host} (PUBLISH_REQUIRE_TARGET=${options.requireTarget})`, () => {
    const hub = () => createHubClient(baseUrl());

    /** A raw signed request: exactly these bytes, signed over `content`. */
    async function raw(method: string, path: string, body: string | undefined, content = body ?? '', webhookId = `msg_${crypto.randomUUID()}`) {
      const headers: Record<string, string> = await signWebhook(TEST_VARS.WEBHOOK_SECRET, webhookId, content);
      if (body !== undefined) headers['Content-Type'] = 'application/json';
      return { headers, send: (to = path) => fetch(`${baseUrl()}${to}`, { method, headers, body }) };
    }

    const logOf = async (user: string) => {
      const response = await fetch(`${baseUrl()}/v1/poll?after=0`, { headers: { Authorization: `Bearer ${await tokenFor(user)}` } });
      return ((await response.json()) as { events: Array<{ type: string }> }).events.map((event) => event.type);
    };

    it('refuses a signed publish replayed to another user, and stores nothing for either', async () => {
      const [john, jane] = [uniqueUser('john'), uniqueUser('jane')];
      const body = JSON.stringify({ userId: john, type: 'for.john', data: 1 });
      const captured = await raw('POST', `/v1/users/${john}/events`, body);
      const replay = await captured.send(`/v1/users/${jane}/events`);
      expect(replay.status).toBe(400);
      expect(await errorCode(replay)).toBe('target_mismatch');
      expect((await captured.send()).status).toBe(202);
      expect(await logOf(jane)).toEqual([]);
      expect(await logOf(john)).toEqual(['for.john']);
    });

    it('refuses a job update whose body names another job', async () => {
      const user = uniqueUser();
      const response = await hub().signed('PUT', `/v1/users/${user}/jobs/job-a`, { jobId: 'job-b', status: 'running' });
      expect(response.status).toBe(400);
      expect(await errorCode(response)).toBe('target_mismatch');
      expect(await logOf(user)).toEqual([]);
    });

    it('binds a signed GET to its path and query: replayed for another user or query, it is refused', async () => {
      const [john, jane] = [uniqueUser('john'), uniqueUser('jane')];
      const path = `/v1/users/${john}/presence`;
      const captured = await raw('GET', path, undefined, `GET ${path}`);
      expect((await captured.send()).status).toBe(200);
      expect((await captured.send(`/v1/users/${jane}/presence`)).status).toBe(401);
      expect((await captured.send(`${path}?x=1`)).status).toBe(401);
      expect((await captured.send(`/v1/users/${john}/stats`)).status).toBe(401);
    });

    it(`${options.requireTarget ? 'refuses' : 'accepts'} the unbound forms: a body without userId, a GET signed over an empty body`, async () => {
      const user = uniqueUser();
      const unbound = await raw('POST', `/v1/users/${user}/events`, JSON.stringify({ type: 'unbound', data: 1 }));
      const answer = await unbound.send();
      expect(answer.status).toBe(options.requireTarget ? 400 : 202);
      if (options.requireTarget) expect(await errorCode(answer)).toBe('target_mismatch');
      const emptyGet = await raw('GET', `/v1/users/${user}/presence`, undefined, '');
      expect((await emptyGet.send()).status).toBe(options.requireTarget ? 401 : 200);
      expect(await logOf(user)).toEqual(options.requireTarget ? [] : ['unbound']);
    });

    it('answers a retry with the first answer, and a webhook-id reused for another request with 409', async () => {
      const user = uniqueUser();
      const webhookId = `msg_${crypto.randomUUID()}`;
      const first = await raw('POST', `/v1/users/${user}/events`, JSON.stringify({ userId: user, type: 'first' }), undefined, webhookId);
      expect(await (await first.send()).json()).toEqual({ id: '1', delivered: 0 });
      expect(await (await first.send()).json()).toEqual({ id: '1', delivered: 0, duplicate: true });
      const other = await raw('POST', `/v1/users/${user}/events`, JSON.stringify({ userId: user, type: 'other' }), undefined, webhookId);
      const reused = await other.send();
      expect(reused.status).toBe(409);
      expect(await errorCode(reused)).toBe('idempotency_key_reused');
      const job = await hub().signed('PUT', `/v1/users/${user}/jobs/j1`, { status: 'running' }, { webhookId });
      expect(job.status).toBe(409);
      expect(await logOf(user)).toEqual(['first']);
    });

    it('delivers a batch to users whose ids the publisher percent-encodes, and a retry split differently is a duplicate', async () => {
      const odd = `${uniqueUser('a@b')}|c+d=e:f`;
      const plain = uniqueUser();
      const publisher = createPublisher({ url: baseUrl(), secret: TEST_VARS.WEBHOOK_SECRET, retries: 0 });
      expect(await publisher.publish(odd, 'direct', 1)).toMatchObject({ id: '1' });
      const key = `msg_${crypto.randomUUID()}`;
      const results = await publisher.publishMany([odd, plain], 'batch.one', { n: 1 }, { idempotencyKey: key });
      expect(results).toEqual([
        { userId: odd, id: '2', delivered: 0 },
        { userId: plain, id: '1', delivered: 0 },
      ]);
      // The same key and share, one user at a time: each a duplicate, never a 409.
      expect(await publisher.publishMany([plain], 'batch.one', { n: 1 }, { idempotencyKey: key })).toEqual([
        { userId: plain, id: '1', delivered: 0, duplicate: true },
      ]);
      expect(await publisher.presence(odd)).toMatchObject({ online: false });
      expect(await logOf(odd)).toEqual(['direct', 'batch.one']);
    });

    it.runIf(options.requireTarget)('splits a batch of long user ids by size, within the body limit, and reaches each user once', { timeout: 60_000 }, async () => {
      // 650 ids of ~110 bytes: about 72 KB in one body, over MAX_EVENT_BYTES (64 KiB).
      const prefix = uniqueUser('long');
      const users = Array.from({ length: 650 }, (_, i) => `${prefix}-${String(i).padStart(3, '0')}-${'x'.repeat(80)}`);
      const publisher = createPublisher({ url: baseUrl(), secret: TEST_VARS.WEBHOOK_SECRET, retries: 2 });
      const results = await publisher.publishMany(users, 'batch.long', { n: 1 });
      expect(results.map((result) => result.userId)).toEqual(users);
      expect(results.filter((result) => !('id' in result))).toEqual([]);
      expect(await logOf(users[649]!)).toEqual(['batch.long']);
    });
  });
}
