// Target binding and idempotency keys inside workerd: what a signed publisher
// request names, what its webhook-id answers for, and the settings around them.

import { createExecutionContext, env, waitOnExecutionContext } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import worker from '../../src/cloudflare/worker.ts';
import { readLimits } from '../../src/core/config.ts';
import { publishRequest, tokenFor, uniqueUser } from '../helpers/requests.ts';
import { BASE, call, putJob, signedCall } from './clients.ts';

const codeOf = async (response: Response) => ((await response.json()) as { error: { code: string } }).error.code;

/** The Worker with one setting changed, as a deployment would run it. */
async function withSetting(name: string, value: string, request: Request): Promise<Response> {
  const ctx = createExecutionContext();
  const response = await worker.fetch(request, { ...env, [name]: value }, ctx);
  await waitOnExecutionContext(ctx);
  return response;
}

async function storedTypes(user: string): Promise<string[]> {
  const response = await call('/v1/poll?after=0', { headers: { Authorization: `Bearer ${await tokenFor(user)}` } });
  return ((await response.json()) as { events: Array<{ type: string }> }).events.map((event) => event.type);
}

describe('target binding', () => {
  it('says which field does not name the target, after the signature, and stores nothing', async () => {
    const user = uniqueUser();
    const mismatch = await call(await publishRequest(BASE, user, 't', 1, { bodyUserId: 'someone-else' }));
    expect(mismatch.status).toBe(400);
    expect(await mismatch.clone().json()).toMatchObject({ error: { code: 'target_mismatch', message: expect.stringContaining('"userId"') } });
    const missing = await call(await publishRequest(BASE, user, 't', 1, { bodyUserId: null }));
    expect(await codeOf(missing)).toBe('target_mismatch');
    const job = await putJob(user, 'j1', { jobId: 'j2', status: 'running' });
    expect(await job.clone().json()).toMatchObject({ error: { code: 'target_mismatch', message: expect.stringContaining('"jobId"') } });
    // A bad signature is refused first: the target check never runs for it.
    const unsigned = await call(`/v1/users/${user}/events`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ userId: 'x', type: 't' }),
    });
    expect(unsigned.status).toBe(401);
    expect(await storedTypes(user)).toEqual([]);
  });

  it('signs a bodyless request as METHOD path?query, exactly as sent', async () => {
    const user = uniqueUser('a@b');
    const encoded = `/v1/users/${encodeURIComponent(user)}/presence`;
    expect((await signedCall('GET', encoded)).status).toBe(200);
    expect((await signedCall('GET', `/v1/users/${user}/stats`)).status).toBe(200);
    expect((await signedCall('GET', encoded, undefined, { unbound: true })).status).toBe(401);
  });

  it('accepts the unbound forms with PUBLISH_REQUIRE_TARGET=false, and still refuses a body naming another user', async () => {
    const user = uniqueUser();
    const unbound = await withSetting('PUBLISH_REQUIRE_TARGET', 'false', await publishRequest(BASE, user, 'old.form', 1, { bodyUserId: null }));
    expect(unbound.status).toBe(202);
    const other = await withSetting('PUBLISH_REQUIRE_TARGET', 'false', await publishRequest(BASE, user, 't', 1, { bodyUserId: 'jane' }));
    expect(await codeOf(other)).toBe('target_mismatch');
    const bad = await withSetting('PUBLISH_REQUIRE_TARGET', 'maybe', await publishRequest(BASE, user, 't', 1));
    expect(bad.status).toBe(500);
    expect(await codeOf(bad)).toBe('server_misconfigured');
    expect(await storedTypes(user)).toEqual(['old.form']);
  });
});

describe('idempotency keys', () => {
  it('refuses a webhook-id reused across kinds of request, and answers a true retry', async () => {
    const user = uniqueUser();
    const webhookId = `msg_${crypto.randomUUID()}`;
    expect((await call(await publishRequest(BASE, user, 'first', 1, { webhookId }))).status).toBe(202);
    const retry = await call(await publishRequest(BASE, user, 'first', 1, { webhookId }));
    expect(await retry.json()).toMatchObject({ id: '1', duplicate: true });
    expect(await codeOf(await call(await publishRequest(BASE, user, 'first', 2, { webhookId })))).toBe('idempotency_key_reused');
    const job = await putJob(user, 'j1', { status: 'running' }, { webhookId });
    expect(job.status).toBe(409);
    expect(await codeOf(job)).toBe('idempotency_key_reused');
    const jobId = `msg_${crypto.randomUUID()}`;
    expect((await putJob(user, 'j1', { status: 'running' }, { webhookId: jobId })).status).toBe(201);
    expect(await codeOf(await putJob(user, 'j2', { status: 'running' }, { webhookId: jobId }))).toBe('idempotency_key_reused');
    expect(await storedTypes(user)).toEqual(['first', 'job.running']);
  });

  it('refuses a DEDUPE_TTL_SECONDS shorter than the signature window allows', () => {
    expect(() => readLimits({ DEDUPE_TTL_SECONDS: '60' })).toThrow(/DEDUPE_TTL_SECONDS must be an integer in 600\.\./);
    expect(readLimits({ DEDUPE_TTL_SECONDS: '600' }).dedupeTtlSeconds).toBe(600);
  });
});
