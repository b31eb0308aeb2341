// What a verified client token says, and the port every kind of token
// verifier (HS256, JWKS) implements: one file both import, so neither imports
// the other.

import { isUserId } from '../../protocol/wire.ts';

/**
 * What a verified token says: whose it is, and the session it opens. A
 * connection lives until `expiresAt`; a revoke refuses what was issued before
 * its moment (a token without `iat` counts as issued before any).
 */
export interface Credential {
  userId: string;
  /** The token's `exp`, seconds since the epoch. */
  expiresAt: number;
  /** The token's `iat`, seconds since the epoch; 0 when it has none. */
  issuedAt: number;
}

/** A credential from a token's verified claims, or null when the user id or `exp` is missing. */
export function credentialFrom(payload: { exp?: unknown; iat?: unknown }, userId: unknown): Credential | null {
  if (typeof userId !== 'string' || !isUserId(userId) || typeof payload.exp !== 'number') return null;
  return { userId, expiresAt: payload.exp, issuedAt: typeof payload.iat === 'number' ? payload.iat : 0 };
}

/** Turns a bearer token into its credential, or `null` for every kind of bad token. */
export interface TokenVerifier {
  /** `remember: false` for a token sent once (a stream's open): it is checked in full and not kept. */
  verify(token: string, options?: { remember?: boolean }): Promise<Credential | null>;
}
