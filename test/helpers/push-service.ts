// A browser push service for tests, built from independent parts: an HTTPS
// server (a self-signed certificate made with openssl for 127.0.0.1) that
// checks each push's VAPID token with `jose` against the service's public key
// (RFC 8292) and decrypts its body with `http_ece`, the reference RFC 8188
// implementation, using the private key of a subscription the test made as a
// browser would (RFC 8291) — never the sender library's own code.

import { execFileSync } from 'node:child_process';
import { createECDH, randomBytes, type ECDH } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { importJWK, jwtVerify } from 'jose';
// @ts-expect-error http_ece ships no types
import ece from 'http_ece';

export interface Push {
  subscription: string;
  /** The decrypted payload, parsed. */
  payload: Record<string, unknown>;
  headers: Record<string, string | undefined>;
  status: number;
}

export interface BrowserSubscription {
  id: string;
  /** What PushSubscription.toJSON() gives a page. */
  json: { endpoint: string; expirationTime: null; keys: { p256dh: string; auth: string } };
}

export interface PushService {
  origin: string;
  /** The CA file a host must trust (NODE_EXTRA_CA_CERTS). */
  caFile: string;
  /** A new browser's subscription, with its own key pair and auth secret. */
  subscribe(): BrowserSubscription;
  /** Statuses to answer, in order, for this subscription's next pushes (then 201); a 3xx points Location at `redirectTo`. */
  script(subscription: BrowserSubscription, statuses: number[], redirectTo?: string): void;
  /** Every push received for one subscription, answered or not, in order. */
  pushes(subscription: BrowserSubscription): Push[];
  /** Requests refused for a bad VAPID token or a body that did not decrypt. */
  readonly refused: string[];
  close(): Promise<void>;
}

const b64url = (bytes: Buffer) => bytes.toString('base64url');

export async function startPushService(vapidPublicKey: string, vapidSubject: string): Promise<PushService> {
  const dir = mkdtempSync(join(tmpdir(), 'userhub-push-'));
  execFileSync('openssl', [
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1',
    '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1',
    // An end-entity certificate (rustls, under Deno, refuses a CA certificate as a server's).
    '-addext', 'basicConstraints=critical,CA:FALSE', '-addext', 'extendedKeyUsage=serverAuth',
    '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'),
  ], { stdio: 'ignore' });
  const point = Buffer.from(vapidPublicKey, 'base64url');
  const vapidKey = await importJWK({ kty: 'EC', crv: 'P-256', x: b64url(point.subarray(1, 33)), y: b64url(point.subarray(33)) }, 'ES256');
  const browsers = new Map<string, { ecdh: ECDH; auth: Buffer; statuses: number[]; redirectTo?: string; pushes: Push[] }>();
  const refused: string[] = [];
  let origin = '';

  const read = (request: IncomingMessage) =>
    new Promise<Buffer>((resolve) => {
      const chunks: Buffer[] = [];
      request.on('data', (c: Buffer) => chunks.push(c)).on('end', () => resolve(Buffer.concat(chunks)));
    });

  const server = createServer({ key: readFileSync(join(dir, 'key.pem')), cert: readFileSync(join(dir, 'cert.pem')) }, async (request, response) => {
    const body = await read(request);
    const id = /^\/push\/([\w-]+)$/.exec(request.url ?? '')?.[1];
    const browser = id ? browsers.get(id) : undefined;
    if (!browser) return response.writeHead(404).end();
    // RFC 8292: Authorization: vapid t=<JWT>, k=<the key it is signed with>.
    const auth = /^vapid t=([^,\s]+),\s*k=([A-Za-z0-9_-]+)$/.exec(String(request.headers.authorization ?? ''));
    try {
      if (!auth || auth[2] !== vapidPublicKey) throw new Error(`authorization ${request.headers.authorization}`);
      const { payload } = await jwtVerify(auth[1]!, vapidKey, { algorithms: ['ES256'], audience: origin, subject: vapidSubject });
      if (!payload.exp || payload.exp > Date.now() / 1000 + 24 * 3600) throw new Error('exp more than 24 hours ahead');
      if (request.headers['content-encoding'] !== 'aes128gcm') throw new Error(`content-encoding ${request.headers['content-encoding']}`);
      const plain: Buffer = ece.decrypt(body, { version: 'aes128gcm', privateKey: browser.ecdh, authSecret: b64url(browser.auth) });
      const status = browser.statuses.shift() ?? 201;
      const h = request.headers;
      browser.pushes.push({
        subscription: id!,
        payload: JSON.parse(plain.toString('utf8')) as Record<string, unknown>,
        headers: { ttl: h.ttl as string, urgency: h.urgency as string | undefined, topic: h.topic as string | undefined },
        status,
      });
      response.writeHead(status, status >= 300 && status < 400 && browser.redirectTo ? { Location: browser.redirectTo } : {}).end();
    } catch (err) {
      refused.push(String(err));
      response.writeHead(401).end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  let n = 0;
  return {
    origin,
    caFile: join(dir, 'cert.pem'),
    subscribe() {
      const id = `b${++n}${randomBytes(4).toString('hex')}`;
      const ecdh = createECDH('prime256v1');
      ecdh.generateKeys();
      const auth = randomBytes(16);
      browsers.set(id, { ecdh, auth, statuses: [], pushes: [] });
      return { id, json: { endpoint: `${origin}/push/${id}`, expirationTime: null, keys: { p256dh: b64url(ecdh.getPublicKey()), auth: b64url(auth) } } };
    },
    script(subscription, statuses, redirectTo) {
      const browser = browsers.get(subscription.id)!;
      browser.statuses.push(...statuses);
      browser.redirectTo = redirectTo;
    },
    pushes: (subscription) => browsers.get(subscription.id)?.pushes ?? [],
    refused,
    close: () =>
      new Promise((resolve) =>
        server.close(() => {
          rmSync(dir, { recursive: true, force: true });
          resolve();
        }),
      ),
  };
}

/** A VAPID key pair as `npx userhub vapid` prints it: base64url raw public key and private scalar. */
export async function vapidKeys(): Promise<{ publicKey: string; privateKey: string }> {
  const pair = (await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, ['sign', 'verify'])) as CryptoKeyPair;
  const raw = Buffer.from(await crypto.subtle.exportKey('raw', pair.publicKey));
  const jwk = (await crypto.subtle.exportKey('jwk', pair.privateKey)) as JsonWebKey;
  return { publicKey: b64url(raw), privateKey: jwk.d! };
}
