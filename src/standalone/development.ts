// The development settings a self-hosted run must never expose: the secrets
// published in .dev.vars.example and the demo's token endpoint. On a loopback
// HOST only this machine can reach them; anywhere else the host refuses to start.

import type { Env } from '../core/config.ts';
import { isLoopbackName } from './host-header.ts';

/** The secrets committed in .dev.vars.example: public, so worthless as secrets. */
export const PUBLISHED_DEVELOPMENT_SECRETS: Readonly<Record<'JWT_SECRET' | 'WEBHOOK_SECRET', string>> = {
  JWT_SECRET: 'dev-only-jwt-secret-change-me-0123456789abcdef',
  WEBHOOK_SECRET: 'whsec_ZGV2LW9ubHktd2ViaG9vay1zZWNyZXQtY2hhbmdlLW1l',
};

const values = (raw: unknown): string[] => (typeof raw === 'string' ? raw.split(/[\s,]+/).filter(Boolean) : []);

/** Why `env` may not listen on `host`, or null when it may. */
export function developmentSettingsRefusal(env: Env, host: string): string | null {
  if (isLoopbackName(host.toLowerCase())) return null;
  for (const [name, secret] of Object.entries(PUBLISHED_DEVELOPMENT_SECRETS)) {
    if (values(env[name]).includes(secret)) {
      return `${name} is the published development secret from .dev.vars.example; set a real one to listen on ${host}.`;
    }
  }
  if (env.DEMO_ENABLED === 'true' || env.DEMO_ENABLED === true) {
    return `DEMO_ENABLED=true hands out a token for any user; it is refused on a non-loopback HOST (${host}).`;
  }
  return null;
}

/**
 * Development mode, where the start scripts may fill in .dev.vars.example: no
 * real secret in the environment and a loopback HOST.
 */
export function isDevelopmentMode(env: Env): boolean {
  const host = typeof env.HOST === 'string' && env.HOST !== '' ? env.HOST : '127.0.0.1';
  return isLoopbackName(host.toLowerCase()) && !env.JWT_SECRET && !env.WEBHOOK_SECRET;
}
