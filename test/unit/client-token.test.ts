// createClientToken (userhub/publisher): an HS256 JWT that another JWT
// implementation (jose) verifies, with the claims the service requires, and
// that the service's own verifier takes for the user it names.

import { decodeProtectedHeader, jwtVerify } from 'jose';
import { describe, expect, it } from 'vitest';
import { createHs256Verifier } from '../../src/core/auth/client-token.ts';
import { createClientToken } from '../../src/publisher/index.ts';

const secret = 'unit-jwt-secret-0123456789abcdef0123';

describe('createClientToken', () => {
  it('signs sub, iat and exp with HS256, as jose and the service verify it', async () => {
    const before = Math.floor(Date.now() / 1000);
    const token = await createClientToken('john', { secret, expiresIn: 600, audience: 'https://hub.example.com' });
    expect(decodeProtectedHeader(token)).toEqual({ alg: 'HS256', typ: 'JWT' });
    const { payload } = await jwtVerify(token, new TextEncoder().encode(secret), { algorithms: ['HS256'], audience: 'https://hub.example.com' });
    expect(payload.sub).toBe('john');
    expect(payload.iat).toBeGreaterThanOrEqual(before);
    expect(payload.exp).toBe(payload.iat! + 600);
    expect(await createHs256Verifier(secret).verify(token)).toMatchObject({ userId: 'john', expiresAt: payload.exp });
    expect(await createHs256Verifier(`${secret}x`).verify(token)).toBeNull();
  });

  it('lasts an hour by default, and refuses a bad user id, a short secret and a bad lifetime', async () => {
    const { payload } = await jwtVerify(await createClientToken('jane', { secret }), new TextEncoder().encode(secret));
    expect(payload.exp! - payload.iat!).toBe(3600);
    await expect(createClientToken('bad user', { secret })).rejects.toThrow(/user id/);
    await expect(createClientToken('john', { secret: 'short' })).rejects.toThrow(/32 bytes/);
    await expect(createClientToken('john', { secret, expiresIn: 0 })).rejects.toThrow(/expiresIn/);
  });
});
