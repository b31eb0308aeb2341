// Client authentication for HTTP requests: Bearer token, WebSocket subprotocol
// token, connection ticket or SSE resume cookie. The user id always comes from
// a verified credential, never from anything the client names.

import { getCookie } from 'hono/cookie';
import type { Config } from '../config.ts';
import type { HubContext } from '../context.ts';
import { HubError, unauthorized } from '../errors.ts';
import { TOKEN_PROTOCOL_PREFIX, WS_PROTOCOL } from '../../protocol/wire.ts';
import { createClientTokenVerifier, type Credential, type TokenVerifier } from './client-token.ts';
import { readTicket, sseCookieName, verifySseSessionCookie, type Ticket } from './tickets.ts';
import type { StreamTransport } from '../actor/ports.ts';

export interface StreamAuth {
  /** Whose stream it is and how long it may live: the token's, the ticket's or the cookie's session. */
  credential: Credential;
  /** The ticket to spend with this open (first use). */
  redeem?: Ticket;
  /** Subprotocol to echo on a WebSocket upgrade. */
  protocol?: string;
}

/** One verifier per configuration (configFor parses each env once). */
const verifiers = new WeakMap<Config, TokenVerifier>();

function verifierFor(config: Config): TokenVerifier {
  let verifier = verifiers.get(config);
  if (!verifier) verifiers.set(config, (verifier = createClientTokenVerifier(config)));
  return verifier;
}

export const nowSeconds = (): number => Math.floor(Date.now() / 1000);

function bearer(c: HubContext): string | undefined {
  const header = c.req.header('Authorization');
  if (header === undefined) return undefined;
  const match = /^Bearer ([\x21-\x7e]+)$/i.exec(header);
  if (!match) throw unauthorized();
  return match[1];
}

/** Requires `Authorization: Bearer <jwt>`; resolves to its credential. */
export async function requireBearer(c: HubContext): Promise<Credential> {
  const token = bearer(c);
  const credential = token && (await verifierFor(c.get('config')).verify(token));
  if (!credential) throw unauthorized();
  return credential;
}

/**
 * Browsers send `Origin` on every WebSocket upgrade and cross-origin stream;
 * a request from a page on an origin that is neither ours nor allowed is
 * refused, so another site cannot ride a user's cookie or socket.
 */
export function checkOrigin(c: HubContext): void {
  const origin = c.req.header('Origin');
  if (origin === undefined) return;
  if (origin === new URL(c.req.url).origin) return;
  if (c.get('config').allowedOrigins.includes(origin)) return;
  throw new HubError('forbidden_origin', 'This origin may not open streams here.');
}

function offeredProtocols(c: HubContext): string[] {
  const header = c.req.header('Sec-WebSocket-Protocol');
  return header ? header.split(',').map((p) => p.trim()) : [];
}

/** Authenticates a WebSocket or SSE open. */
export async function authenticateStream(c: HubContext, transport: StreamTransport): Promise<StreamAuth> {
  const { jwtSecret } = c.get('config');
  const protocols = transport === 'websocket' ? offeredProtocols(c) : [];
  const protocol = protocols.includes(WS_PROTOCOL) ? WS_PROTOCOL : undefined;

  const headerToken = bearer(c);
  const protocolToken = protocols.find((p) => p.startsWith(TOKEN_PROTOCOL_PREFIX))?.slice(TOKEN_PROTOCOL_PREFIX.length);
  const token = headerToken ?? protocolToken;
  if (token !== undefined) {
    // A stream sends its token once: kept, it would hold memory for as long as the stream is idle.
    const credential = await verifierFor(c.get('config')).verify(token, { remember: false });
    if (!credential) throw unauthorized();
    return { credential, protocol };
  }

  const ticketParam = c.req.query('ticket');
  const ticket = ticketParam ? await readTicket(jwtSecret, ticketParam) : null;
  if (!ticket) throw unauthorized();

  if (transport === 'sse') {
    const cookie = getCookie(c, sseCookieName(ticket.userId));
    const session = cookie && (await verifySseSessionCookie(jwtSecret, ticket.userId, cookie, nowSeconds()));
    if (session) return { credential: session };
  }
  if (ticket.exp <= nowSeconds()) throw unauthorized();
  return { credential: ticket, redeem: ticket, protocol };
}
