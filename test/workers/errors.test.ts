import { describe, expect, it } from 'vitest';
import { signWebhook } from '../../src/shared/webhook-signature.ts';
import { publishRequest, tokenFor, uniqueUser } from '../helpers/requests.ts';
import { TEST_VARS } from '../helpers/test-vars.ts';
import { BASE, call, openSocket, publish } from './clients.ts';

async function expectError(response: Response, status: number, code: string) {
  expect(response.status).toBe(status);
  expect(response.headers.get('Content-Type')).toMatch(/application\/json/);
  const body = (await response.json()) as { error: { code: string; message: string } };
  expect(body.error.code).toBe(code);
  expect(body.error.message.length).toBeGreaterThan(0);
}

/** A raw signed POST whose body the test controls exactly. */
async function signedPost(user: string, body: string, contentType = 'application/json') {
  const headers = await signWebhook(TEST_VARS.WEBHOOK_SECRET, `msg_${crypto.randomUUID()}`, body);
  return call(`/v1/users/${user}/events`, {
    method: 'POST',
    headers: { ...headers, 'Content-Type': contentType },
    body,
  });
}

/** Nothing was stored when a fresh socket reports lastId 0. */
async function expectNothingStored(user: string) {
  const socket = await openSocket(user);
  expect(await socket.untilReady()).toEqual([{ type: 'hub.ready', data: { lastId: '0', protocol: 1 } }]);
  socket.ws.close();
}

describe('publisher errors: refused at the edge, nothing stored', () => {
  it('refuses a signature made with another secret', async () => {
    const user = uniqueUser();
    await expectError(await publish(user, 'a', 1, { secret: 'whsec_b3RoZXItc2VjcmV0LW90aGVyLXNlY3JldA==' }), 401, 'unauthorized');
    await expectNothingStored(user);
  });

  it('refuses a stale or future timestamp (5-minute tolerance)', async () => {
    const user = uniqueUser();
    const now = Math.floor(Date.now() / 1000);
    await expectError(await publish(user, 'a', 1, { timestamp: now - 301 }), 401, 'unauthorized');
    await expectError(await publish(user, 'a', 1, { timestamp: now + 301 }), 401, 'unauthorized');
    expect((await publish(user, 'a', 1, { timestamp: now - 250 })).status).toBe(202);
  });

  it('refuses missing, truncated or tampered signatures', async () => {
    const user = uniqueUser();
    const request = await publishRequest(BASE, user, 'a', 1);
    const signature = request.headers.get('webhook-signature')!;
    const variants: Array<Record<string, string | null>> = [
      { 'webhook-signature': null },
      { 'webhook-id': null },
      { 'webhook-timestamp': null },
      { 'webhook-signature': signature.slice(0, -6) },
      { 'webhook-signature': signature.replace('v1,', 'v2,') },
      { 'webhook-id': 'msg_other' },
    ];
    for (const variant of variants) {
      const headers = new Headers(request.headers);
      for (const [name, value] of Object.entries(variant)) {
        if (value === null) headers.delete(name);
        else headers.set(name, value);
      }
      const response = await call(new Request(request.url, { method: 'POST', headers, body: await request.clone().text() }));
      await expectError(response, 401, 'unauthorized');
    }
    await expectNothingStored(user);
  });

  it('accepts any one of several signatures (key rotation)', async () => {
    const user = uniqueUser();
    const request = await publishRequest(BASE, user, 'a', 1);
    const headers = new Headers(request.headers);
    headers.set('webhook-signature', `v1,${btoa('x'.repeat(32))} ${request.headers.get('webhook-signature')}`);
    const response = await call(new Request(request.url, { method: 'POST', headers, body: await request.text() }));
    expect(response.status).toBe(202);
  });

  it('refuses bodies that are not JSON or have the wrong shape with 400', async () => {
    const user = uniqueUser();
    await expectError(await signedPost(user, '{"type":'), 400, 'invalid_json');
    await expectError(await signedPost(user, '[]'), 400, 'invalid_request');
    await expectError(await signedPost(user, `{"userId":"${user}","data":1}`), 400, 'invalid_request');
    await expectError(await signedPost(user, '{"type":"a b"}'), 400, 'invalid_request');
    await expectError(await signedPost(user, '{"type":"x\\r\\nInjected: 1"}'), 400, 'invalid_request');
    await expectError(await signedPost(user, '{"type":"hub.ready"}'), 400, 'invalid_request');
    await expectError(await signedPost(user, '{"type":"a","extra":1}'), 400, 'invalid_request');
    await expectError(await signedPost(user, JSON.stringify({ userId: user, type: 'a', data: JSON.parse('['.repeat(40) + ']'.repeat(40)) })), 400, 'invalid_request');
    await expectNothingStored(user);
  });

  it('refuses a wrong content type with 415', async () => {
    const user = uniqueUser();
    await expectError(await signedPost(user, '{"type":"a"}', 'text/plain'), 415, 'unsupported_media_type');
    await expectNothingStored(user);
  });

  it('refuses bodies over the size limit with 413', async () => {
    const user = uniqueUser();
    const body = JSON.stringify({ type: 'a', data: 'x'.repeat(70 * 1024) });
    await expectError(await signedPost(user, body), 413, 'payload_too_large');
    await expectNothingStored(user);
  });

  it('refuses a user id outside the charset with 400', async () => {
    await expectError(await signedPost('bad%20user', '{"type":"a"}'), 400, 'invalid_request');
    await expectError(await signedPost('x'.repeat(129), '{"type":"a"}'), 400, 'invalid_request');
  });

  it('answers unknown routes with 404 and wrong methods with 405', async () => {
    await expectError(await call('/nope'), 404, 'not_found');
    await expectError(await call('/v1/nope'), 404, 'not_found');
    const wrong = await call('/v1/users/u/events', { method: 'GET' });
    await expectError(wrong, 405, 'method_not_allowed');
    expect(wrong.headers.get('Allow')).toContain('POST');
    await expectError(await call('/v1/tickets', { method: 'GET' }), 405, 'method_not_allowed');
  });

  it('refuses a bad resume point with 400 and a plain GET on /v1/connect with 426', async () => {
    const authorization = `Bearer ${await tokenFor(uniqueUser())}`;
    for (const after of ['abc', '-1', '1.5', '99999999999999999999']) {
      const response = await call(`/v1/connect?after=${after}`, { headers: { Upgrade: 'websocket', Authorization: authorization } });
      await expectError(response, 400, 'invalid_request');
    }
    await expectError(await call('/v1/connect'), 426, 'upgrade_required');
  });
});
