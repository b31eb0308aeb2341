// Web Push configuration: `npx userhub vapid` makes a pair the service
// accepts (and that signs and verifies, checked with jose), and a partial or
// malformed configuration fails closed.

import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { importJWK, jwtVerify, SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import { DEFAULT_PUSH_HOSTS, readPush } from '../../src/core/config.ts';

const run = promisify(execFile);

describe('VAPID keys', () => {
  it('npx userhub vapid prints a pair the service reads, whose halves belong together', async () => {
    const { stdout } = await run(process.execPath, ['src/cli/main.ts', 'vapid']);
    const vars = Object.fromEntries(stdout.trim().split('\n').map((line) => line.split('=') as [string, string]));
    const config = readPush({ ...vars, VAPID_SUBJECT: 'mailto:ops@example.com' })!;
    expect(config).toMatchObject({ publicKey: vars.VAPID_PUBLIC_KEY, privateKey: vars.VAPID_PRIVATE_KEY, endpointHosts: DEFAULT_PUSH_HOSTS });
    const point = Buffer.from(config.publicKey, 'base64url');
    const jwk = { kty: 'EC', crv: 'P-256', x: point.subarray(1, 33).toString('base64url'), y: point.subarray(33).toString('base64url') };
    const token = await new SignJWT({ sub: 'x' }).setProtectedHeader({ alg: 'ES256' }).sign(await importJWK({ ...jwk, d: config.privateKey }, 'ES256'));
    await expect(jwtVerify(token, await importJWK(jwk, 'ES256'))).resolves.toBeDefined();
  });

  it('is off without keys, and fails closed on a partial or malformed set', () => {
    expect(readPush({})).toBeNull();
    const good = { VAPID_PUBLIC_KEY: `B${'A'.repeat(86)}`, VAPID_PRIVATE_KEY: 'A'.repeat(43), VAPID_SUBJECT: 'mailto:a@b.c' };
    expect(readPush(good)).not.toBeNull();
    expect(() => readPush({ VAPID_PUBLIC_KEY: good.VAPID_PUBLIC_KEY })).toThrow(/together/);
    expect(() => readPush({ ...good, VAPID_PUBLIC_KEY: 'A'.repeat(87) })).toThrow(/uncompressed/);
    expect(() => readPush({ ...good, VAPID_PRIVATE_KEY: 'A'.repeat(40) })).toThrow(/32 bytes/);
    expect(() => readPush({ ...good, VAPID_SUBJECT: 'ops@example.com' })).toThrow(/mailto/);
    expect(readPush({ ...good, PUSH_ENDPOINT_HOSTS: 'push.example.com' })!.endpointHosts).toEqual(['push.example.com']);
  });
});
