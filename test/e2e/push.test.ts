// Web Push on the hosts, against a local push service built from independent
// parts (test/helpers/push-service.ts: VAPID checked with jose, payloads
// decrypted with http_ece): who gets a push and when, how each answer of the
// push service is handled, and that nothing reaches another user.

import { createHash } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { connect } from '../../src/client/index.ts';
import { createPublisher } from '../../src/publisher/index.ts';
import { eventually } from '../conformance/clients.ts';
import { startPushService, vapidKeys, type BrowserSubscription } from '../helpers/push-service.ts';
import { tokenFor, uniqueUser } from '../helpers/requests.ts';
import { TEST_VARS } from '../helpers/test-vars.ts';
import { useEveryHost, type HostName } from '../hosts/every-host.ts';

const SUBJECT = 'mailto:ops@example.com';
const keys = await vapidKeys();
const service = await startPushService(keys.publicKey, SUBJECT);
/** Off the allowlist: where a push service's redirect points, and what a sender that followed it would reach. */
let trapped = 0;
const trap = createServer((_, response) => void (trapped++, response.writeHead(201).end()));
await new Promise<void>((resolve) => trap.listen(0, '127.0.0.1', resolve));
const trapUrl = `http://127.0.0.1:${(trap.address() as AddressInfo).port}/internal/push/abc`;
afterAll(() => Promise.all([service.close(), new Promise((resolve) => trap.close(resolve))]));
const VARS = {
  ...TEST_VARS,
  VAPID_PUBLIC_KEY: keys.publicKey,
  VAPID_PRIVATE_KEY: keys.privateKey,
  VAPID_SUBJECT: SUBJECT,
  // An entry without a port allows 443 only; the local push service listens on another.
  PUSH_ENDPOINT_HOSTS: new URL(service.origin).host,
  // The hosts trust the push service's self-signed certificate (Node and Bun read the first, Deno the second).
  NODE_EXTRA_CA_CERTS: service.caFile,
  DENO_CERT: service.caFile,
};
const HOSTS: HostName[] = ['wrangler dev', 'node', 'bun', 'deno'];
// workerd reads its trusted certificates from SSL_CERT_FILE.
const hosts = useEveryHost(VARS, HOSTS, { SSL_CERT_FILE: service.caFile });
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe.concurrent.each(HOSTS)('Web Push on %s', (host) => {
  const base = () => hosts.url(host);
  const publisher = () => createPublisher({ url: base(), secret: TEST_VARS.WEBHOOK_SECRET });
  const post = async (user: string, path: string, body: unknown, method = 'POST') =>
    fetch(`${base()}${path}`, {
      method,
      headers: { Authorization: `Bearer ${await tokenFor(user)}`, 'Content-Type': 'application/json' },
      body: JSON.stringify(body),
    });
  const subscribed = async (user: string): Promise<BrowserSubscription> => {
    const browser = service.subscribe();
    const response = await post(user, '/v1/push/subscriptions', browser.json);
    expect(response.status, await response.clone().text()).toBe(201);
    return browser;
  };

  it('gives the public key, and pushes once to a user who is not connected, decrypted by the browser', async () => {
    expect(await (await fetch(`${base()}/v1/push/key`)).json()).toEqual({ publicKey: keys.publicKey });
    const user = uniqueUser('push');
    const browser = await subscribed(user);
    const { id } = await publisher().notify(user, { type: 'comment', title: 'New comment', body: 'Nice!', url: '/posts/1' });
    await eventually(() => service.pushes(browser).length === 1, 10_000);
    expect(service.pushes(browser)[0]!.payload).toEqual({ id, type: 'comment', title: 'New comment', body: 'Nice!', url: '/posts/1' });
    await eventually(async () => (await publisher().getNotification(user, id)).pushedAt !== null, 5_000);
    await sleep(1000);
    expect(service.pushes(browser)).toHaveLength(1);
    expect(service.refused).toEqual([]);
    if (host !== 'wrangler dev') {
      // Standalone hosts count every attempt by outcome.
      const metrics = await (await fetch(`${base()}/metrics`)).text();
      expect(Number(/^userhub_pushes_total\{outcome="sent"\} (\d+)$/m.exec(metrics)?.[1])).toBeGreaterThanOrEqual(1);
    }
  });

  it('pushes nothing to a connected user, nothing with push: false, and never to another user', async () => {
    const [user, other] = [uniqueUser('push-on'), uniqueUser('push-other')];
    const browser = await subscribed(user);
    const others = await subscribed(other);
    const hub = connect({ url: base(), getToken: () => tokenFor(user), transports: ['websocket'] });
    try {
      await eventually(() => hub.status.state === 'open', 10_000);
      await publisher().notify(user, { type: 'n', title: 'while connected' });
      hub.close();
      await publisher().notify(user, { type: 'n', title: 'never', push: false });
      await sleep(1500);
      expect(service.pushes(browser)).toEqual([]);
      expect(service.pushes(others)).toEqual([]);
    } finally {
      hub.close();
    }
  });

  it('with after: pushes only what no client acknowledged by then', async () => {
    const user = uniqueUser('push-after');
    const browser = await subscribed(user);
    const hub = connect({ url: base(), getToken: () => tokenFor(user), transports: ['sse'] }); // acknowledges by POST /v1/acks
    await eventually(() => hub.status.state === 'open', 10_000);
    const acknowledged = await publisher().notify(user, { type: 'n', title: 'seen live', push: { after: 2 } });
    await eventually(async () => (await publisher().getNotification(user, acknowledged.id)).receivedAt !== null, 5_000);
    hub.close();
    const missed = await publisher().notify(user, { type: 'n', title: 'missed', push: { after: 2, ttl: 600, urgency: 'high' } });
    await sleep(1000);
    expect(service.pushes(browser)).toEqual([]); // not before `after`
    await eventually(() => service.pushes(browser).length === 1, 10_000);
    const [push] = service.pushes(browser);
    expect(push!.payload).toMatchObject({ id: missed.id, title: 'missed' });
    expect(push!.headers).toMatchObject({ ttl: '600', urgency: 'high' });
  });

  it('removes a subscription the push service says is gone (410), and retries a 429 until it is accepted once', async () => {
    const user = uniqueUser('push-answers');
    const gone = await subscribed(user);
    const busy = await subscribed(user);
    service.script(gone, [410]);
    service.script(busy, [429]);
    const { id } = await publisher().notify(user, { type: 'n', title: 'first' });
    await eventually(() => service.pushes(busy).filter((p) => p.status === 201).length === 1, 15_000);
    expect(service.pushes(busy).map((p) => p.status)).toEqual([429, 201]);
    expect(service.pushes(gone).map((p) => p.status)).toEqual([410]);
    // The push service counts a push before its answer reaches the host, which then commits pushedAt.
    await eventually(async () => (await publisher().getNotification(user, id)).pushedAt !== null, 5_000);
    await publisher().notify(user, { type: 'n', title: 'second' });
    await eventually(() => service.pushes(busy).length === 3, 10_000);
    expect(service.pushes(gone)).toHaveLength(1); // its subscription is gone
  });

  it('never follows a push service redirect: a 307 is a refusal, nothing reaches where it points', async () => {
    const user = uniqueUser('push-307');
    const browser = await subscribed(user);
    service.script(browser, [307], trapUrl);
    const { id } = await publisher().notify(user, { type: 'n', title: 'redirected' });
    await eventually(() => service.pushes(browser).length === 1, 10_000);
    await sleep(1500);
    expect(service.pushes(browser).map((p) => p.status)).toEqual([307]);
    expect(trapped).toBe(0);
    expect((await publisher().getNotification(user, id)).pushedAt).toBeNull();
  });

  it('sends the short form once when the push service finds the payload too large (413)', async () => {
    const user = uniqueUser('push-413');
    const browser = await subscribed(user);
    service.script(browser, [413]);
    const { id } = await publisher().notify(user, { type: 'n', title: 'T'.repeat(150), body: 'b'.repeat(1500), url: '/x' });
    await eventually(() => service.pushes(browser).length === 2, 10_000);
    const [full, short] = service.pushes(browser);
    expect(full!.payload).toMatchObject({ id, body: 'b'.repeat(1500) });
    expect(short!.payload).toEqual({ id, title: 'T'.repeat(100), url: '/x' });
  });

  it('sends the collapse key as an RFC 8030 Topic: 32 URL-safe base64 characters', async () => {
    const user = uniqueUser('push-topic');
    const browser = await subscribed(user);
    await publisher().notify(user, { type: 'build', title: 'Build failed', collapseKey: 'build-main' });
    await eventually(() => service.pushes(browser).length === 1, 10_000);
    const expected = createHash('sha256').update('build-main').digest('base64url').slice(0, 32);
    expect(service.pushes(browser)[0]!.headers.topic).toBe(expected);
    expect(expected).toMatch(/^[A-Za-z0-9_-]{32}$/);
  });

  it('validates subscriptions, and forgets them on unsubscribe, revoke and erase', async () => {
    const user = uniqueUser('push-subs');
    const browser = service.subscribe();
    const bad = [
      { ...browser.json, endpoint: browser.json.endpoint.replace('https:', 'http:') },
      { ...browser.json, endpoint: 'https://internal.example/push/x' },
      // A user and password in the URL, or an allowed host on a port its entry does not name.
      { ...browser.json, endpoint: browser.json.endpoint.replace('https://', 'https://user:pass@') },
      { ...browser.json, endpoint: browser.json.endpoint.replace(/:\d+\//, ':1/') },
      { ...browser.json, endpoint: browser.json.endpoint.replace(/:\d+\//, '/') },
      { ...browser.json, keys: { ...browser.json.keys, p256dh: browser.json.keys.p256dh.slice(2) } },
      { ...browser.json, keys: { ...browser.json.keys, auth: 'AAAA' } },
      { ...browser.json, extra: 1 },
    ];
    for (const body of bad) expect((await post(user, '/v1/push/subscriptions', body)).status, JSON.stringify(body).slice(0, 80)).toBe(400);
    expect((await post(user, '/v1/push/subscriptions', browser.json)).status).toBe(201);
    expect(await (await post(user, '/v1/push/subscriptions', { endpoint: browser.json.endpoint }, 'DELETE')).json()).toEqual({ removed: true });
    await publisher().notify(user, { type: 'n' });
    await sleep(800);
    expect(service.pushes(browser)).toEqual([]);

    const again = await subscribed(user);
    await publisher().endSessions(user, { revoke: true });
    await sleep(1100); // tokens carry their issue time in seconds: the next one must be from a later second
    const fresh = await subscribed(user);
    expect(await (await post(user, '/v1/push/subscriptions', { endpoint: again.json.endpoint }, 'DELETE')).json()).toEqual({ removed: false });
    await publisher().erase(user);
    await publisher().notify(user, { type: 'n' });
    await sleep(800);
    expect(service.pushes(again)).toEqual([]);
    expect(service.pushes(fresh)).toEqual([]);
  });
});

describe('Web Push without VAPID keys', () => {
  it('is off, and says so: 501 push_disabled', async () => {
    const base = inject('hostUrls').node!;
    const response = await fetch(`${base}/v1/push/key`);
    expect(response.status).toBe(501);
    expect(await response.json()).toMatchObject({ error: { code: 'push_disabled' } });
  });
});
