// HMAC-SHA256 keys with constant-time verification. Web Crypto by default, so
// the same code runs everywhere; a host may install a faster implementation
// of the same contract (Node's Web Crypto hops to a thread pool per call, which
// costs more than the HMAC itself).

import { utf8 } from './base64.ts';

export interface HmacKey {
  sign(data: string): Promise<Uint8Array>;
  /** Compares in constant time. */
  verify(signature: Uint8Array, data: string): Promise<boolean>;
}

export type HmacKeyFactory = (raw: Uint8Array) => Promise<HmacKey>;

const webCryptoKey: HmacKeyFactory = async (raw) => {
  const key = await crypto.subtle.importKey('raw', raw as BufferSource, { name: 'HMAC', hash: 'SHA-256' }, false, [
    'sign',
    'verify',
  ]);
  return {
    sign: async (data) => new Uint8Array(await crypto.subtle.sign('HMAC', key, utf8.encode(data))),
    // Web Crypto's verify compares in constant time.
    verify: (signature, data) => crypto.subtle.verify('HMAC', key, signature as BufferSource, utf8.encode(data)),
  };
};

let createKey: HmacKeyFactory = webCryptoKey;
const keys = new Map<string, Promise<HmacKey>>();

/** Installs another HMAC-SHA256 implementation (hosts only, at start). */
export function useHmacImplementation(factory: HmacKeyFactory): void {
  createKey = factory;
  keys.clear();
}

/** The HMAC-SHA256 key for raw secret bytes or a string, imported once. */
export function hmacKey(secret: Uint8Array | string, cacheKey?: string): Promise<HmacKey> {
  const id = cacheKey ?? (typeof secret === 'string' ? `s:${secret}` : undefined);
  const cached = id === undefined ? undefined : keys.get(id);
  if (cached) return cached;
  const key = createKey(typeof secret === 'string' ? utf8.encode(secret) : secret);
  if (id !== undefined) {
    if (keys.size > 64) keys.clear();
    keys.set(id, key);
  }
  return key;
}
