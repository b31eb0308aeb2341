// One round of an outbound delivery (receipts, pushes), as a feature's wake runs it.

import type { Kernel } from '../actor/kernel.ts';
import { log } from '../observability/log.ts';

/**
 * Runs one round and asks for the wake of the next due one, even when the
 * round failed. Never a rejection a host could leave unhandled: a failed
 * round is logged and retried at the next wake.
 */
export async function sendRound(k: Kernel, reason: string, delivery: { round(now: number): Promise<void>; nextDue(): number | null }, now: number): Promise<void> {
  try {
    await delivery.round(now);
  } catch (err) {
    log.error(`${reason}_failed`, { error: String(err) });
  } finally {
    const next = delivery.nextDue();
    if (next !== null) k.schedule.request(reason, next);
  }
}
