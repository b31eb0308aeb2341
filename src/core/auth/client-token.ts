// Client tokens: JWTs naming the user. HS256 with the shared JWT_SECRET, and,
// when configured, tokens from an identity provider checked against its JWKS.
// The token's `alg` picks the one verifier that may check it.

import { decodeProtectedHeader } from 'jose';
import { sign, verify } from 'hono/utils/jwt/jwt';
import type { Config } from '../config.ts';
import type { Credential, TokenVerifier } from './credential.ts';
import { credentialFrom } from './credential.ts';
import { createJwksVerifier } from './jwks-token.ts';

export { credentialFrom, type Credential, type TokenVerifier } from './credential.ts';

/** Tokens longer than this are refused before any parsing. */
const MAX_TOKEN_LENGTH = 4096;

export function createHs256Verifier(secret: string): TokenVerifier {
  return {
    async verify(token) {
      if (token.length > MAX_TOKEN_LENGTH) return null;
      try {
        // verify() pins the algorithm: a header saying `none` or RS256 fails.
        const payload = await verify(token, secret, 'HS256');
        return credentialFrom(payload, payload.sub); // exp is required
      } catch {
        return null;
      }
    },
  };
}

/**
 * The verifier for a service's configuration: HS256 tokens go to the secret,
 * tokens in one of JWT_ALGORITHMS to the JWKS, anything else is refused
 * unread. An HS256 token never reaches the JWKS keys, and the JWKS verifier
 * accepts only asymmetric algorithms, so a token signed with a public key as an
 * HMAC secret (algorithm confusion) fails either way.
 */
export function createClientTokenVerifier(config: Pick<Config, 'jwtSecret' | 'jwks'>): TokenVerifier {
  const hs256 = createHs256Verifier(config.jwtSecret);
  const jwks = config.jwks && createJwksVerifier(config.jwks);
  const algorithms = config.jwks?.algorithms ?? [];
  const verified = new VerifiedTokens();
  return {
    async verify(token, { remember = true } = {}) {
      if (token.length > MAX_TOKEN_LENGTH) return null;
      const known = verified.get(token);
      if (known) return known;
      const credential = await check(token);
      if (credential && remember) verified.add(token, credential);
      return credential;
    },
  };

  async function check(token: string): Promise<Credential | null> {
    let alg: unknown;
    try {
      alg = decodeProtectedHeader(token).alg;
    } catch {
      return null;
    }
    if (alg === 'HS256') return hs256.verify(token);
    if (jwks && typeof alg === 'string' && algorithms.includes(alg)) return jwks.verify(token);
    return null;
  }
}

/**
 * Tokens verified lately, by their exact text: a long-polling client sends
 * the same token on every poll, and verifying it again each time was a tenth
 * of a host's CPU. An entry is used until the token's `exp` and for at most
 * five minutes (a key the provider has since withdrawn stops counting then);
 * at most 10,000 are kept, the oldest dropped first. Only a text that was
 * verified in full is ever found here.
 */
class VerifiedTokens {
  static readonly MAX = 10_000;
  static readonly TTL_MS = 5 * 60_000;
  readonly #entries = new Map<string, { credential: Credential; until: number }>();

  get(token: string): Credential | null {
    const entry = this.#entries.get(token);
    if (!entry) return null;
    if (entry.until > Date.now()) return entry.credential;
    this.#entries.delete(token);
    return null;
  }

  add(token: string, credential: Credential): void {
    if (this.#entries.size >= VerifiedTokens.MAX) this.#entries.delete(this.#entries.keys().next().value!);
    this.#entries.set(token, { credential, until: Math.min(credential.expiresAt * 1000, Date.now() + VerifiedTokens.TTL_MS) });
  }
}

/** Mints an HS256 token; used for development tokens and tests. */
export function signClientToken(secret: string, userId: string, ttlSeconds = 3600): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return sign({ sub: userId, iat: now, exp: now + ttlSeconds }, secret, 'HS256');
}
