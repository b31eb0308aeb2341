// Service settings read from environment variables (Worker vars and secrets, or
// process env on standalone hosts). Defaults are chosen to be defensible in
// production; every one can be overridden.

import { base64ToBytes, base64UrlToBytes } from '../shared/base64.ts';
import { HubError } from './errors.ts';

export interface Limits {
  /** Live connections (WebSocket + SSE) one user may hold at once. */
  maxConnectionsPerUser: number;
  /** Largest publish request body, in bytes. */
  maxEventBytes: number;
  /** Events kept per user, newest first. */
  retentionMaxEvents: number;
  /** Oldest event kept, in seconds. */
  retentionMaxAgeSeconds: number;
  /** How long a webhook-id is remembered; senders retry for about three days. */
  dedupeTtlSeconds: number;
  /** How long after a publish the actor's alarm prunes the log. */
  pruneDelaySeconds: number;
  /** Events per second one user may receive, sustained; 0 turns the limit off. */
  publishRatePerUser: number;
  /** Events one user may receive at once above the sustained rate. */
  publishBurstPerUser: number;
  /** Most bytes of events one connection is replayed before it is told to resume (4009). */
  replayMaxBytes: number;
  /** Inbox items kept per user, newest first. */
  inboxMaxItems: number;
  /** Oldest inbox item kept, in seconds. */
  inboxMaxAgeSeconds: number;
}

/**
 * Client tokens from an identity provider, checked against the keys it
 * publishes (JWKS). Asymmetric algorithms only: HS256 tokens are the service's
 * own, verified with JWT_SECRET.
 */
export interface JwksSettings {
  /** Where the provider publishes its keys (JWT_JWKS_URL). */
  url: string;
  /** `iss` must be one of these (JWT_ISSUER; required). */
  issuers: string[];
  /** `aud` must contain one of these (JWT_AUDIENCE; required: a provider issues tokens to many applications). */
  audiences: string[];
  /** The only algorithms accepted (JWT_ALGORITHMS). */
  algorithms: string[];
  /** The claim that holds the user id (JWT_USER_CLAIM). */
  userClaim: string;
  /** Tolerance for `exp` and `nbf` (JWT_CLOCK_SKEW_SECONDS). */
  clockSkewSeconds: number;
}

/** What JWT_ALGORITHMS may name: asymmetric JWS algorithms, never HS* or `none`. */
export const JWKS_ALGORITHMS = [
  ...['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512'],
  ...['ES256', 'ES384', 'ES512', 'EdDSA', 'Ed25519'],
];

/** Receipts POSTed back to the publisher (RECEIPTS_URL); null when unset. */
export interface ReceiptConfig {
  url: string;
  /** `whsec_…`: the receiver verifies each receipt with it (Standard Webhooks). */
  secret: string;
  /** How long each receipt is retried (RECEIPTS_RETRY_SECONDS). */
  retrySeconds: number;
}

/** Web Push (VAPID, RFC 8292); null when the keys are unset. */
export interface PushConfig {
  /** The application server key browsers subscribe with: a P-256 public key, uncompressed, base64url. */
  publicKey: string;
  /** The private key (the P-256 scalar, base64url), for signing VAPID tokens. */
  privateKey: string;
  /** `mailto:` or `https:` contact the push services may reach (VAPID_SUBJECT). */
  subject: string;
  /** Hosts (and their subdomains) a subscription's endpoint may name (PUSH_ENDPOINT_HOSTS). */
  endpointHosts: string[];
}

/** The browsers' push services: Chrome and Edge (FCM), Firefox, Windows, Safari. */
export const DEFAULT_PUSH_HOSTS = ['fcm.googleapis.com', 'push.services.mozilla.com', 'notify.windows.com', 'push.apple.com'];

export interface Config extends Limits {
  receipts: ReceiptConfig | null;
  push: PushConfig | null;
  /** HS256 client tokens, and the keys of tickets and SSE cookies: always required. */
  jwtSecret: string;
  /** Tokens from an identity provider too; `null` when JWT_JWKS_URL is unset. */
  jwks: JwksSettings | null;
  /** One or more `whsec_…` secrets; several are accepted during rotation. */
  webhookSecrets: string[];
  /** Origins allowed for CORS, WebSocket upgrades and cookie-authenticated streams. */
  allowedOrigins: string[];
  heartbeatSeconds: number;
  ticketTtlSeconds: number;
  /** Lifetime of the cookie that lets a browser's EventSource reconnect by itself. */
  sseSessionTtlSeconds: number;
  sseRetryMs: number;
  /** Streams are ended after this long (0: never); EventSource resumes by itself. */
  sseMaxStreamSeconds: number;
  /** Serve the demo page and its development token endpoint. Never in production. */
  demoEnabled: boolean;
  /**
   * Signed requests must name their target (PUBLISH_REQUIRE_TARGET, default
   * true): `userId` / `jobId` in bodies, `METHOD path?query` signed for
   * requests without one. False accepts the old unbound forms too.
   */
  publishRequireTarget: boolean;
}

export type Env = Record<string, unknown>;

/** The shortest DEDUPE_TTL_SECONDS allowed: twice the 5-minute signature window. */
export const MIN_DEDUPE_TTL_SECONDS = 600;

export const DEFAULT_LIMITS: Limits = {
  maxConnectionsPerUser: 50,
  maxEventBytes: 64 * 1024,
  retentionMaxEvents: 1000,
  retentionMaxAgeSeconds: 7 * 24 * 3600,
  dedupeTtlSeconds: 96 * 3600,
  pruneDelaySeconds: 60,
  publishRatePerUser: 100,
  publishBurstPerUser: 200,
  replayMaxBytes: 1024 * 1024,
  inboxMaxItems: 500,
  inboxMaxAgeSeconds: 90 * 86400,
};

function int(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === null || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new HubError('server_misconfigured', `${name} must be an integer in ${min}..${max}.`);
  }
  return value;
}

const misconfigured = (message: string) => new HubError('server_misconfigured', message);

/** A variable's text, trimmed; '' when unset. */
const text = (env: Env, name: string): string => (typeof env[name] === 'string' ? (env[name] as string).trim() : '');

const list = (env: Env, name: string): string[] => text(env, name).split(/[\s,]+/).filter(Boolean);

function secret(env: Env, name: string): string {
  const value = text(env, name);
  if (value === '') throw misconfigured(`The secret ${name} is not set.`);
  return value;
}

/** The shortest JWT_SECRET accepted (bytes): an HS256 key should be at least as long as its hash (RFC 7518 §3.2). */
export const MIN_JWT_SECRET_BYTES = 32;
/** The fewest bytes a whsec_ secret may decode to (Standard Webhooks asks for 24 to 64). */
export const MIN_WEBHOOK_SECRET_BYTES = 24;

/** A JWT_SECRET long enough to resist guessing; `npx userhub init` writes one. */
function jwtSecret(env: Env): string {
  const value = secret(env, 'JWT_SECRET');
  if (new TextEncoder().encode(value).length < MIN_JWT_SECRET_BYTES) {
    throw misconfigured(`JWT_SECRET must be at least ${MIN_JWT_SECRET_BYTES} bytes (openssl rand -base64 32 makes one).`);
  }
  return value;
}

/** A `whsec_…` secret whose base64 decodes to at least MIN_WEBHOOK_SECRET_BYTES. */
function checkWebhookSecret(name: string, value: string): void {
  const bytes = /^whsec_[A-Za-z0-9+/]+={0,2}$/.test(value) ? base64ToBytes(value.slice('whsec_'.length)) : null;
  if (!bytes) throw misconfigured(`${name} must be whsec_… (base64).`);
  if (bytes.length < MIN_WEBHOOK_SECRET_BYTES) {
    throw misconfigured(`${name} must decode to at least ${MIN_WEBHOOK_SECRET_BYTES} bytes (echo whsec_$(openssl rand -base64 32) makes one).`);
  }
}

/** https, or http to a loopback host (development and tests). */
function secureUrl(name: string, raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw misconfigured(`${name} must be an absolute URL.`);
  }
  const loopback = ['localhost', '127.0.0.1', '[::1]'].includes(url.hostname);
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && loopback)) {
    throw misconfigured(`${name} must be https (http only to a loopback host).`);
  }
  return url.href;
}


/** The VAPID keys and subject, or null when none is set; a partial or malformed set fails closed. */
export function readPush(env: Env): PushConfig | null {
  const [publicKey, privateKey, subject] = [text(env, 'VAPID_PUBLIC_KEY'), text(env, 'VAPID_PRIVATE_KEY'), text(env, 'VAPID_SUBJECT')];
  if (!publicKey && !privateKey && !subject) return null;
  if (!publicKey || !privateKey || !subject) throw misconfigured('VAPID_PUBLIC_KEY, VAPID_PRIVATE_KEY and VAPID_SUBJECT are set together (npx userhub vapid makes a pair).');
  const point = base64UrlToBytes(publicKey);
  if (!point || point.length !== 65 || point[0] !== 4) throw misconfigured('VAPID_PUBLIC_KEY must be an uncompressed P-256 public key, base64url (65 bytes).');
  const d = base64UrlToBytes(privateKey);
  if (!d || d.length !== 32) throw misconfigured('VAPID_PRIVATE_KEY must be a P-256 private key, base64url (32 bytes).');
  if (!/^(mailto:[^\s@]+@[^\s@]+|https:\/\/\S+)$/.test(subject)) throw misconfigured('VAPID_SUBJECT must be a mailto: address or an https: URL.');
  const hosts = list(env, 'PUSH_ENDPOINT_HOSTS');
  // Host names as URLs spell them (lower case), each with an optional port: anything else would silently match nothing, or too much.
  const bad = hosts.find((entry) => !/^([a-z0-9-]+\.)*[a-z0-9-]+(:[0-9]{1,5})?$/.test(entry));
  if (bad !== undefined) throw misconfigured(`PUSH_ENDPOINT_HOSTS: ${JSON.stringify(bad.slice(0, 100))} is not a host name (lower case, optionally :port).`);
  return { publicKey, privateKey, subject, endpointHosts: hosts.length ? hosts : DEFAULT_PUSH_HOSTS };
}

/** RECEIPTS_URL with RECEIPTS_SECRET, or null when neither is set; one without the other fails closed. */
export function readReceipts(env: Env): ReceiptConfig | null {
  const [url, secret] = [text(env, 'RECEIPTS_URL'), text(env, 'RECEIPTS_SECRET')];
  if (!url && !secret) return null;
  if (!url || !secret) throw misconfigured('RECEIPTS_URL and RECEIPTS_SECRET are set together.');
  checkWebhookSecret('RECEIPTS_SECRET', secret);
  return { url: secureUrl('RECEIPTS_URL', url), secret, retrySeconds: int(env, 'RECEIPTS_RETRY_SECONDS', 86400, 10, 7 * 86400) };
}

/** The identity-provider settings; fails closed on any bad or dangling value. */
function readJwks(env: Env): JwksSettings | null {
  const algorithms = list(env, 'JWT_ALGORITHMS');
  if (!algorithms.every((alg) => JWKS_ALGORITHMS.includes(alg))) {
    throw misconfigured(`JWT_ALGORITHMS may only name ${JWKS_ALGORITHMS.join(', ')}.`);
  }
  const userClaim = text(env, 'JWT_USER_CLAIM') || 'sub';
  if (!/^[\x21-\x7e]{1,200}$/.test(userClaim)) throw misconfigured('JWT_USER_CLAIM must be a claim name.');
  const clockSkewSeconds = int(env, 'JWT_CLOCK_SKEW_SECONDS', 60, 0, 600);
  const issuers = list(env, 'JWT_ISSUER');
  const audiences = list(env, 'JWT_AUDIENCE');
  const url = text(env, 'JWT_JWKS_URL');
  if (!url) {
    if (issuers.length || audiences.length) throw misconfigured('JWT_ISSUER and JWT_AUDIENCE need JWT_JWKS_URL.');
    return null;
  }
  if (!issuers.length) throw misconfigured('JWT_ISSUER must be set with JWT_JWKS_URL.');
  // Without an audience, a token the same provider issued to any other application would open this user's streams.
  if (!audiences.length) throw misconfigured('JWT_AUDIENCE must be set with JWT_JWKS_URL (the audience this service accepts).');
  return {
    url: secureUrl('JWT_JWKS_URL', url),
    issuers,
    audiences,
    algorithms: algorithms.length ? algorithms : ['RS256', 'ES256'],
    userClaim,
    clockSkewSeconds,
  };
}

/** Limits only: what an actor needs. Never throws for a missing secret. */
export function readLimits(env: Env): Limits {
  const d = DEFAULT_LIMITS;
  return {
    maxConnectionsPerUser: int(env, 'MAX_CONNECTIONS_PER_USER', d.maxConnectionsPerUser, 1, 10_000),
    maxEventBytes: int(env, 'MAX_EVENT_BYTES', d.maxEventBytes, 256, 1024 * 1024),
    retentionMaxEvents: int(env, 'RETENTION_MAX_EVENTS', d.retentionMaxEvents, 1, 100_000),
    retentionMaxAgeSeconds: int(env, 'RETENTION_MAX_AGE_SECONDS', d.retentionMaxAgeSeconds, 1, 366 * 86400),
    // At least the signature window and then some: a webhook-id forgotten while
    // its signed request is still fresh could be stored a second time.
    dedupeTtlSeconds: int(env, 'DEDUPE_TTL_SECONDS', d.dedupeTtlSeconds, MIN_DEDUPE_TTL_SECONDS, 366 * 86400),
    pruneDelaySeconds: int(env, 'PRUNE_DELAY_SECONDS', d.pruneDelaySeconds, 1, 86400),
    publishRatePerUser: int(env, 'PUBLISH_RATE_PER_USER', d.publishRatePerUser, 0, 1_000_000),
    publishBurstPerUser: int(env, 'PUBLISH_BURST_PER_USER', d.publishBurstPerUser, 1, 1_000_000),
    replayMaxBytes: int(env, 'REPLAY_MAX_BYTES', d.replayMaxBytes, 1024, 64 * 1024 * 1024),
    inboxMaxItems: int(env, 'INBOX_MAX_ITEMS', d.inboxMaxItems, 1, 10_000),
    inboxMaxAgeSeconds: int(env, 'INBOX_MAX_AGE_SECONDS', d.inboxMaxAgeSeconds, 60, 5 * 366 * 86400),
  };
}

/** The whole configuration; fails closed when a secret is missing. */
export function readConfig(env: Env): Config {
  const webhookSecrets = list(env, 'WEBHOOK_SECRET');
  if (webhookSecrets.length === 0) throw misconfigured('The secret WEBHOOK_SECRET is not set.');
  for (const value of webhookSecrets) checkWebhookSecret('WEBHOOK_SECRET', value);
  return {
    ...readLimits(env),
    receipts: readReceipts(env),
    push: readPush(env),
    jwtSecret: jwtSecret(env),
    jwks: readJwks(env),
    webhookSecrets,
    allowedOrigins: list(env, 'ALLOWED_ORIGINS'),
    heartbeatSeconds: int(env, 'HEARTBEAT_SECONDS', 15, 1, 300),
    ticketTtlSeconds: int(env, 'TICKET_TTL_SECONDS', 30, 1, 60),
    sseSessionTtlSeconds: int(env, 'SSE_SESSION_TTL_SECONDS', 12 * 3600, 60, 7 * 86400),
    sseRetryMs: int(env, 'SSE_RETRY_MS', 2000, 100, 60_000),
    sseMaxStreamSeconds: int(env, 'SSE_MAX_STREAM_SECONDS', 0, 0, 7 * 86400),
    demoEnabled: env.DEMO_ENABLED === 'true' || env.DEMO_ENABLED === true,
    publishRequireTarget: bool(env, 'PUBLISH_REQUIRE_TARGET', true),
  };
}

function bool(env: Env, name: string, fallback: boolean): boolean {
  const raw = env[name];
  if (raw === undefined || raw === null || raw === '') return fallback;
  if (raw === true || raw === 'true') return true;
  if (raw === false || raw === 'false') return false;
  throw new HubError('server_misconfigured', `${name} must be true or false.`);
}

const cache = new WeakMap<object, Config>();

/** readConfig, parsed once per env object (a Worker's env is stable per isolate). */
export function configFor(env: Env): Config {
  let config = cache.get(env);
  if (!config) {
    config = readConfig(env);
    cache.set(env, config);
  }
  return config;
}
