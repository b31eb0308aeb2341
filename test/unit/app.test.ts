import { describe, expect, it } from 'vitest';
import { createApp } from '../../src/core/app.ts';
import type { HubBackend } from '../../src/core/backend.ts';

// A host that must never be reached: every request here is refused earlier.
const unreachable = new Proxy({} as HubBackend, {
  get: () => () => Promise.reject(new Error('reached the actor')),
});

describe('configuration', () => {
  it('fails closed with a clear error when a secret is missing', async () => {
    const app = createApp(() => unreachable);
    for (const env of [{}, { JWT_SECRET: 'x' }, { WEBHOOK_SECRET: 'whsec_eA==' }]) {
      const response = await app.request('/v1/health', {}, env);
      expect(response.status).toBe(500);
      const body = (await response.json()) as { error: { code: string; message: string } };
      expect(body.error.code).toBe('server_misconfigured');
      expect(body.error.message).toMatch(/(JWT|WEBHOOK)_SECRET is not set/);
    }
  });

  it('refuses a webhook secret that is not whsec_', async () => {
    const app = createApp(() => unreachable);
    const response = await app.request('/v1/health', {}, { JWT_SECRET: 'x', WEBHOOK_SECRET: 'plain' });
    expect(response.status).toBe(500);
  });

  it('is healthy with both secrets', async () => {
    const app = createApp(() => unreachable);
    const response = await app.request('/v1/health', {}, { JWT_SECRET: 'x', WEBHOOK_SECRET: 'whsec_eA==' });
    expect(await response.json()).toEqual({ ok: true });
  });
});
