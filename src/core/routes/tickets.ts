// POST /v1/tickets: trade a Bearer token for a short-lived, single-use connection ticket.

import { Hono } from 'hono';
import { nowSeconds, requireBearer } from '../auth/authenticate.ts';
import { issueTicket } from '../auth/tickets.ts';
import type { HubContext, HubEnv } from '../context.ts';

/**
 * POST /v1/tickets: a ticket for the token's user, redeemable once within
 * TICKET_TTL_SECONDS, for a session that ends when the token expires.
 */
async function issueConnectionTicket(c: HubContext) {
  const credential = await requireBearer(c);
  // A revoked token gets no ticket: refused here, not only when the ticket is redeemed.
  await c.get('backend').actor(credential.userId).admit(credential);
  const { jwtSecret, ticketTtlSeconds } = c.get('config');
  const { ticket, exp } = await issueTicket(jwtSecret, credential, ticketTtlSeconds, nowSeconds());
  c.header('Cache-Control', 'no-store');
  // The user the server took the token for: browser tabs of one user share one connection (the client's shareAcrossTabs).
  return c.json({ ticket, expiresAt: new Date(exp * 1000).toISOString(), userId: credential.userId }, 201);
}

export const ticketRoutes = new Hono<HubEnv>().post('/v1/tickets', issueConnectionTicket);
