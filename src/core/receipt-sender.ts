// Sends one receipt to the publisher's RECEIPTS_URL, signed per Standard
// Webhooks with RECEIPTS_SECRET: the actor's ReceiptSender on every host.

import type { ReceiptSender } from './actor/receipts.ts';
import { signWebhook } from './auth/webhook-signature.ts';
import type { ReceiptConfig } from './config.ts';

/** A receiver that does not answer within this long is tried again later. */
const SEND_TIMEOUT_MS = 10_000;

export function createReceiptSender(config: ReceiptConfig, fetchImpl: typeof fetch = (input, init) => fetch(input, init)): ReceiptSender {
  return async (webhookId, body) => {
    try {
      const headers = await signWebhook(config.secret, webhookId, body);
      const response = await fetchImpl(config.url, {
        method: 'POST',
        headers: { ...headers, 'Content-Type': 'application/json' },
        body,
        signal: AbortSignal.timeout(SEND_TIMEOUT_MS),
      });
      await response.body?.cancel();
      return response.ok;
    } catch {
      return false;
    }
  };
}
