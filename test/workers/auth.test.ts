import { describe, expect, it } from 'vitest';
import { sign } from 'hono/utils/jwt/jwt';
import { TEST_VARS } from '../helpers/test-vars.ts';
import { tokenFor, uniqueUser } from '../helpers/requests.ts';
import { call, openSocket, openSse, publish } from './clients.ts';

async function ticketFor(user: string): Promise<string> {
  const response = await call('/v1/tickets', {
    method: 'POST',
    headers: { Authorization: `Bearer ${await tokenFor(user)}` },
  });
  expect(response.status).toBe(201);
  const body = (await response.json()) as { ticket: string; expiresAt: string };
  expect(Date.parse(body.expiresAt) - Date.now()).toBeLessThanOrEqual(60_000);
  return body.ticket;
}

const now = () => Math.floor(Date.now() / 1000);
const badTokens = async (user: string): Promise<Record<string, string>> => ({
  garbage: 'not-a-jwt',
  expired: await sign({ sub: user, exp: now() - 10 }, TEST_VARS.JWT_SECRET, 'HS256'),
  noExp: await sign({ sub: user }, TEST_VARS.JWT_SECRET, 'HS256'),
  noSub: await sign({ exp: now() + 60 }, TEST_VARS.JWT_SECRET, 'HS256'),
  wrongSecret: await sign({ sub: user, exp: now() + 60 }, 'another-secret', 'HS256'),
  wrongAlg: await sign({ sub: user, exp: now() + 60 }, TEST_VARS.JWT_SECRET, 'HS512'),
  algNone: `${btoa('{"alg":"none","typ":"JWT"}')}.${btoa(JSON.stringify({ sub: user, exp: now() + 60 }))}.`,
});

describe('client authentication', () => {
  it('refuses every kind of bad token with the same 401 and WWW-Authenticate: Bearer', async () => {
    const user = uniqueUser();
    const answers = new Set<string>();
    for (const [kind, token] of Object.entries(await badTokens(user))) {
      for (const path of ['/v1/events', '/v1/tickets']) {
        const response = await call(path, {
          method: path === '/v1/tickets' ? 'POST' : 'GET',
          headers: { Authorization: `Bearer ${token}` },
        });
        expect(response.status, `${kind} on ${path}`).toBe(401);
        expect(response.headers.get('WWW-Authenticate')).toMatch(/^Bearer/);
        answers.add(await response.text());
      }
    }
    expect(answers.size).toBe(1);
    const none = await call('/v1/events');
    expect(none.status).toBe(401);
    expect(await none.json()).toEqual({ error: { code: 'unauthorized', message: 'Missing or invalid credentials.' } });
  });

  it('refuses a WebSocket with a bad token before the upgrade', async () => {
    await expect(openSocket(uniqueUser(), { headers: { Authorization: 'Bearer nope' } })).rejects.toThrow(/401/);
  });

  it('accepts a ticket once for a WebSocket', async () => {
    const user = uniqueUser();
    const ticket = await ticketFor(user);
    const socket = await openSocket(user, { headers: {}, query: `?ticket=${ticket}` });
    await socket.untilReady();
    await publish(user, 'via.ticket', 1);
    expect(await socket.frames.next()).toMatchObject({ type: 'via.ticket' });
    await expect(openSocket(user, { headers: {}, query: `?ticket=${ticket}` })).rejects.toThrow(/401/);
  });

  it('refuses a tampered ticket', async () => {
    const ticket = await ticketFor(uniqueUser());
    const tampered = ticket.slice(0, -2) + (ticket.endsWith('A') ? 'BB' : 'AA');
    await expect(openSocket('x', { headers: {}, query: `?ticket=${tampered}` })).rejects.toThrow(/401/);
  });

  it('takes the token from Sec-WebSocket-Protocol and echoes only the protocol marker', async () => {
    const user = uniqueUser();
    const token = await tokenFor(user);
    const response = await call('/v1/connect', {
      headers: { Upgrade: 'websocket', 'Sec-WebSocket-Protocol': `userhub.v1, userhub.token.${token}` },
    });
    expect(response.status).toBe(101);
    expect(response.headers.get('Sec-WebSocket-Protocol')).toBe('userhub.v1');
    response.webSocket!.accept();
    response.webSocket!.close();
  });

  it('lets an EventSource reconnect with a spent ticket and its user\'s cookie, and nothing else', async () => {
    const user = uniqueUser();
    const ticket = await ticketFor(user);
    const first = await openSse(`/v1/events?ticket=${ticket}`);
    const setCookie = first.response.headers.get('Set-Cookie')!;
    // One cookie per user (its name is the user id, base64url), replaced by each new one: they cannot pile up.
    expect(setCookie).toMatch(new RegExp(`^hub_sse_${btoa(user).replace(/=+$/, '').replace(/\+/g, '-').replace(/\//g, '_')}=`));
    expect(setCookie).toMatch(/HttpOnly/);
    expect(setCookie).toMatch(/Path=\/v1\/events/);
    expect(setCookie).toMatch(/SameSite=None/);
    // The cookie lives as long as the token the ticket came from (tokenFor: 600 s), not SSE_SESSION_TTL_SECONDS (12 h).
    const maxAge = Number(/Max-Age=(\d+)/.exec(setCookie)![1]);
    expect(maxAge).toBeGreaterThan(590);
    expect(maxAge).toBeLessThanOrEqual(600);
    await first.untilReady();
    await publish(user, 'n', 1);
    expect((await first.nextEvent()).id).toBe('1');
    await first.cancel();

    const cookie = setCookie.split(';')[0]!;
    await publish(user, 'n', 2);
    const again = await openSse(`/v1/events?ticket=${ticket}`, { headers: { Cookie: cookie, 'Last-Event-ID': '1' } });
    expect((await again.untilReady()).map((f) => f.id ?? f.event)).toEqual(['2', 'hub.ready']);
    await again.cancel();

    // The URL alone (from a log, say) is worthless once spent.
    expect((await call(`/v1/events?ticket=${ticket}`)).status).toBe(401);
    // The cookie only vouches for its own user: renamed for another user's spent ticket, it opens nothing.
    const otherUser = uniqueUser();
    const other = await ticketFor(otherUser);
    const spentOther = await openSse(`/v1/events?ticket=${other}`);
    const otherName = spentOther.response.headers.get('Set-Cookie')!.split('=')[0]!;
    await spentOther.cancel();
    const moved = cookie.replace(/^hub_sse_[^=]+/, otherName);
    expect((await call(`/v1/events?ticket=${other}`, { headers: { Cookie: moved } })).status).toBe(401);
  });

  it('checks Origin on WebSocket upgrades and streams against the allowed list', async () => {
    const user = uniqueUser();
    const token = await tokenFor(user);
    const evil = await call('/v1/connect', {
      headers: { Upgrade: 'websocket', Authorization: `Bearer ${token}`, Origin: 'https://evil.example' },
    });
    expect(evil.status).toBe(403);
    expect(await evil.json()).toMatchObject({ error: { code: 'forbidden_origin' } });
    const allowed = await openSocket(user, {
      headers: { Authorization: `Bearer ${token}`, Origin: 'https://app.example' },
    });
    await allowed.untilReady();
    const sameOrigin = await openSocket(user, { headers: { Authorization: `Bearer ${token}`, Origin: 'https://hub.test' } });
    await sameOrigin.untilReady();
    const evilSse = await call('/v1/events', { headers: { Authorization: `Bearer ${token}`, Origin: 'https://evil.example' } });
    expect(evilSse.status).toBe(403);
  });

  it('answers CORS preflights for allowed origins only', async () => {
    const preflight = (origin: string) =>
      call('/v1/tickets', {
        method: 'OPTIONS',
        headers: { Origin: origin, 'Access-Control-Request-Method': 'POST', 'Access-Control-Request-Headers': 'authorization' },
      });
    const ok = await preflight('https://app.example');
    expect(ok.status).toBe(204);
    expect(ok.headers.get('Access-Control-Allow-Origin')).toBe('https://app.example');
    expect(ok.headers.get('Access-Control-Allow-Credentials')).toBe('true');
    const refused = await preflight('https://evil.example');
    expect(refused.headers.get('Access-Control-Allow-Origin')).toBeNull();
  });
});
