import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { createApp, ROUTES } from '../../src/core/app.ts';
import type { HubBackend } from '../../src/core/backend.ts';
import { SERVICE_VERSION } from '../../src/core/version.ts';

// A host that must never be reached: every request here is refused earlier.
const unreachable = new Proxy({} as HubBackend, {
  get: () => () => Promise.reject(new Error('reached the actor')),
});

const STRONG = { JWT_SECRET: 'unit-jwt-secret-0123456789abcdef0123', WEBHOOK_SECRET: 'whsec_dW5pdC13ZWJob29rLXNlY3JldC0wMTIzNDU2Nzg5' };

describe('configuration', () => {
  it('fails closed with a clear error when a secret is missing', async () => {
    const app = createApp(() => unreachable);
    for (const env of [{}, { JWT_SECRET: STRONG.JWT_SECRET }, { WEBHOOK_SECRET: STRONG.WEBHOOK_SECRET }]) {
      const response = await app.request('/v1/health', {}, env);
      expect(response.status).toBe(500);
      const body = (await response.json()) as { error: { code: string; message: string } };
      expect(body.error.code).toBe('server_misconfigured');
      expect(body.error.message).toMatch(/(JWT|WEBHOOK)_SECRET is not set/);
    }
  });

  it('refuses a webhook secret that is not whsec_', async () => {
    const app = createApp(() => unreachable);
    const response = await app.request('/v1/health', {}, { JWT_SECRET: STRONG.JWT_SECRET, WEBHOOK_SECRET: 'plain' });
    expect(response.status).toBe(500);
  });

  it('refuses weak secrets with a one-line reason: JWT_SECRET under 32 bytes, a whsec_ under 24', async () => {
    const app = createApp(() => unreachable);
    for (const [env, reason] of [
      [{ ...STRONG, JWT_SECRET: 'x' }, /JWT_SECRET must be at least 32 bytes/],
      [{ ...STRONG, JWT_SECRET: 'x'.repeat(31) }, /JWT_SECRET must be at least 32 bytes/],
      [{ ...STRONG, WEBHOOK_SECRET: 'whsec_eA==' }, /WEBHOOK_SECRET must decode to at least 24 bytes/],
      [{ ...STRONG, WEBHOOK_SECRET: `${STRONG.WEBHOOK_SECRET},whsec_dGVzdA==` }, /WEBHOOK_SECRET must decode to at least 24 bytes/],
      [{ ...STRONG, RECEIPTS_URL: 'https://example.com/r', RECEIPTS_SECRET: 'whsec_YWJj' }, /RECEIPTS_SECRET must decode to at least 24 bytes/],
    ] as const) {
      const response = await app.request('/v1/health', {}, env);
      expect(response.status).toBe(500);
      const { error } = (await response.json()) as { error: { code: string; message: string } };
      expect(error.code).toBe('server_misconfigured');
      expect(error.message).toMatch(reason);
      expect(error.message).not.toContain('\n');
    }
    expect((await app.request('/v1/health', {}, { ...STRONG, JWT_SECRET: 'x'.repeat(32) })).status).toBe(200);
  });

  it('is healthy with both secrets, and states its protocol version', async () => {
    const app = createApp(() => unreachable);
    const response = await app.request('/v1/health', {}, STRONG);
    expect(await response.json()).toEqual({ ok: true, protocol: 1 });
  });
});

describe('protocol versions', () => {
  const env = STRONG;
  it('refuses a Hub-Protocol it does not speak before anything else, and answers one it does', async () => {
    const app = createApp(() => unreachable);
    for (const version of ['2', '0', 'x', '']) {
      const response = await app.request('/v1/poll', { headers: { 'Hub-Protocol': version } }, env);
      expect(response.status, version).toBe(400);
      expect(await response.json()).toMatchObject({ error: { code: 'unsupported_protocol' } });
    }
    expect((await app.request('/v1/health', { headers: { 'Hub-Protocol': '1' } }, env)).status).toBe(200);
  });
});

describe('CORS', () => {
  it('allows in a preflight every method a route answers, taken from the route table', async () => {
    const app = createApp(() => ({}) as HubBackend);
    const env = { ...STRONG, ALLOWED_ORIGINS: 'https://app.example' };
    const response = await app.request(
      '/v1/jobs/j1',
      { method: 'OPTIONS', headers: { Origin: 'https://app.example', 'Access-Control-Request-Method': 'GET' } },
      env,
    );
    const allowed = (response.headers.get('Access-Control-Allow-Methods') ?? '').split(',').map((m) => m.trim());
    const used = [...new Set(Object.values(ROUTES).flat())];
    expect(used.length).toBeGreaterThan(2);
    for (const method of used) expect(allowed).toContain(method);
  });
});

describe('the front door', () => {
  it('answers GET / with a page naming the service, its version and its docs, and the favicon without a 404', async () => {
    const app = createApp(() => unreachable);
    const page = await app.request('/', {}, STRONG);
    expect(page.status).toBe(200);
    expect(page.headers.get('Content-Type')).toMatch(/text\/html/);
    const html = await page.text();
    expect(html).toContain(`userhub <small>${SERVICE_VERSION}</small>`);
    expect(html).toContain('href="/docs"');
    expect(html).not.toContain('href="/demo/"');
    expect(await (await app.request('/', {}, { ...STRONG, DEMO_ENABLED: 'true' })).text()).toContain('href="/demo/"');
    expect((await app.request('/favicon.ico', {}, STRONG)).status).toBe(204);
  });

  it('states the version of the package', () => {
    expect(SERVICE_VERSION).toBe((JSON.parse(readFileSync('package.json', 'utf8')) as { version: string }).version);
  });
});
