// Sessions and tickets: a WebSocket or SSE stream lives as long as the
// credential it opened with, is warned (`hub.expiring`) before the end and
// closed with 4401 at it; `{"type":"auth","ticket"}` moves the end on; a
// ticket opens one connection once.

import type { Credential } from '../auth/client-token.ts';
import { unauthorized } from '../errors.ts';
import { CloseCode, HUB_AUTH, HUB_EXPIRING } from '../../protocol/wire.ts';
import type { Feature } from '../actor/feature.ts';
import { ControlMessage } from '../actor/frames.ts';
import type { Kernel } from '../actor/kernel.ts';
import { EVENTS, isStream, type Connection } from '../actor/ports.ts';
import { sessionFor } from '../actor/sessions.ts';
import { ticketLedger } from './parts.ts';

const iso = (ms: number) => new Date(ms).toISOString();

/** Spends a ticket (401 when spent before); its row is pruned once the ticket would have expired. */
async function redeem(k: Kernel, ticket: { nonce: string; exp: number }): Promise<void> {
  if (!(await ticketLedger(k).redeem(ticket.nonce, ticket.exp))) throw unauthorized();
  await k.schedule.request('prune', ticket.exp * 1000);
}

/** Gives a stream the session of its credential, and asks to be woken when its warning is due. */
async function startSession(k: Kernel, connection: Connection, credential: Credential, now: number): Promise<void> {
  connection.session = sessionFor(credential, now);
  await k.schedule.request('expire', connection.session.warnAt);
}

/**
 * `{"type":"auth","ticket"}`: a fresh ticket of the same user, unspent and
 * unrevoked, moves the session's end to its token's; anything else closes
 * the connection with 4401 (the client reconnects with a fresh token).
 */
async function renew(k: Kernel, connection: Connection, text: unknown): Promise<void> {
  const ticket = typeof text === 'string' && connection.session && k.options.readTicket ? await k.options.readTicket(text) : null;
  const now = Date.now();
  const session = connection.session;
  const valid = ticket !== null && session !== undefined && ticket.userId === session.userId && ticket.exp * 1000 > now;
  try {
    if (!valid) throw unauthorized();
    await k.refuseRevoked(ticket);
    await redeem(k, ticket);
  } catch {
    return k.close(connection, CloseCode.unauthorized, 'session refresh refused');
  }
  await startSession(k, connection, ticket, now);
  k.send(connection, new ControlMessage(HUB_AUTH, { expiresAt: iso(connection.session!.expiresAt) }));
}

/** Warns the sessions whose warning is due and closes (4401) those that ended; then asks for the next. */
async function expireSessions(k: Kernel, now: number): Promise<void> {
  let next = Infinity;
  for (const connection of k.connections.tagged(EVENTS)) {
    const session = connection.session;
    if (!session || k.closeIfEnded(connection, now, session)) continue;
    let warnAt = session.warnAt;
    if (warnAt <= now) {
      k.send(connection, new ControlMessage(HUB_EXPIRING, { expiresAt: iso(session.expiresAt) }));
      // On Cloudflare each write of the session is a socket attachment: write it once, read it once.
      connection.session = { ...session, warnAt: (warnAt = session.expiresAt) };
    }
    next = Math.min(next, warnAt);
  }
  if (next < Infinity) await k.schedule.request('expire', next);
}

export const sessions: Feature<Kernel> = {
  wakes: { expire: expireSessions },
  // A stream's session is checked by the node that holds it.
  localWakes: ['expire'],
  frames: { auth: (k, connection, frame) => renew(k, connection, frame.ticket) },
  async admitting(k, _connection, options) {
    if (options.redeem) await redeem(k, options.redeem);
  },
  async opened(k, connection, options, now) {
    if (options.credential && isStream(connection)) await startSession(k, connection, options.credential, now);
    return false;
  },
  async prune(k, now) {
    const tickets = ticketLedger(k);
    await tickets.forget(now);
    return await tickets.lastExpiry();
  },
  async erase(k) {
    await ticketLedger(k).erase();
  },
};
