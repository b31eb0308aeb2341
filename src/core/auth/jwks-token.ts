// Client tokens from an identity provider: JWTs signed with one of the keys the
// provider publishes as a JWKS, fetched by URL and cached (jose's remote key
// set). Algorithms pinned, `iss` / `aud` / `exp` / `nbf` checked with a stated
// clock skew, and the user id read from a configurable claim.

import { createRemoteJWKSet, jwtVerify } from 'jose';
import type { JwksSettings } from '../config.ts';
import { credentialFrom, type TokenVerifier } from './credential.ts';

/**
 * How the key set behaves, jose's defaults written out: keys are reused for
 * 10 minutes, then fetched again before the next verification; a token whose
 * `kid` is unknown triggers a fetch at once (a provider's key rotation), but at
 * most once per 30 s, so forged `kid`s cannot make us hammer the provider; a
 * fetch that takes over 5 s fails, and so do the tokens waiting on it.
 */
export const JWKS_CACHE = { cacheMaxAge: 10 * 60_000, cooldownDuration: 30_000, timeoutDuration: 5_000 };

type KeySet = ReturnType<typeof createRemoteJWKSet>;

/** One key set per URL for the life of the isolate or process, whatever config object asks. */
const keySets = new Map<string, KeySet>();

function keySetFor(url: string): KeySet {
  let keySet = keySets.get(url);
  if (!keySet) keySets.set(url, (keySet = createRemoteJWKSet(new URL(url), JWKS_CACHE)));
  return keySet;
}

export function createJwksVerifier(settings: JwksSettings): TokenVerifier {
  const keySet = keySetFor(settings.url);
  return {
    async verify(token) {
      try {
        const { payload } = await jwtVerify(token, keySet, {
          algorithms: settings.algorithms,
          issuer: settings.issuers,
          audience: settings.audiences.length ? settings.audiences : undefined,
          clockTolerance: settings.clockSkewSeconds,
          requiredClaims: ['exp'],
        });
        return credentialFrom(payload, payload[settings.userClaim]);
      } catch {
        // Bad signature, unknown key, wrong claim, provider unreachable: all the same refusal.
        return null;
      }
    },
  };
}
