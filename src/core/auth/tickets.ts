// Connection tickets and the SSE resume cookie.
//
// Browsers' WebSocket and EventSource cannot send an Authorization header, and a
// token in a URL ends up in logs. So a client trades its token for a ticket:
// short-lived, bound to the user, signed by the service (no shared store), and
// single-use: the user's actor remembers each ticket nonce it has accepted.
//
// A browser's EventSource reconnects by itself to the same URL, whose ticket is
// by then spent. When a ticket opens an SSE stream the response also sets an
// HttpOnly cookie, scoped to the stream path and named after the ticket's user,
// which proves "this browser redeemed a ticket of this user". A reconnect
// carrying a spent ticket of that user and the cookie resumes the stream; the
// URL alone (from a log, say) is worthless. One cookie per user, replaced by
// each new one: a browser holds one per signed-in user however often it
// reconnects, and two tabs signed in as two users never read each other's stream.
//
// Every ticket and cookie carries the session of the token it came from (its
// `exp` and `iat`): a connection opened with either lives no longer than that
// token, and a revoke (`iat` before its moment) refuses both.

import { base64UrlToBytes, bytesToBase64Url, utf8 } from '../../shared/base64.ts';
import { hmacKey } from '../../shared/crypto.ts';
import { isUserId } from '../../protocol/wire.ts';
import type { Credential } from './client-token.ts';

/** A ticket: single use, redeemable until `exp`, for a session that ends at `expiresAt`. */
export interface Ticket extends Credential {
  /** Random, unique per ticket: the single-use key. */
  nonce: string;
  /** End of the redemption window, seconds since the epoch (never after `expiresAt`). */
  exp: number;
}

export const SSE_COOKIE_PREFIX = 'hub_sse_';
export const SSE_COOKIE_PATH = '/v1/events';
const NONCE_PATTERN = /^[A-Za-z0-9_-]{22}$/;

/** Tickets and cookies are signed with keys derived from the JWT secret, one per purpose. */
const purposeKey = (secret: string, purpose: string) => hmacKey(`${purpose}\u0000${secret}`);

export async function issueTicket(secret: string, credential: Credential, ttlSeconds: number, nowSeconds: number) {
  const nonce = bytesToBase64Url(crypto.getRandomValues(new Uint8Array(16)));
  const exp = Math.min(nowSeconds + ttlSeconds, credential.expiresAt);
  const claims = { sub: credential.userId, n: nonce, exp, sx: credential.expiresAt, ia: credential.issuedAt };
  const body = bytesToBase64Url(utf8.encode(JSON.stringify(claims)));
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
      Number.isInteger(claims.exp) &&
      Number.isInteger(claims.sx) &&
      Number.isInteger(claims.ia)
    ) {
      return { userId: claims.sub, nonce: claims.n, exp: claims.exp, expiresAt: claims.sx, issuedAt: claims.ia };
    }
  } catch {
    // fall through: malformed
  }
  return null;
}

/** The SSE cookie of one user: one name per user, so each new one replaces the last. */
export const sseCookieName = (userId: string): string => `${SSE_COOKIE_PREFIX}${bytesToBase64Url(utf8.encode(userId))}`;

/** What an SSE cookie signs: the user and the session it resumes. */
const cookieMessage = (session: Credential) => `${session.userId}\u0000${session.expiresAt}\u0000${session.issuedAt}`;

/** The cookie value proving a browser redeemed a ticket of `session.userId`: `<expiresAt>.<issuedAt>.<mac>`. */
export async function sseSessionCookie(secret: string, session: Credential): Promise<string> {
  const mac = await (await purposeKey(secret, 'sse')).sign(cookieMessage(session));
  return `${session.expiresAt}.${session.issuedAt}.${bytesToBase64Url(mac)}`;
}

/** The session a cookie of `userId` resumes, or null when it is forged, malformed or expired. */
export async function verifySseSessionCookie(
  secret: string,
  userId: string,
  value: string,
  nowSeconds: number,
): Promise<Credential | null> {
  const match = /^([0-9]{1,12})\.([0-9]{1,12})\.([A-Za-z0-9_-]{1,64})$/.exec(value);
  if (!match) return null;
  const session = { userId, expiresAt: Number(match[1]), issuedAt: Number(match[2]) };
  const signature = base64UrlToBytes(match[3]!);
  if (session.expiresAt <= nowSeconds || !signature) return null;
  return (await (await purposeKey(secret, 'sse')).verify(signature, cookieMessage(session))) ? session : null;
}
