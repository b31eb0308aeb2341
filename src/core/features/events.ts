// A publisher's events: the checks every publisher input passes again in the
// actor (the routes validated it already; the actor does not take it on
// trust), the per-user publish rate, and publish itself.

import { badRequest } from '../errors.ts';
import { EVENT_TYPE_PATTERN, isReservedType, type PublishResult } from '../../protocol/wire.ts';
import type { IdempotencyKey } from '../actor/dedupe.ts';
import type { Kernel } from '../actor/kernel.ts';
import type { JsonText } from '../json.ts';
import { TokenBucket } from '../actor/rate-limit.ts';
import { EVENTS } from '../actor/ports.ts';
import { receivers } from '../actor/relay.ts';

export interface PublishInput extends IdempotencyKey {
  type: string;
  /** The event's data as canonical one-line JSON text (canonicalJson). */
  data: JsonText;
}

/** Event types a publisher may use: the pattern, and none of the service's own (hub., inbox., job.). */
export function checkType(type: string): void {
  if (!EVENT_TYPE_PATTERN.test(type) || isReservedType(type)) throw badRequest('type: not an event type a publisher may use.');
}

/** Data arrives as canonical JSON text from the routes; here only its size is checked again (parsing it costs a publish). */
export function checkData(k: Kernel, data: string): void {
  if (typeof data !== 'string' || data.length === 0 || data.length > k.limits.maxEventBytes) throw badRequest('data: JSON text within MAX_EVENT_BYTES.');
}

/** Every event the user receives from a publisher (publish, notify, a job's change) spends one token of PUBLISH_RATE_PER_USER. */
export async function spendPublishBudget(k: Kernel, now: number): Promise<void> {
  const { publishRatePerUser: rate, publishBurstPerUser: burst } = k.limits;
  await k.spend('publishBudget', () => new TokenBucket(rate, burst), now, `This user receives at most ${rate} events a second`);
}

/**
 * Appends an event and writes it to every live connection of this user.
 * Throws 429 when the user's publish rate is exceeded; nothing is stored then.
 * A retried webhook-id is answered from the dedupe table, limit or not.
 */
export async function publish(k: Kernel, input: PublishInput, now: number): Promise<PublishResult> {
  checkType(input.type);
  checkData(k, input.data);
  return await k.once(input, now, async () => {
    await spendPublishBudget(k, now);
    const event = await k.insertEvent(input.type, input.data, now);
    return { result: { id: String(event.row.id), delivered: await receivers(k) }, event };
  });
}
