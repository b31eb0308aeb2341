// Connection tickets and the SSE resume cookie.
//
// Browsers' WebSocket and EventSource cannot send an Authorization header, and a
// token in a URL ends up in logs. So a client trades its token for a ticket:
// short-lived, bound to the user, signed by the service (no shared store), and
// single-use: the user's actor remembers each ticket nonce it has accepted.
//
// A browser's EventSource reconnects by itself to the same URL, whose ticket is
// by then spent. When a ticket opens an SSE stream the response also sets an
// HttpOnly cookie, scoped to the stream path and named after that ticket, which
// proves "this browser redeemed this ticket". A reconnect carrying the spent
// ticket and its cookie resumes the same user's stream; the URL alone (from a
// log, say) is worthless. One cookie per ticket keeps two tabs signed in as two
// different users from ever reading each other's stream.

import { base64UrlToBytes, bytesToBase64Url, utf8 } from './base64.ts';
import { hmacKey } from './hmac.ts';
import { isUserId } from '../../protocol/wire.ts';

export interface Ticket {
  userId: string;
  /** Random, unique per ticket: the single-use key. */
  nonce: string;
  /** Expiry, seconds since the epoch. */
  exp: number;
}

export const SSE_COOKIE_PREFIX = 'hub_sse_';
export const SSE_COOKIE_PATH = '/v1/events';
const NONCE_PATTERN = /^[A-Za-z0-9_-]{22}$/;

/** Tickets and cookies are signed with keys derived from the JWT secret, one per purpose. */
const purposeKey = (secret: string, purpose: string) => hmacKey(`${purpose}\u0000${secret}`);

export async function issueTicket(secret: string, userId: string, ttlSeconds: number, nowSeconds: number) {
  const nonce = bytesToBase64Url(crypto.getRandomValues(new Uint8Array(16)));
  const exp = nowSeconds + ttlSeconds;
  const body = bytesToBase64Url(utf8.encode(JSON.stringify({ sub: userId, n: nonce, exp })));
  const mac = await (await purposeKey(secret, 'ticket')).sign(body);
  return { ticket: `${body}.${bytesToBase64Url(mac)}`, nonce, exp };
}

/**
 * Checks a ticket's signature and shape, not its expiry or use: a spent or
 * expired ticket still names the stream an SSE resume cookie belongs to.
 */
export async function readTicket(secret: string, ticket: string): Promise<Ticket | null> {
  if (ticket.length > 512) return null;
  const [body, mac, extra] = ticket.split('.');
  if (!body || !mac || extra !== undefined) return null;
  const signature = base64UrlToBytes(mac);
  if (!signature || !(await (await purposeKey(secret, 'ticket')).verify(signature, body))) return null;
  try {
    const bytes = base64UrlToBytes(body);
    const claims = bytes && JSON.parse(new TextDecoder().decode(bytes));
    if (
      typeof claims?.sub === 'string' &&
      isUserId(claims.sub) &&
      typeof claims.n === 'string' &&
      NONCE_PATTERN.test(claims.n) &&
      Number.isInteger(claims.exp)
    ) {
      return { userId: claims.sub, nonce: claims.n, exp: claims.exp };
    }
  } catch {
    // fall through: malformed
  }
  return null;
}

/** What an SSE cookie signs: the user, the ticket it belongs to, and its expiry. */
const cookieMessage = (ticket: Ticket, exp: number) => `${ticket.userId}\u0000${ticket.nonce}\u0000${exp}`;

/** The cookie value proving a browser redeemed `ticket`: `<exp>.<mac>`. */
export async function sseSessionCookie(secret: string, ticket: Ticket, exp: number): Promise<string> {
  const mac = await (await purposeKey(secret, 'sse')).sign(cookieMessage(ticket, exp));
  return `${exp}.${bytesToBase64Url(mac)}`;
}

export async function verifySseSessionCookie(
  secret: string,
  ticket: Ticket,
  value: string,
  nowSeconds: number,
): Promise<boolean> {
  const match = /^([0-9]{1,12})\.([A-Za-z0-9_-]{1,64})$/.exec(value);
  if (!match) return false;
  const exp = Number(match[1]);
  const signature = base64UrlToBytes(match[2]!);
  if (exp <= nowSeconds || !signature) return false;
  return (await purposeKey(secret, 'sse')).verify(signature, cookieMessage(ticket, exp));
}
