// Ending a user's sessions and erasing the user: every connection closed with
// 4503, then the revocation point moved (and, for an erasure, every row of the
// log and of each feature deleted), once per webhook-id. Calls of the kernel.

import { CloseCode } from '../../protocol/wire.ts';
import type { IdempotencyKey } from './dedupe.ts';
import type { Kernel } from './kernel.ts';
import type { Ended } from './options.ts';

/** What an erasure removed: the events, and what each feature counts (jobs, notifications). */
export type Erasure = Ended & { events: number };

const ENDED = 'ended by the service';

/** Closes every connection (4503) and forgets it; how many there were. */
function closeAll(k: Kernel, code: number = CloseCode.ended, reason = ENDED): number {
  const connections = [...k.connections.tagged()];
  for (const connection of connections) {
    k.close(connection, code, reason);
    k.connections.remove(connection);
  }
  return connections.length;
}

/**
 * The publisher ends the user's sessions: every stream and long poll is
 * closed with 4503. With `revoke`, every credential issued before now is
 * refused from then on (tickets, SSE cookies, tokens: by the token's `iat`).
 */
export async function endSessions(k: Kernel, options: { revoke?: boolean }, idempotency: IdempotencyKey | undefined, now: number): Promise<Ended> {
  const seen = idempotency && (await k.dedupe.seen<Ended>(idempotency));
  if (seen) return { ...seen, duplicate: true };
  const result = { closed: closeAll(k) };
  await k.atomically(async () => {
    if (options.revoke) {
      await k.revocation.revoke(now);
      for (const feature of k.features) await feature.revoked?.(k);
    }
    if (idempotency) await k.remember(idempotency, result, now);
  });
  // Other nodes close theirs once the revocation is committed: a reconnect there is refused.
  k.options.peers?.ended(CloseCode.ended, ENDED);
  return result;
}

/**
 * Erases the user: ends every connection (4503), deletes the events and every
 * feature's rows. What stays is not the user's: the id high-water mark (a
 * resume point from before gets `hub.reset`) and a revocation point (no
 * credential from before opens anything).
 */
export async function erase(k: Kernel, idempotency: IdempotencyKey | undefined, now: number): Promise<Erasure> {
  const seen = idempotency && (await k.dedupe.seen<Erasure>(idempotency));
  if (seen) return { ...seen, duplicate: true };
  const closed = closeAll(k);
  const erased = await k.atomically(async () => {
    const result: Erasure = { closed, events: await k.log.erase() };
    for (const feature of k.features) Object.assign(result, await feature.erase?.(k));
    await k.dedupe.forget(Number.MAX_SAFE_INTEGER);
    await k.schedule.clear();
    await k.revocation.revoke(now);
    // Kept, so a replay of this request inside its signature window is answered and not redone.
    if (idempotency) await k.remember(idempotency, result, now);
    return result;
  });
  k.options.peers?.ended(CloseCode.ended, ENDED);
  return erased;
}

/** Another node ended the user's sessions: this node closes its connections too (the revocation is already committed). */
export const closeHere = (k: Kernel, code: number, reason: string): number => closeAll(k, code, reason);
