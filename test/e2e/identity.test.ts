// Client tokens from an identity provider, end to end: a standalone Node host
// started with JWT_JWKS_URL pointing at a JWKS served here on loopback; an RS256
// token opens a WebSocket and polls, and events reach only the token's user.
// Its own host, so the shared hosts (HOST_VARS) keep HS256 only.

import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHubClient } from '../conformance/clients.ts';
import { tokenFor, uniqueUser } from '../helpers/requests.ts';
import { TEST_VARS } from '../helpers/test-vars.ts';
import { startStandalone, type StandaloneProcess } from '../hosts/standalone.ts';

const ISSUER = 'https://tenant.idp.example/';
const AUDIENCE = 'https://hub.example.com';

let jwks: Server;
let host: StandaloneProcess;
let privateKey: CryptoKey;

beforeAll(async () => {
  const pair = await generateKeyPair('RS256');
  privateKey = pair.privateKey;
  const keys = [{ ...(await exportJWK(pair.publicKey)), kid: 'e2e-1', alg: 'RS256', use: 'sig' }];
  jwks = createServer((_, res) => {
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify({ keys }));
  });
  await new Promise<void>((resolve) => jwks.listen(0, '127.0.0.1', resolve));
  const { port } = jwks.address() as AddressInfo;
  host = await startStandalone('node', {
    ...TEST_VARS,
    JWT_JWKS_URL: `http://127.0.0.1:${port}/.well-known/jwks.json`,
    JWT_ISSUER: ISSUER,
    JWT_AUDIENCE: AUDIENCE,
  });
});

afterAll(async () => {
  await host?.stop();
  await new Promise((resolve) => jwks?.close(resolve));
});

const providerToken = (sub: string, issuer = ISSUER) =>
  new SignJWT({ sub })
    .setProtectedHeader({ alg: 'RS256', kid: 'e2e-1', typ: 'JWT' })
    .setIssuer(issuer)
    .setAudience(AUDIENCE)
    .setIssuedAt()
    .setExpirationTime('10m')
    .sign(privateKey);

describe('identity-provider tokens on a standalone host', () => {
  it('opens a WebSocket and polls with an RS256 token from the JWKS', async () => {
    const user = uniqueUser('idp');
    const client = createHubClient(host.url);
    const token = await providerToken(user);

    const socket = await client.socket(user, { protocols: ['userhub.v1', `userhub.token.${token}`] });
    expect(socket.ws.protocol).toBe('userhub.v1');
    await socket.untilReady();
    expect((await client.publish(user, 'export.ready', { n: 1 })).status).toBe(202);
    expect(await socket.frames.next()).toMatchObject({ id: '1', type: 'export.ready', data: { n: 1 } });
    socket.ws.close();

    const poll = await fetch(`${host.url}/v1/poll?after=0`, { headers: { Authorization: `Bearer ${token}` } });
    expect(poll.status).toBe(200);
    expect(await poll.json()).toMatchObject({ events: [{ id: '1', type: 'export.ready' }], lastId: '1' });
  });

  it('refuses a token from another issuer with 401, and still accepts HS256 tokens', async () => {
    const user = uniqueUser('idp');
    const foreign = await providerToken(user, 'https://evil.example/');
    const refused = await fetch(`${host.url}/v1/poll`, { headers: { Authorization: `Bearer ${foreign}` } });
    expect(refused.status).toBe(401);
    expect(await refused.json()).toMatchObject({ error: { code: 'unauthorized' } });

    const hs256 = await fetch(`${host.url}/v1/poll`, { headers: { Authorization: `Bearer ${await tokenFor(user)}` } });
    expect(hs256.status).toBe(200);
  });
});
