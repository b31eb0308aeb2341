// One round of an outbound delivery (receipts, pushes), as a feature's wake runs it.

import type { Kernel } from '../actor/kernel.ts';
import { log } from '../observability/log.ts';
import type { Serial } from '../actor/receipts.ts';

/**
 * Runs one round and asks for the wake of the next due one, even when the
 * round failed. Never a rejection a host could leave unhandled: a failed
 * round is logged and retried at the next wake.
 */
export async function sendRound(k: Kernel, reason: string, delivery: Delivery, now: number): Promise<void> {
  const serial: Serial = (call) => k.run(call);
  k.sending++;
  try {
    // Skipped while another round of this delivery runs: that one asks for the next wake (no wake loop meanwhile).
    if (!(await delivery.round(now, serial))) return;
  } catch (err) {
    log.error(`${reason}_failed`, { error: String(err) });
  } finally {
    k.sending--;
  }
  try {
    await serial(async () => {
      const next = await delivery.nextDue();
      if (next !== null) await k.schedule.request(reason, next);
    });
  } catch (err) {
    log.error(`${reason}_failed`, { error: String(err) });
  }
}

/**
 * A feature's wake for `reason`: one round of its delivery (none when the
 * host configured none), sent on after the wake returns.
 */
export const roundWake =
  (reason: string, delivery: (k: Kernel) => Delivery | null) =>
  async (k: Kernel, _now: number, dueAt: number): Promise<{ sent: Promise<void> } | undefined> => {
    const found = delivery(k);
    return found ? { sent: sendRound(k, reason, found, dueAt) } : undefined;
  };

/** A delivery whose rounds read and settle through `serial` and send between. */
export interface Delivery {
  /** False when a round was running already. */
  round(now: number, serial: Serial): Promise<boolean>;
  nextDue(): Promise<number | null>;
}
