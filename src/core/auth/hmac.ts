// HMAC-SHA256 keys and constant-time verification through Web Crypto.

import { utf8 } from './base64.ts';

const keys = new Map<string, Promise<CryptoKey>>();

/** Imports (once) an HMAC-SHA256 key for raw secret bytes or a string. */
export function hmacKey(secret: Uint8Array | string, cacheKey?: string): Promise<CryptoKey> {
  const id = cacheKey ?? (typeof secret === 'string' ? `s:${secret}` : undefined);
  const cached = id === undefined ? undefined : keys.get(id);
  if (cached) return cached;
  const raw = typeof secret === 'string' ? utf8.encode(secret) : secret;
  const key = crypto.subtle.importKey('raw', raw as BufferSource, { name: 'HMAC', hash: 'SHA-256' }, false, [
    'sign',
    'verify',
  ]);
  if (id !== undefined) {
    if (keys.size > 64) keys.clear();
    keys.set(id, key);
  }
  return key;
}

export async function hmacSign(key: CryptoKey, data: string): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.sign('HMAC', key, utf8.encode(data)));
}

/** Web Crypto's verify compares in constant time. */
export function hmacVerify(key: CryptoKey, signature: Uint8Array, data: string): Promise<boolean> {
  return crypto.subtle.verify('HMAC', key, signature as BufferSource, utf8.encode(data));
}
