// Client tokens for your backend to hand to its signed-in users: HS256 JWTs
// with the claims the service requires (`sub`, `iat`, `exp`), signed with
// JWT_SECRET by Web Crypto alone, so the same code runs in Node, Bun, Deno,
// Workers and any framework's route.

import { isUserId } from '../protocol/wire.ts';

export interface ClientTokenOptions {
  /** The service's JWT_SECRET (at least 32 bytes, as the service requires). */
  secret: string;
  /** Seconds until the token expires: the session it opens lasts as long. Default 3600. */
  expiresIn?: number;
  /** An `aud` claim, for a service configured to expect one. */
  audience?: string;
}

const utf8 = new TextEncoder();
const base64Url = (bytes: Uint8Array) => btoa(String.fromCharCode(...bytes)).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
const part = (value: object) => base64Url(utf8.encode(JSON.stringify(value)));

/**
 * A client token for `userId`: give it to that user's client (`connect({ getToken })`).
 * Mint it in your backend, after your own login check; never in a browser.
 *
 * @example
 * // A route of your backend (Hono): the signed-in user's token.
 * app.get('/api/hub-token', async (c) => c.text(await createClientToken(c.get('user').id, { secret: c.env.JWT_SECRET })));
 */
export async function createClientToken(userId: string, options: ClientTokenOptions): Promise<string> {
  if (!isUserId(userId)) throw new TypeError(`createClientToken: not a valid user id: ${JSON.stringify(userId).slice(0, 140)}`);
  if (utf8.encode(options.secret).length < 32) throw new TypeError('createClientToken: the secret must be at least 32 bytes (the service refuses a shorter JWT_SECRET)');
  const expiresIn = options.expiresIn ?? 3600;
  if (!Number.isInteger(expiresIn) || expiresIn <= 0) throw new TypeError('createClientToken: expiresIn must be a positive whole number of seconds');
  const now = Math.floor(Date.now() / 1000);
  const claims = { sub: userId, iat: now, exp: now + expiresIn, ...(options.audience === undefined ? {} : { aud: options.audience }) };
  const unsigned = `${part({ alg: 'HS256', typ: 'JWT' })}.${part(claims)}`;
  const key = await crypto.subtle.importKey('raw', utf8.encode(options.secret), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
  return `${unsigned}.${base64Url(new Uint8Array(await crypto.subtle.sign('HMAC', key, utf8.encode(unsigned))))}`;
}
