// Client tokens from an identity provider: keys generated here, published as a
// JWKS by a real HTTP server on loopback, tokens signed as a provider would.

import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, exportSPKI, generateKeyPair, SignJWT, type JWK, type JWTPayload } from 'jose';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { createApp } from '../../src/core/app.ts';
import { createClientTokenVerifier, signClientToken, type TokenVerifier } from '../../src/core/auth/client-token.ts';
import { JWKS_CACHE } from '../../src/core/auth/jwks-token.ts';
import type { HubBackend } from '../../src/core/backend.ts';
import { readConfig } from '../../src/core/config.ts';

const SECRETS = {
  JWT_SECRET: 'unit-jwt-secret-0123456789abcdef',
  WEBHOOK_SECRET: 'whsec_dW5pdC13ZWJob29rLXNlY3JldC0wMTIzNDU2Nzg5',
};
const ISSUER = 'https://tenant.idp.example/';
const AUDIENCE = 'https://hub.example.com';

type Alg = 'RS256' | 'ES256' | 'PS256';
interface SigningKey {
  kid: string;
  alg: Alg;
  privateKey: CryptoKey;
  publicKey: CryptoKey;
  jwk: JWK;
}

async function signingKey(kid: string, alg: Alg): Promise<SigningKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  return { kid, alg, privateKey, publicKey, jwk: { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' } };
}

/** What each JWKS path serves, and how often it was asked; an absent path answers 500. */
const published = new Map<string, JWK[]>();
const fetches = new Map<string, number>();
let server: Server;
let base: string;
let pathCounter = 0;

beforeAll(async () => {
  server = createServer((req, res) => {
    fetches.set(req.url!, (fetches.get(req.url!) ?? 0) + 1);
    const keys = published.get(req.url!);
    res.writeHead(keys ? 200 : 500, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify(keys ? { keys } : { error: 'down' }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));
afterEach(() => vi.useRealTimers());

/** A fresh JWKS path (key sets are cached per URL), publishing `keys`. */
function publish(keys: SigningKey[]): { path: string; url: string } {
  const path = `/tenant-${pathCounter++}/.well-known/jwks.json`;
  published.set(path, keys.map((k) => k.jwk));
  return { path, url: base + path };
}

function verifierFor(url: string, vars: Record<string, string> = {}) {
  return userIds(createClientTokenVerifier(readConfig({ ...SECRETS, JWT_JWKS_URL: url, JWT_ISSUER: ISSUER, JWT_AUDIENCE: AUDIENCE, ...vars })));
}

/** A verifier that answers the credential's user id, which is what most cases compare. */
function userIds(verifier: TokenVerifier) {
  return { verify: async (token: string) => (await verifier.verify(token))?.userId ?? null, credential: verifier.verify };
}

const now = () => Math.floor(Date.now() / 1000);

function token(key: SigningKey, claims: JWTPayload = {}, header: { alg?: string; kid?: string } = {}) {
  return new SignJWT({ iss: ISSUER, aud: AUDIENCE, sub: 'auth0|john', iat: now(), exp: now() + 600, ...claims })
    .setProtectedHeader({ alg: header.alg ?? key.alg, kid: header.kid ?? key.kid, typ: 'JWT' })
    .sign(key.privateKey);
}

const b64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

let rsa: SigningKey;
let ec: SigningKey;
beforeAll(async () => {
  [rsa, ec] = await Promise.all([signingKey('rsa-1', 'RS256'), signingKey('ec-1', 'ES256')]);
});

describe('client tokens from a JWKS', () => {
  it('accepts valid RS256 and ES256 tokens and reads the user from sub', async () => {
    const { url } = publish([rsa, ec]);
    const verifier = verifierFor(url);
    expect(await verifier.verify(await token(rsa))).toBe('auth0|john');
    expect(await verifier.verify(await token(ec, { sub: 'jane' }))).toBe('jane');
    // The session a connection opened with it lives for: the token's exp and iat.
    const exp = now() + 300;
    expect(await verifier.credential(await token(rsa, { iat: 1000, exp }))).toEqual({ userId: 'auth0|john', expiresAt: exp, issuedAt: 1000 });
    expect(await verifier.credential(await token(rsa, { iat: undefined, exp }))).toEqual({ userId: 'auth0|john', expiresAt: exp, issuedAt: 0 });
  });

  it('refuses a wrong issuer, a wrong or missing audience, and a token without exp', async () => {
    const { url } = publish([rsa]);
    const verifier = verifierFor(url);
    expect(await verifier.verify(await token(rsa, { iss: 'https://evil.example/' }))).toBeNull();
    expect(await verifier.verify(await token(rsa, { iss: undefined }))).toBeNull();
    expect(await verifier.verify(await token(rsa, { aud: 'https://other-api.example' }))).toBeNull();
    expect(await verifier.verify(await token(rsa, { aud: undefined }))).toBeNull();
    const twoAudiences = await token(rsa, { aud: ['https://other-api.example', AUDIENCE] });
    expect(await verifier.verify(twoAudiences)).toBe('auth0|john');
    expect(await verifier.verify(await token(rsa, { exp: undefined }))).toBeNull();
  });

  it('accepts any configured issuer, and only a configured audience', async () => {
    const { url } = publish([rsa]);
    const verifier = userIds(createClientTokenVerifier(
      readConfig({ ...SECRETS, JWT_JWKS_URL: url, JWT_ISSUER: `https://old.idp.example/ ${ISSUER}`, JWT_AUDIENCE: AUDIENCE }),
    ));
    expect(await verifier.verify(await token(rsa, { iss: 'https://old.idp.example/' }))).toBe('auth0|john');
    // A token the same provider issued to another application.
    expect(await verifier.verify(await token(rsa, { aud: 'another-app' }))).toBeNull();
    expect(await verifier.verify(await token(rsa, { aud: undefined }))).toBeNull();
  });

  it('tolerates the stated clock skew on exp and nbf, and no more', async () => {
    const { url } = publish([rsa]);
    const verifier = verifierFor(url); // default skew: 60 s
    expect(await verifier.verify(await token(rsa, { exp: now() - 30 }))).toBe('auth0|john');
    expect(await verifier.verify(await token(rsa, { exp: now() - 90 }))).toBeNull();
    expect(await verifier.verify(await token(rsa, { nbf: now() + 30 }))).toBe('auth0|john');
    expect(await verifier.verify(await token(rsa, { nbf: now() + 90 }))).toBeNull();

    const strict = verifierFor(url, { JWT_CLOCK_SKEW_SECONDS: '0' });
    expect(await strict.verify(await token(rsa, { exp: now() - 5 }))).toBeNull();
    expect(await strict.verify(await token(rsa, { nbf: now() + 5 }))).toBeNull();
  });

  it('refuses an algorithm outside JWT_ALGORITHMS, even from a published key', async () => {
    const ps = await signingKey('ps-1', 'PS256');
    const { url } = publish([rsa, ec, ps]);
    expect(await verifierFor(url).verify(await token(ps))).toBeNull(); // default RS256,ES256
    const rsOnly = verifierFor(url, { JWT_ALGORITHMS: 'RS256' });
    expect(await rsOnly.verify(await token(ec))).toBeNull();
    expect(await rsOnly.verify(await token(rsa))).toBe('auth0|john');
    expect(await verifierFor(url, { JWT_ALGORITHMS: 'PS256' }).verify(await token(ps))).toBe('auth0|john');
  });

  it('refuses alg none and an HS256 token keyed with the public key (algorithm confusion)', async () => {
    const { url } = publish([rsa]);
    const verifier = verifierFor(url);
    const claims = { iss: ISSUER, aud: AUDIENCE, sub: 'john', exp: now() + 600 };
    expect(await verifier.verify(`${b64url({ alg: 'none', typ: 'JWT' })}.${b64url(claims)}.`)).toBeNull();
    expect(await verifier.verify(`${b64url({ alg: 'none', kid: rsa.kid })}.${b64url(claims)}.`)).toBeNull();

    for (const secret of [await exportSPKI(rsa.publicKey), JSON.stringify(rsa.jwk), rsa.jwk.n!]) {
      const forged = await new SignJWT(claims)
        .setProtectedHeader({ alg: 'HS256', kid: rsa.kid })
        .sign(new TextEncoder().encode(secret));
      expect(await verifier.verify(forged)).toBeNull();
    }
  });

  it('keeps accepting HS256 tokens signed with JWT_SECRET', async () => {
    const { url } = publish([rsa]);
    expect(await verifierFor(url).verify(await signClientToken(SECRETS.JWT_SECRET, 'john'))).toBe('john');
    expect(await verifierFor(url).verify(await signClientToken('another-secret-entirely', 'john'))).toBeNull();
  });

  it('follows a key rotation: an unknown kid fetches the set again, once the cooldown has passed', async () => {
    const { path, url } = publish([rsa]);
    const verifier = verifierFor(url);
    expect(await verifier.verify(await token(rsa))).toBe('auth0|john');
    expect(fetches.get(path)).toBe(1);

    const next = await signingKey('rsa-2', 'RS256');
    published.set(path, [next.jwk]); // the provider rotates: the new key replaces the old
    const rotated = await token(next);
    // Within the cooldown an unknown kid is refused without asking the provider again.
    expect(await verifier.verify(rotated)).toBeNull();
    expect(fetches.get(path)).toBe(1);

    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(Date.now() + JWKS_CACHE.cooldownDuration + 1000);
    expect(await verifier.verify(rotated)).toBe('auth0|john');
    expect(fetches.get(path)).toBe(2);
    // The retired key is gone from the set, so its tokens are refused now.
    expect(await verifier.verify(await token(rsa))).toBeNull();
  });

  it('refuses (and never throws) while the JWKS server is down or unreachable', async () => {
    const rejections: unknown[] = [];
    const onRejection = (reason: unknown) => rejections.push(reason);
    process.on('unhandledRejection', onRejection);
    try {
      const failing = verifierFor(`${base}/no-such-tenant/jwks.json`); // answers 500
      const closed = await new Promise<string>((resolve) => {
        const probe = createServer().listen(0, '127.0.0.1', () => {
          const { port } = probe.address() as AddressInfo;
          probe.close(() => resolve(`http://127.0.0.1:${port}/jwks.json`));
        });
      });
      const unreachable = verifierFor(closed);
      const results = await Promise.all([
        failing.verify(await token(rsa)),
        failing.verify(await token(ec)),
        unreachable.verify(await token(rsa)),
        unreachable.verify(await token(rsa)),
      ]);
      expect(results).toEqual([null, null, null, null]);
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(rejections).toEqual([]);
    } finally {
      process.off('unhandledRejection', onRejection);
    }
  });

  it('answers 401 unauthorized, not 500, when the JWKS server is down', async () => {
    const app = createApp(() => new Proxy({} as HubBackend, { get: () => () => Promise.reject(new Error('reached')) }));
    const env = { ...SECRETS, JWT_JWKS_URL: `${base}/down/jwks.json`, JWT_ISSUER: ISSUER, JWT_AUDIENCE: AUDIENCE };
    const response = await app.request('/v1/poll', { headers: { Authorization: `Bearer ${await token(rsa)}` } }, env);
    expect(response.status).toBe(401);
    expect(((await response.json()) as { error: { code: string } }).error.code).toBe('unauthorized');
  });

  it('reads the user id from a configured claim, which must be a valid user id', async () => {
    const { url } = publish([rsa]);
    const claim = 'https://hub.example.com/user_id';
    const verifier = verifierFor(url, { JWT_USER_CLAIM: claim });
    expect(await verifier.verify(await token(rsa, { [claim]: 'john' }))).toBe('john');
    expect(await verifier.verify(await token(rsa))).toBeNull(); // only sub: not the configured claim
    expect(await verifier.verify(await token(rsa, { [claim]: 'not a user id' }))).toBeNull();
    expect(await verifier.verify(await token(rsa, { [claim]: 42 }))).toBeNull();
    expect(await verifierFor(url).verify(await token(rsa, { sub: '-leading-punctuation' }))).toBeNull();
  });
});

describe('identity configuration', () => {
  const misconfigured = (vars: Record<string, string>) => () => readConfig({ ...SECRETS, ...vars });
  const jwks = { JWT_JWKS_URL: 'https://tenant.idp.example/.well-known/jwks.json', JWT_ISSUER: ISSUER, JWT_AUDIENCE: AUDIENCE };

  it('has no JWKS unless JWT_JWKS_URL is set, and the stated defaults when it is', () => {
    expect(readConfig(SECRETS).jwks).toBeNull();
    expect(readConfig({ ...SECRETS, ...jwks }).jwks).toEqual({
      url: jwks.JWT_JWKS_URL,
      issuers: [ISSUER],
      audiences: [AUDIENCE],
      algorithms: ['RS256', 'ES256'],
      userClaim: 'sub',
      clockSkewSeconds: 60,
    });
  });

  it('fails closed on bad or dangling identity settings', () => {
    const cases: Record<string, string>[] = [
      { ...jwks, JWT_ALGORITHMS: 'HS256' },
      { ...jwks, JWT_ALGORITHMS: 'RS256,none' },
      { ...jwks, JWT_ALGORITHMS: 'rs256' },
      { ...jwks, JWT_CLOCK_SKEW_SECONDS: '-1' },
      { ...jwks, JWT_CLOCK_SKEW_SECONDS: '3600' },
      { ...jwks, JWT_USER_CLAIM: 'user id' },
      { ...jwks, JWT_JWKS_URL: 'http://idp.example/jwks.json' },
      { ...jwks, JWT_JWKS_URL: 'not a url' },
      { JWT_JWKS_URL: jwks.JWT_JWKS_URL },
      { JWT_JWKS_URL: jwks.JWT_JWKS_URL, JWT_ISSUER: ISSUER }, // no audience: any of the provider's applications
      { JWT_JWKS_URL: jwks.JWT_JWKS_URL, JWT_AUDIENCE: AUDIENCE },
      { JWT_ISSUER: ISSUER },
      { JWT_AUDIENCE: AUDIENCE },
    ];
    for (const vars of cases) {
      const failure = expect.objectContaining({ code: 'server_misconfigured' });
      expect(misconfigured(vars), JSON.stringify(vars)).toThrow(failure);
    }
  });

  it('still requires JWT_SECRET with a JWKS (it keys tickets and SSE cookies)', () => {
    expect(() => readConfig({ WEBHOOK_SECRET: SECRETS.WEBHOOK_SECRET, ...jwks })).toThrow(/JWT_SECRET is not set/);
  });
});

describe('the verified-token cache', () => {
  it('answers a token verified before without verifying it again, and never past its exp', async () => {
    const verifier = createClientTokenVerifier(readConfig(SECRETS));
    const token = await signClientToken(SECRETS.JWT_SECRET, 'kim', 2);
    const first = await verifier.verify(token);
    expect(first).toMatchObject({ userId: 'kim' });
    expect(await verifier.verify(token)).toBe(first); // the cached credential itself
    // A token that differs by one character is verified in full, and fails.
    const at = token.length - 5; // inside the signature (its last character may carry only padding bits)
    expect(await verifier.verify(token.slice(0, at) + (token[at] === 'A' ? 'B' : 'A') + token.slice(at + 1))).toBeNull();
    await new Promise((resolve) => setTimeout(resolve, 2100));
    expect(await verifier.verify(token)).toBeNull();
  });
});
