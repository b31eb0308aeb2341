// HMAC-SHA256 and SHA-256 through node:crypto (present on Node, Bun and
// Deno): synchronous, and far cheaper per call than Web Crypto, which hops to
// a thread pool.

import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { HmacKeyFactory, Sha256 } from '../shared/crypto.ts';

export const nodeSha256: Sha256 = async (data) => new Uint8Array(createHash('sha256').update(data).digest());

export const nodeHmacKey: HmacKeyFactory = async (raw) => {
  const key = Buffer.from(raw);
  const mac = (data: string) => createHmac('sha256', key).update(data).digest();
  return {
    sign: async (data) => new Uint8Array(mac(data)),
    verify: async (signature, data) => {
      const expected = mac(data);
      return signature.length === expected.length && timingSafeEqual(expected, signature);
    },
  };
};
