// Identity-provider tokens inside workerd: jose's remote key set and RS256 /
// ES256 verification on the Workers runtime, through the Worker's fetch
// handler. The provider is a stubbed fetch for one JWKS URL (no sockets here).

import { env } from 'cloudflare:workers';
import { exportJWK, generateKeyPair, SignJWT, type JWK } from 'jose';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import worker from '../../src/cloudflare/worker.ts';
import { uniqueUser } from '../helpers/requests.ts';

const JWKS_URL = 'https://tenant.idp.example/.well-known/jwks.json';
const ISSUER = 'https://tenant.idp.example/';
const AUDIENCE = 'https://hub.test';
const identityEnv: Record<string, unknown> = {
  ...(env as unknown as Record<string, unknown>),
  JWT_JWKS_URL: JWKS_URL,
  JWT_ISSUER: ISSUER,
  JWT_AUDIENCE: AUDIENCE,
};

const keys = {} as Record<'RS256' | 'ES256', CryptoKey>;
let jwksFetches = 0;

beforeAll(async () => {
  const published: JWK[] = [];
  for (const alg of ['RS256', 'ES256'] as const) {
    const pair = await generateKeyPair(alg, { extractable: true });
    keys[alg] = pair.privateKey;
    published.push({ ...(await exportJWK(pair.publicKey)), kid: `workerd-${alg}`, alg, use: 'sig' });
  }
  const realFetch = globalThis.fetch;
  vi.spyOn(globalThis, 'fetch').mockImplementation(async (input, init) => {
    const url = input instanceof Request ? input.url : String(input);
    if (url !== JWKS_URL) return realFetch(input, init);
    jwksFetches++;
    return Response.json({ keys: published });
  });
});
afterAll(() => vi.restoreAllMocks());

const token = (alg: 'RS256' | 'ES256', sub: string, issuer = ISSUER) =>
  new SignJWT({ sub })
    .setProtectedHeader({ alg, kid: `workerd-${alg}` })
    .setIssuer(issuer)
    .setAudience(AUDIENCE)
    .setExpirationTime('5m')
    .sign(keys[alg]);

async function poll(bearer: string): Promise<Response> {
  const request = new Request('https://hub.test/v1/poll?after=0', { headers: { Authorization: `Bearer ${bearer}` } });
  return worker.fetch(request, identityEnv, { waitUntil() {}, passThroughOnException() {}, props: {} } as never);
}

describe('identity-provider tokens in workerd', () => {
  it('accepts RS256 and ES256 tokens from the JWKS, fetching the key set once', async () => {
    const user = uniqueUser('idp');
    for (const alg of ['RS256', 'ES256'] as const) {
      const response = await poll(await token(alg, user));
      expect(response.status, alg).toBe(200);
      expect(await response.json()).toMatchObject({ events: [], lastId: '0' });
    }
    expect(jwksFetches).toBe(1);
  });

  it('refuses a token from another issuer with the same 401', async () => {
    const response = await poll(await token('RS256', uniqueUser('idp'), 'https://evil.example/'));
    expect(response.status).toBe(401);
    expect(await response.json()).toMatchObject({ error: { code: 'unauthorized' } });
  });
});
