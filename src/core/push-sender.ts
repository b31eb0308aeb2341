// Sends one Web Push: the payload encrypted for the subscription (RFC 8291,
// aes128gcm, padded to a constant size) and the request signed with the
// service's VAPID key (RFC 8292, the `vapid` scheme), by
// @block65/webcrypto-web-push on Web Crypto alone, so the same code runs in
// Workers, Bun, Deno and Node; then POSTed to the push service (RFC 8030).

import { buildPushPayload } from '@block65/webcrypto-web-push';
import type { PushSender } from './actor/push.ts';
import type { PushConfig } from './config.ts';
import { log } from './observability/log.ts';
import { postOnce } from './outbound.ts';

/** What a push service says of a subscription that is no more: the actor then forgets it. */
const GONE = 410;

/**
 * Only the browsers' push services (PUSH_ENDPOINT_HOSTS): the actor never
 * POSTs to a URL a client made up. An entry is a host (and its subdomains) on
 * port 443, or `host:port` for that port only; an endpoint with a user or a
 * password in it is refused whatever its host.
 */
export function isAllowedPushEndpoint(allowedHosts: readonly string[], endpoint: string): boolean {
  if (!URL.canParse(endpoint)) return false;
  const url = new URL(endpoint);
  if (url.protocol !== 'https:' || url.username !== '' || url.password !== '') return false;
  const port = url.port || '443';
  return allowedHosts.some((entry) => {
    const [, host = entry, allowedPort = '443'] = /^(.*):(\d+)$/.exec(entry) ?? [];
    return port === allowedPort && (url.hostname === host || url.hostname.endsWith(`.${host}`));
  });
}

export function createPushSender(config: PushConfig, fetchImpl: typeof fetch = (input, init) => fetch(input, init)): PushSender {
  const vapid = { subject: config.subject, publicKey: config.publicKey, privateKey: config.privateKey };
  return async (subscription, payload, options) => {
    // A subscription stored before the allowlist said otherwise (a port, a user, a host since removed) is dropped, never sent to.
    if (!isAllowedPushEndpoint(config.endpointHosts, subscription.endpoint)) {
      log.warn('push_endpoint_refused', { host: URL.canParse(subscription.endpoint) ? new URL(subscription.endpoint).host : null });
      return GONE;
    }
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
