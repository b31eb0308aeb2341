// Receipts: when an inbox item is received, seen or read, a signed webhook to
// the publisher (RECEIPTS_URL), queued in the write that set the time and
// sent by the `receipts` wake, retried until it is delivered or too old.

import type { Feature } from '../actor/feature.ts';
import type { StoredItem } from '../actor/inbox.ts';
import type { Kernel } from '../actor/kernel.ts';
import { RECEIPT_KINDS, ReceiptDelivery } from '../actor/receipts.ts';
import { roundWake } from './outbound-round.ts';
import { receiptOutbox } from './parts.ts';

/** Receipts to the publisher (RECEIPTS_URL configured); without it, null and none are queued. */
const delivery = (k: Kernel): ReceiptDelivery | null =>
  k.part('receipts', () => (k.options.receipts ? new ReceiptDelivery(k.sql, receiptOutbox(k), k.options.receipts) : null));

/** Queues a receipt for each receipt time these items got now, and asks to be woken to send them. */
export async function queueReceipts(k: Kernel, items: readonly StoredItem[], now: number): Promise<void> {
  const receipts = delivery(k);
  if (!receipts || items.length === 0) return;
  for (const item of items) {
    for (const kind of RECEIPT_KINDS) if (item.row[`${kind}_at`] === now) await receipts.enqueue(item.row.id, kind, now);
  }
  await k.schedule.request('receipts', now);
}

export const receipts: Feature<Kernel> = {
  wakes: { receipts: roundWake('receipts', delivery) },
  async erase(k) {
    await receiptOutbox(k).erase();
  },
};
