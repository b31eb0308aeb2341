// Outbound requests of the service itself: a push endpoint is checked against
// the allowlist by host, port and userinfo, and neither sender follows a
// redirect (a real server answers 307 to a second one that counts visits).

import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setLogSink } from '../../src/core/observability/log.ts';
import { postOnce } from '../../src/core/outbound.ts';
import { createReceiptSender } from '../../src/core/receipt-sender.ts';
import { createPushSender } from '../../src/core/push-sender.ts';
import { readPush } from '../../src/core/config.ts';
import { isAllowedPushEndpoint } from '../../src/core/routes/push.ts';

describe('push endpoints', () => {
  const hosts = ['push.example.com', '127.0.0.1:8443'];
  it.each([
    ['https://push.example.com/send/1', true],
    ['https://eu.push.example.com/send/1', true],
    ['https://push.example.com:443/send/1', true],
    ['https://push.example.com:8443/send/1', false],
    ['https://user:pass@push.example.com/send/1', false],
    ['https://user@push.example.com/send/1', false],
    ['https://evilpush.example.com/send/1', false],
    ['http://push.example.com/send/1', false],
    ['https://127.0.0.1:8443/push/1', true],
    ['https://127.0.0.1/push/1', false],
    ['https://127.0.0.1:9000/push/1', false],
  ])('%s is allowed: %s', (endpoint, allowed) => {
    expect(isAllowedPushEndpoint(hosts, endpoint)).toBe(allowed);
  });
});

describe('outbound senders never follow a redirect', () => {
  let visits = 0;
  let redirecting: Server;
  let trap: Server;
  let base = '';
  const listen = (server: Server) => new Promise<string>((resolve) => server.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`)));
  beforeAll(async () => {
    trap = createServer((_, response) => void (visits++, response.writeHead(204).end()));
    const trapUrl = await listen(trap);
    redirecting = createServer((request, response) => {
      const status = Number(request.url!.slice(1));
      response.writeHead(status, { Location: `${trapUrl}/internal` }).end();
    });
    base = await listen(redirecting);
  });
  afterAll(() => Promise.all([redirecting, trap].map((server) => new Promise((resolve) => server.close(resolve)))));

  it.each([301, 302, 303, 307, 308])('answers %i as it came, logs the refusal, and never reaches the Location', async (status) => {
    const lines: string[] = [];
    setLogSink((line) => lines.push(line));
    try {
      expect(await postOnce(fetch, 'push', `${base}/${status}`, { headers: {}, body: 'x' })).toBe(status);
    } finally {
      setLogSink(null);
    }
    expect(visits).toBe(0);
    expect(lines.map((line) => JSON.parse(line))).toMatchObject([{ level: 'warn', event: 'outbound_redirect_refused', kind: 'push', status }]);
  });

  it('a receipt answered with a redirect is a failed attempt (retried later), not a delivery', async () => {
    const send = createReceiptSender({ url: `${base}/307`, secret: 'whsec_cmVjZWlwdHMtdGVzdC1zZWNyZXQtMDEyMzQ1Njc4OQ==', retrySeconds: 60 });
    setLogSink(() => undefined);
    try {
      expect(await send('rcpt_read_1_amy', '{}')).toBe(false);
    } finally {
      setLogSink(null);
    }
    expect(visits).toBe(0);
  });
});

describe('the push sender at send time', () => {
  it('drops a stored subscription the allowlist no longer admits, without sending to it', async () => {
    let sent = 0;
    const send = createPushSender(
      { publicKey: 'x', privateKey: 'y', subject: 'mailto:ops@example.com', endpointHosts: ['push.example.com'] },
      async () => {
        sent++;
        return new Response(null, { status: 201 });
      },
    );
    setLogSink(() => undefined);
    try {
      for (const endpoint of ['https://push.example.com:6379/send/1', 'https://user:pw@push.example.com/send/1', 'https://elsewhere.example/send/1']) {
        expect(await send({ endpoint, p256dh: 'x', auth: 'y' }, '{}', { ttl: 60 })).toBe(410);
      }
    } finally {
      setLogSink(null);
    }
    expect(sent).toBe(0);
  });

  it('refuses a PUSH_ENDPOINT_HOSTS entry that is not a host name', () => {
    const good = { VAPID_PUBLIC_KEY: `B${'A'.repeat(86)}`, VAPID_PRIVATE_KEY: 'A'.repeat(43), VAPID_SUBJECT: 'mailto:ops@example.com' };
    for (const entry of ['https://push.example.com', 'Push.Example.com', ':8443', '::1', 'push.example.com/']) {
      expect(() => readPush({ ...good, PUSH_ENDPOINT_HOSTS: entry }), entry).toThrow(/PUSH_ENDPOINT_HOSTS/);
    }
  });
});
