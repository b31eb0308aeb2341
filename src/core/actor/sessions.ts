// How long a connection may live, and who may open one: a stream's session
// ends with the credential it was opened with, is warned some time before,
// and a revoke refuses every credential not issued after its second.

import type { Credential } from '../auth/client-token.ts';
import { OwnedRows, type Session } from './ports.ts';

/** `hub.expiring` comes this long before the end: a minute, or a tenth of a shorter session. */
export const warningLead = (lifetimeMs: number): number => Math.min(60_000, Math.max(0, lifetimeMs) / 10);

/** The session a stream opened (or refreshed) at `now` with `credential` holds. */
export function sessionFor(credential: Credential, now: number): Session {
  const expiresAt = credential.expiresAt * 1000;
  return { userId: credential.userId, expiresAt, warnAt: expiresAt - warningLead(expiresAt - now), issuedAt: credential.issuedAt };
}

/**
 * The user's revocation point, the second (`iat` resolution) of the last
 * revoke: a credential issued in that second or before is refused, so a token
 * minted in the same second as a revoke, even just before it, opens nothing
 * and must be minted again.
 */
export class Revocation extends OwnedRows {
  /** Read on first use: a publish never needs it, and an actor should start with no more reads than it must. */
  #loaded: number | undefined;

  /** Forgets what was read: read again on next use (a rollback, or a store another node writes). */
  forget(): void {
    this.#loaded = undefined;
  }

  /** Kept between calls only where nothing else writes the store (SqlStore.singleWriter). */
  async #before(): Promise<number> {
    if (!this.sql.singleWriter) this.#loaded = undefined;
    this.#loaded ??= (await this.sql.all<{ value: number }>(`SELECT value FROM meta WHERE owner = ? AND key = 'revoked_before'`, this.owner))[0]?.value ?? 0;
    return this.#loaded;
  }

  /** Whether a credential issued at `issuedAt` (seconds; 0 for a token without `iat`) is still honoured. */
  async admits(credential: Pick<Credential, 'issuedAt'>): Promise<boolean> {
    const before = await this.#before();
    return before === 0 || credential.issuedAt > before;
  }

  /** Refuses, from now on, every credential issued in the second of `now` (ms) or before. */
  async revoke(now: number): Promise<void> {
    const before = (this.#loaded = Math.max(await this.#before(), Math.floor(now / 1000)));
    await this.sql.run(
      `INSERT INTO meta (owner, key, value) VALUES (?, 'revoked_before', ?) ON CONFLICT (owner, key) DO UPDATE SET value = excluded.value`,
      this.owner,
      before,
    );
  }
}
