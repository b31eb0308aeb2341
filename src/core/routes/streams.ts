// The live streams: GET /v1/connect (WebSocket) and GET /v1/events (SSE).

import { Hono } from 'hono';
import { generateCookie } from 'hono/cookie';
import { authenticateStream, checkOrigin, nowSeconds } from '../auth/authenticate.ts';
import { SSE_COOKIE_PATH, sseCookieName, sseSessionCookie } from '../auth/tickets.ts';
import type { HubContext, HubEnv } from '../context.ts';
import { HubError, badRequest } from '../errors.ts';
import { parseEventId } from '../../protocol/wire.ts';
import { SSE_HEADERS } from '../sse.ts';

function resumePoint(c: HubContext, lastEventId?: string): number | undefined {
  const raw = lastEventId || c.req.query('after');
  const after = parseEventId(raw);
  if (after === null) throw badRequest('after / Last-Event-ID must be an event id (a decimal integer).');
  return after;
}

/** GET /v1/connect: a WebSocket, opened by the user's actor after its replay. */
async function connectWebSocket(c: HubContext) {
  if (c.req.header('Upgrade')?.toLowerCase() !== 'websocket') {
    throw new HubError('upgrade_required', 'GET /v1/connect expects a WebSocket upgrade.', {
      headers: { Upgrade: 'websocket' },
    });
  }
  checkOrigin(c);
  const auth = await authenticateStream(c, 'websocket');
  const after = resumePoint(c);
  const { credential, redeem, protocol } = auth;
  return c.get('backend').openWebSocket({ userId: credential.userId, credential, after, redeem, protocol, request: c.req.raw });
}

/** GET /v1/events: an SSE stream; a ticket also sets the cookie EventSource reconnects with. */
async function openEventStream(c: HubContext) {
  checkOrigin(c);
  const auth = await authenticateStream(c, 'sse');
  // Last-Event-ID wins over ?after=: an EventSource reconnects to its first URL.
  const after = resumePoint(c, c.req.header('Last-Event-ID'));
  const { config, backend } = c.var;
  const { credential, redeem } = auth;
  const response = await backend.openSse(
    { userId: credential.userId, credential, after, redeem, request: c.req.raw },
    {
      heartbeatMs: config.heartbeatSeconds * 1000,
      retryMs: config.sseRetryMs,
      maxStreamMs: config.sseMaxStreamSeconds * 1000,
      headers: SSE_HEADERS,
    },
  );
  if (redeem && response.ok) {
    // The cookie lives as long as the session, never longer than SSE_SESSION_TTL_SECONDS; one per user, each replacing the last.
    const now = nowSeconds();
    const session = { ...credential, expiresAt: Math.min(credential.expiresAt, now + config.sseSessionTtlSeconds) };
    const cookie = generateCookie(sseCookieName(credential.userId), await sseSessionCookie(config.jwtSecret, session), {
      path: SSE_COOKIE_PATH,
      httpOnly: true,
      secure: true,
      sameSite: 'None',
      maxAge: Math.max(1, session.expiresAt - now),
    });
    // On the response itself: a Response returned from a handler replaces whatever the Context prepared.
    response.headers.append('Set-Cookie', cookie);
  }
  return response;
}

export const streamRoutes = new Hono<HubEnv>().get('/v1/connect', connectWebSocket).get('/v1/events', openEventStream);
