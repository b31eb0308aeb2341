import { describe, expect, it } from 'vitest';
import { signWebhook, verifyWebhook } from '../../src/shared/webhook-signature.ts';

// The example from the Standard Webhooks specification.
const SPEC = {
  secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
  id: 'msg_p5jXN8AQM9LWM0D4loKWxJek',
  timestamp: 1614265330,
  body: '{"test": 2432232314}',
  signature: 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=',
};

const headers = (signature: string, id = SPEC.id, timestamp = String(SPEC.timestamp)) => ({ id, timestamp, signature });

describe('Standard Webhooks signatures', () => {
  it('matches the specification example', async () => {
    const signed = await signWebhook(SPEC.secret, SPEC.id, SPEC.body, SPEC.timestamp);
    expect(signed['webhook-signature']).toBe(SPEC.signature);
    expect(await verifyWebhook([SPEC.secret], headers(SPEC.signature), SPEC.body, SPEC.timestamp)).toBe(SPEC.id);
  });

  it('accepts any listed signature and any configured secret (rotation)', async () => {
    const other = 'whsec_b3RoZXItc2VjcmV0LWJ5dGVzLTEyMzQ1Ng==';
    const multi = `v1,${btoa('x'.repeat(32))} ${SPEC.signature}`;
    expect(await verifyWebhook([SPEC.secret], headers(multi), SPEC.body, SPEC.timestamp)).toBe(SPEC.id);
    expect(await verifyWebhook([other, SPEC.secret], headers(SPEC.signature), SPEC.body, SPEC.timestamp)).toBe(SPEC.id);
  });

  it('refuses a changed body, id or timestamp, another secret, and malformed headers', async () => {
    const verify = (h: ReturnType<typeof headers>, body = SPEC.body, secrets = [SPEC.secret]) =>
      verifyWebhook(secrets, h, body, SPEC.timestamp);
    expect(await verify(headers(SPEC.signature), '{"test": 2432232315}')).toBeNull();
    expect(await verify(headers(SPEC.signature, 'msg_other'))).toBeNull();
    expect(await verify(headers(SPEC.signature, SPEC.id, String(SPEC.timestamp + 1)))).toBeNull();
    expect(await verify(headers(SPEC.signature), SPEC.body, ['whsec_b3RoZXI='])).toBeNull();
    for (const bad of ['', 'v1,', 'v1,!!!', SPEC.signature.slice(0, -4), SPEC.signature.replace('v1', 'v2')]) {
      expect(await verify(headers(bad))).toBeNull();
    }
  });

  it('refuses timestamps outside five minutes either way', async () => {
    const at = (now: number) => verifyWebhook([SPEC.secret], headers(SPEC.signature), SPEC.body, now);
    expect(await at(SPEC.timestamp + 300)).toBe(SPEC.id);
    expect(await at(SPEC.timestamp + 301)).toBeNull();
    expect(await at(SPEC.timestamp - 301)).toBeNull();
  });
});
