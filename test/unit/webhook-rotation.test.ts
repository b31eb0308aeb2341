// Rotating WEBHOOK_SECRET without downtime, through the app: while both secrets
// are configured a request signed by either is accepted; once only the new one
// is left, the old one's signatures are refused.

import { describe, expect, it } from 'vitest';
import { createApp } from '../../src/core/app.ts';
import { signWebhook } from '../../src/shared/webhook-signature.ts';
import type { HubBackend } from '../../src/core/backend.ts';

const OLD = 'whsec_b2xkLXdlYmhvb2stc2VjcmV0LTAxMjM0NTY3';
const NEW = 'whsec_bmV3LXdlYmhvb2stc2VjcmV0LTg5YWJjZGVm';
const JWT_SECRET = 'unit-jwt-secret-rotation-0123456789';

// Only presence is reachable: it answers once the signature has been checked.
const backend = new Proxy({} as HubBackend, {
  get: (_, name) =>
    name === 'actor'
      ? () => ({ presence: async () => ({ online: false, connections: { websocket: 0, sse: 0, poll: 0 } }) })
      : () => Promise.reject(new Error(`reached ${String(name)}`)),
});

async function presence(webhookSecret: string, signedWith: string): Promise<Response> {
  const app = createApp(() => backend);
  const headers = await signWebhook(signedWith, `msg_${crypto.randomUUID()}`, 'GET /v1/users/john/presence');
  return app.request('/v1/users/john/presence', { headers }, { JWT_SECRET, WEBHOOK_SECRET: webhookSecret });
}

describe('publisher secret rotation', () => {
  it('accepts both secrets while both are configured, then only the new one', async () => {
    // Before: senders sign with the old secret.
    expect((await presence(OLD, OLD)).status).toBe(200);
    expect((await presence(OLD, NEW)).status).toBe(401);
    // During: both configured; senders switch one by one.
    expect((await presence(`${OLD} ${NEW}`, OLD)).status).toBe(200);
    expect((await presence(`${OLD} ${NEW}`, NEW)).status).toBe(200);
    // After: the old secret is removed and its signatures are refused.
    expect((await presence(NEW, NEW)).status).toBe(200);
    const refused = await presence(NEW, OLD);
    expect(refused.status).toBe(401);
    expect(((await refused.json()) as { error: { code: string } }).error.code).toBe('unauthorized');
  });
});
