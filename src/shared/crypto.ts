// HMAC-SHA256 keys with constant-time verification, and SHA-256. Web Crypto
// by default, so the same code runs everywhere; a host may install a faster
// implementation of the same contract (Web Crypto on Node and Bun hops to a
// thread pool per call, which costs far more than the hash itself: on Bun a
// digest per publish was a sixth of the host's CPU).

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

/** SHA-256 of a text's UTF-8 bytes. */
export type Sha256 = (data: string) => Promise<Uint8Array>;

const webCryptoSha256: Sha256 = async (data) => new Uint8Array(await crypto.subtle.digest('SHA-256', utf8.encode(data)));

let createKey: HmacKeyFactory = webCryptoKey;
let digest: Sha256 = webCryptoSha256;
const keys = new Map<string, Promise<HmacKey>>();

/** Installs other HMAC-SHA256 and SHA-256 implementations (hosts only, at start). */
export function useCryptoImplementation(implementation: { hmacKey: HmacKeyFactory; sha256: Sha256 }): void {
  createKey = implementation.hmacKey;
  digest = implementation.sha256;
  keys.clear();
}

/** SHA-256 of `data` (UTF-8). */
export const sha256 = (data: string): Promise<Uint8Array> => digest(data);

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
