// Sends one receipt to the publisher's RECEIPTS_URL, signed per Standard
// Webhooks with RECEIPTS_SECRET: the actor's ReceiptSender on every host.

import type { ReceiptSender } from './actor/receipts.ts';
import { signWebhook } from '../shared/webhook-signature.ts';
import type { ReceiptConfig } from './config.ts';
import { postOnce } from './outbound.ts';

export function createReceiptSender(config: ReceiptConfig, fetchImpl: typeof fetch = (input, init) => fetch(input, init)): ReceiptSender {
  return async (webhookId, body) => {
    try {
      const headers = await signWebhook(config.secret, webhookId, body);
      // A redirect is a failed attempt, retried like a 5xx: a signed receipt goes to RECEIPTS_URL only.
      const status = await postOnce(fetchImpl, 'receipt', config.url, { headers: { ...headers, 'Content-Type': 'application/json' }, body });
      return status >= 200 && status < 300;
    } catch {
      return false;
    }
  };
}
