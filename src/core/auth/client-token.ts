// Client tokens: JWTs whose `sub` names the user. HS256 with a shared secret,
// algorithm pinned; verifiers are one interface so JWKS can join later.

import { sign, verify } from 'hono/utils/jwt/jwt';
import { isUserId } from '../protocol.ts';

/** Turns a bearer token into a user id, or `null` for every kind of bad token. */
export interface TokenVerifier {
  verify(token: string): Promise<string | null>;
}

/** Tokens longer than this are refused before any parsing. */
const MAX_TOKEN_LENGTH = 4096;

export function createHs256Verifier(secret: string): TokenVerifier {
  return {
    async verify(token) {
      if (token.length > MAX_TOKEN_LENGTH) return null;
      try {
        // verify() pins the algorithm: a header saying `none` or RS256 fails.
        const payload = await verify(token, secret, 'HS256');
        if (typeof payload.exp !== 'number') return null; // exp is required
        const sub = payload.sub;
        return typeof sub === 'string' && isUserId(sub) ? sub : null;
      } catch {
        return null;
      }
    },
  };
}

/** Mints an HS256 token; used for development tokens and tests. */
export function signClientToken(secret: string, userId: string, ttlSeconds = 3600): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return sign({ sub: userId, iat: now, exp: now + ttlSeconds }, secret, 'HS256');
}
