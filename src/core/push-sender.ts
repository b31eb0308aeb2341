// Sends one Web Push: the payload encrypted for the subscription (RFC 8291,
// aes128gcm, padded to a constant size) and the request signed with the
// service's VAPID key (RFC 8292, the `vapid` scheme), by
// @block65/webcrypto-web-push on Web Crypto alone, so the same code runs in
// Workers, Bun, Deno and Node; then POSTed to the push service (RFC 8030).

import { buildPushPayload } from '@block65/webcrypto-web-push';
import type { PushSender } from './actor/push.ts';
import type { PushConfig } from './config.ts';
import { postOnce } from './outbound.ts';

export function createPushSender(config: PushConfig, fetchImpl: typeof fetch = (input, init) => fetch(input, init)): PushSender {
  const vapid = { subject: config.subject, publicKey: config.publicKey, privateKey: config.privateKey };
  return async (subscription, payload, options) => {
    try {
      const request = await buildPushPayload(
        {
          data: payload,
          // The library's type lists three urgencies; RFC 8030 §5.3 has four and the header is sent as given.
          options: { ttl: options.ttl, ...(options.urgency ? { urgency: options.urgency as 'low' } : {}), ...(options.topic ? { topic: options.topic } : {}) },
        },
        { endpoint: subscription.endpoint, expirationTime: null, keys: { p256dh: subscription.p256dh, auth: subscription.auth } },
        vapid,
      );
      // A redirect is the push service answering wrongly: refused, never followed.
      return await postOnce(fetchImpl, 'push', subscription.endpoint, { headers: request.headers, body: request.body });
    } catch {
      return null;
    }
  };
}
