// Web Push: the user's browsers' subscriptions, and a push of a new inbox
// item when no live connection took it (or no receipt came by `after`), sent
// by the `push` wake. A logout everywhere (a revoke) forgets the subscriptions.

import type { Credential } from '../auth/client-token.ts';
import { HubError } from '../errors.ts';
import { log } from '../observability/log.ts';
import type { PushObservation } from '../observability/observer.ts';
import type { Feature } from '../actor/feature.ts';
import type { PushOptions } from '../actor/inbox.ts';
import type { Kernel } from '../actor/kernel.ts';
import { PushDelivery, type PushSubscriptionRecord } from '../actor/push.ts';
import { roundWake } from './outbound-round.ts';
import { inboxStore, pushStore } from './parts.ts';

/** Web Push (VAPID keys configured); without it, null: nothing is pushed or accepted. */
function delivery(k: Kernel): PushDelivery | null {
  return k.part('pushDelivery', () => {
    const { push, onPush } = k.options;
    const report = onPush ?? ((observed: Omit<PushObservation, 'userId'>) => log.info('push', { ...observed }));
    return push ? new PushDelivery(k.sql, pushStore(k), inboxStore(k), push, report) : null;
  });
}

function requirePush(k: Kernel): void {
  if (!delivery(k)) throw new HubError('push_disabled', 'Web Push is off: the service has no VAPID keys (VAPID_PUBLIC_KEY, VAPID_PRIVATE_KEY, VAPID_SUBJECT).');
}

/**
 * Queues Web Push of a new item to every subscription of the user: by
 * default when no live connection took it now; with `after`, at that time
 * unless a client has acknowledged it by then; never with `push: false`.
 */
export async function queuePush(k: Kernel, itemId: number, push: PushOptions | false | undefined, delivered: number, now: number): Promise<void> {
  if (!delivery(k) || push === false) return;
  const after = push?.after;
  if (after === undefined && delivered > 0) return;
  const dueAt = now + (after ?? 0) * 1000;
  if ((await pushStore(k).enqueue(itemId, dueAt, after !== undefined)) > 0) await k.schedule.request('push', dueAt);
}

/** Adds this browser's push subscription (at most MAX_PUSH_SUBSCRIPTIONS; the oldest goes). Throws 501 without VAPID keys. */
export async function subscribePush(k: Kernel, subscription: PushSubscriptionRecord, credential: Credential | undefined, now: number): Promise<{ subscriptions: number }> {
  await k.refuseRevoked(credential);
  await requirePush(k);
  const store = pushStore(k);
  await k.atomically(() => store.subscribe(subscription, now));
  return { subscriptions: (await store.count()) };
}

/** Removes one of the user's push subscriptions. */
export async function unsubscribePush(k: Kernel, endpoint: string, credential?: Credential): Promise<{ removed: boolean }> {
  await k.refuseRevoked(credential);
  await requirePush(k);
  return { removed: await k.atomically(() => pushStore(k).unsubscribe(endpoint)) };
}

export const push: Feature<Kernel> = {
  wakes: { push: roundWake('push', delivery) },
  async erase(k) {
    await pushStore(k).erase();
  },
  // Logged out everywhere: no browser of the user's keeps getting pushes.
  async revoked(k) {
    await pushStore(k).erase();
  },
};
