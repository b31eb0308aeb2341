// Standard Webhooks (standardwebhooks.com) signatures: HMAC-SHA256 over
// `${webhook-id}.${webhook-timestamp}.${body}` with a `whsec_<base64>` secret.
// A request without a body signs `METHOD path?query` in its place, so what is
// signed always names its target (signedContent).

import { base64ToBytes, bytesToBase64 } from './base64.ts';
import { hmacKey, type HmacKey } from './crypto.ts';
import { WEBHOOK_ID_PATTERN } from '../protocol/wire.ts';

/** Signed requests older or newer than this are refused (replay window). */
export const TIMESTAMP_TOLERANCE_SECONDS = 5 * 60;
/** More signatures than this in one header are refused rather than tried. */
const MAX_SIGNATURES = 8;

export interface WebhookHeaders {
  id: string | undefined;
  timestamp: string | undefined;
  signature: string | undefined;
}

/** Keys by secret text, so a secret is base64-decoded and imported once, not per request. */
const secretKeys = new Map<string, Promise<HmacKey> | null>();

function secretKey(secret: string): Promise<HmacKey> | null {
  let key = secretKeys.get(secret);
  if (key === undefined) {
    const bytes = base64ToBytes(secret.slice('whsec_'.length));
    key = bytes && bytes.length > 0 ? hmacKey(bytes, secret) : null;
    if (secretKeys.size > 64) secretKeys.clear();
    secretKeys.set(secret, key);
  }
  return key;
}

/**
 * What a request signs in the body's place: its body when it has one, else the
 * method in capitals, one space, and the path and query exactly as in the
 * request line (percent-encoding as sent, nothing normalised or reordered),
 * e.g. `GET /v1/users/john/presence`.
 */
export function signedContent(method: string, pathAndQuery: string, body?: string): string {
  return body === undefined ? `${method.toUpperCase()} ${pathAndQuery}` : body;
}

/**
 * Verifies a signed request; resolves to the webhook-id, or `null` when any
 * part is missing, malformed, stale or signed with another secret. Several
 * `bodies` are tried in turn (a deployment moving its publishers over).
 */
export async function verifyWebhook(
  secrets: readonly string[],
  headers: WebhookHeaders,
  bodies: string | readonly string[],
  nowSeconds = Math.floor(Date.now() / 1000),
): Promise<string | null> {
  const { id, timestamp, signature } = headers;
  if (!id || !timestamp || !signature) return null;
  if (!WEBHOOK_ID_PATTERN.test(id) || !/^[0-9]{1,12}$/.test(timestamp)) return null;
  if (Math.abs(nowSeconds - Number(timestamp)) > TIMESTAMP_TOLERANCE_SECONDS) return null;

  const candidates = signature
    .split(' ')
    .filter((entry) => entry.startsWith('v1,'))
    .slice(0, MAX_SIGNATURES)
    .map((entry) => base64ToBytes(entry.slice(3)))
    .filter((bytes): bytes is Uint8Array => bytes !== null && bytes.length === 32);
  if (candidates.length === 0) return null;

  for (const body of typeof bodies === 'string' ? [bodies] : bodies) {
    const content = `${id}.${timestamp}.${body}`;
    for (const secret of secrets) {
      const key = secretKey(secret);
      if (!key) continue;
      for (const candidate of candidates) {
        if (await (await key).verify(candidate, content)) return id;
      }
    }
  }
  return null;
}

/** Signs a request body: the three headers a publisher sends. */
export async function signWebhook(
  secret: string,
  id: string,
  body: string,
  nowSeconds = Math.floor(Date.now() / 1000),
): Promise<Record<'webhook-id' | 'webhook-timestamp' | 'webhook-signature', string>> {
  const key = secretKey(secret);
  if (!key) throw new TypeError('secret must be whsec_<base64>');
  const timestamp = String(nowSeconds);
  const mac = await (await key).sign(`${id}.${timestamp}.${body}`);
  return {
    'webhook-id': id,
    'webhook-timestamp': timestamp,
    'webhook-signature': `v1,${bytesToBase64(mac)}`,
  };
}
