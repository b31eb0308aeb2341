// Assembles a standalone host from a runtime's pieces: its SQLite driver and
// its WebSocket upgrade. Each runtime's entry file supplies those and serves.

import { mkdirSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { createApp } from '../core/app.ts';
import { mountDemo } from '../demo/routes.ts';
import { useCryptoImplementation } from '../shared/crypto.ts';
import { readConfig, readLimits, type Env } from '../core/config.ts';
import { readTicket } from '../core/auth/tickets.ts';
import { createReceiptSender } from '../core/receipt-sender.ts';
import { createPushSender } from '../core/push-sender.ts';
import { badRequest, HubError } from '../core/errors.ts';
import { log, parseLogLevel, setLogLevel, setLogSink, type LogLevel } from '../core/observability/log.ts';
import { createLoggingObserver } from '../core/observability/observer.ts';
import { ActorDirectory, sqliteStorage, type Storage } from './actor-directory.ts';
import { Cluster } from './cluster.ts';
import { createPostgresStorage } from './postgres-store.ts';
import type { Hub } from '../core/actor/hub.ts';
import { StandaloneBackend } from './backend.ts';
import type { WebSocketUpgrader } from '../core/backend.ts';
import { parseHostHeader, requestPath } from './host-header.ts';
import { developmentSettingsRefusal } from './development.ts';
import { createBatchedLogSink } from './log-sink.ts';
import { createMetricsEndpoint, isMetricsRequest, metricsAccess, StandaloneCounters, type MetricsAccess } from './metrics.ts';
import { nodeHmacKey, nodeSha256 } from './node-crypto.ts';
import { configure, createSqliteStore, type SqliteDatabase } from './sqlite-store.ts';

export interface StandaloneOptions {
  host: string;
  port: number;
  /** SQLite file, or ':memory:'. */
  databasePath: string;
  /** A cluster node's engines (DATABASE_URL and REDIS_URL): every user's rows in PostgreSQL, live events between nodes through Redis. */
  cluster?: { databaseUrl: string; redisUrl: string };
  synchronous: 'NORMAL' | 'FULL';
  idleMs: number;
  /**
   * A WebSocket peer silent this long (no frame, no pong) is closed; the
   * runtime pings an idle socket first (WS_PEER_IDLE_SECONDS, default 60:
   * longer than the client library's 25 s ping).
   */
  peerIdleSeconds: number;
  logLevel: LogLevel | 'off';
  /** Who may read GET /metrics (METRICS_TOKEN, else loopback only). */
  metrics: MetricsAccess;
}

function int(env: Env, name: string, fallback: number): number {
  const value = env[name] === undefined || env[name] === '' ? fallback : Number(env[name]);
  if (!Number.isInteger(value) || value < 0) throw new Error(`${name} must be a non-negative integer`);
  return value;
}

/**
 * Host settings from the same environment the Worker reads, plus a few of its
 * own. Throws when the host must not start: a missing secret, a bad value, or
 * development settings on a non-loopback HOST.
 */
export function readStandaloneOptions(env: Env): StandaloneOptions {
  const synchronous = String(env.SQLITE_SYNCHRONOUS ?? 'FULL').toUpperCase();
  if (synchronous !== 'NORMAL' && synchronous !== 'FULL') throw new Error('SQLITE_SYNCHRONOUS must be NORMAL or FULL');
  const host = String(env.HOST || '127.0.0.1');
  readConfig(env); // fail at start, not at the first request, when a secret is missing
  const refusal = developmentSettingsRefusal(env, host);
  if (refusal) throw new Error(refusal);
  const databaseUrl = String(env.DATABASE_URL ?? '');
  const redisUrl = String(env.REDIS_URL ?? '');
  if (databaseUrl && !/^postgres(ql)?:\/\//.test(databaseUrl)) throw new Error('DATABASE_URL must be a postgres:// URL');
  if (Boolean(databaseUrl) !== Boolean(redisUrl)) throw new Error('DATABASE_URL and REDIS_URL go together: a cluster node needs both');
  return {
    host,
    port: int(env, 'PORT', 8787),
    cluster: databaseUrl ? { databaseUrl, redisUrl } : undefined,
    databasePath: String(env.DATABASE_PATH || 'userhub-data/userhub.sqlite'),
    synchronous,
    idleMs: int(env, 'IDLE_ACTOR_SECONDS', 60) * 1000,
    peerIdleSeconds: Math.min(255, Math.max(2, int(env, 'WS_PEER_IDLE_SECONDS', 60))),
    logLevel: parseLogLevel(env.LOG_LEVEL),
    metrics: metricsAccess(typeof env.METRICS_TOKEN === 'string' ? env.METRICS_TOKEN.trim() : undefined, host),
  };
}

/** Runs a host's start-up, or prints the one line that says why it cannot start and exits with 1. */
export function startOrExit<T>(start: () => T): T {
  try {
    return start();
  } catch (err) {
    // A synchronous write: Bun does not flush an asynchronous one to a pipe before exit.
    writeSync(2, `userhub: not starting: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  }
}

/** What the start-up line names as the database: the SQLite file, or a cluster node's PostgreSQL host (never its password). */
export function databaseName(options: StandaloneOptions): string {
  if (!options.cluster) return options.databasePath;
  try {
    const url = new URL(options.cluster.databaseUrl);
    return `postgres://${url.host}${url.pathname}`;
  } catch {
    return 'postgres (DATABASE_URL)'; // a URL only the driver parses: named, never echoed
  }
}

/** Creates the database file's folder; the runtime's driver opens the file. */
export function prepareDatabasePath(path: string): string {
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  return path;
}

/** Paths whose GET may stay open past a runtime's idle timeout: streams and long polls. */
const LONG_LIVED = /^\/v1\/(?:events|poll|jobs(?:\/[^/]+)?)$/;

/** A request the host must hold open for as long as the protocol says (SSE, `wait=`). */
export function holdsOpen(request: Request): boolean {
  return request.method === 'GET' && LONG_LIVED.test(requestPath(request.url));
}

/**
 * Refuses, before the app sees it, a request whose Host is not an authority
 * (RFC 9110 §7.2): runtimes differ in what they forgive, and URLs, origins and
 * loopback checks are built from it. An absent or empty Host names no one and
 * passes (RFC 9112 §3.2).
 */
function checkHost(request: Request): void {
  const host = request.headers.get('Host');
  if (host && !parseHostHeader(host)) throw badRequest('The Host header is not a valid authority.');
  if (!URL.canParse(request.url)) throw badRequest('The request target is not a valid URL.');
}

export interface StandaloneHost {
  fetch(request: Request): Promise<Response>;
  actors: ActorDirectory;
  close(): void;
}

/** The SQLite file of a single process, or a cluster node's PostgreSQL and Redis. */
function openStorage(db: SqliteDatabase | null, options: StandaloneOptions, actorOf: (userId: string) => Hub | undefined) {
  if (options.cluster) {
    const postgres = createPostgresStorage(options.cluster.databaseUrl);
    const cluster = new Cluster({ redisUrl: options.cluster.redisUrl, actorOf, positions: (users) => postgres.positions(users) });
    const storage: Storage = { ...postgres, committed: () => Promise.resolve() };
    return { storage, cluster, close: () => void cluster.close().then(() => postgres.close()) };
  }
  configure(db!, options.synchronous);
  // A commit that fails leaves the actors' memory ahead of the file: exit rather than reuse ids (nothing of it was acknowledged).
  const store = createSqliteStore(db!, {
    onCommitFailure: (error) => {
      log.error('commit_failed', { error: String(error) });
      process.exit(70);
    },
  });
  return { storage: sqliteStorage(store), cluster: undefined, close: () => (store.flush(), db!.close()) };
}

/** `db`: the SQLite database, or null for a cluster node (options.cluster). */
export function createStandaloneHost(
  env: Env,
  db: SqliteDatabase | null,
  upgrade: WebSocketUpgrader,
  options: StandaloneOptions,
): StandaloneHost {
  setLogLevel(options.logLevel);
  const logSink = createBatchedLogSink();
  setLogSink(logSink.sink);
  useCryptoImplementation({ hmacKey: nodeHmacKey, sha256: nodeSha256 });
  const { jwtSecret, receipts, push } = readConfig(env);
  const storage = openStorage(db, options, (userId) => actors.peek(userId)?.hub);
  const counters = new StandaloneCounters();
  const observer = createLoggingObserver(counters);
  const actors: ActorDirectory = new ActorDirectory(storage.storage, {
    cluster: storage.cluster,
    limits: readLimits(env),
    idleMs: options.idleMs,
    alarmTickMs: 1000,
    readTicket: (ticket) => readTicket(jwtSecret, ticket),
    receipts: receipts ? { send: createReceiptSender(receipts), retrySeconds: receipts.retrySeconds } : undefined,
    push: push ? createPushSender(push) : undefined,
    onPush: (attempt) => observer.pushed(attempt),
  });
  const backend = new StandaloneBackend(actors, upgrade);
  // A standalone host serves development too: the demo answers only with DEMO_ENABLED=true.
  const app = mountDemo(
    createApp(
      () => backend,
      () => observer,
    ),
  );
  if (options.metrics.mode === 'disabled') {
    log.warn('metrics_disabled', { reason: `HOST ${options.host} is not loopback and METRICS_TOKEN is not set` });
  }
  // GET /metrics lives outside the shared app: the Worker has no such route.
  const metrics = createMetricsEndpoint(options.metrics, counters, actors, observer, storage.cluster);
  const route = async (request: Request): Promise<Response> => {
    checkHost(request);
    return isMetricsRequest(request.url) ? metrics(request) : app.fetch(request, env);
  };
  return {
    // Whatever a runtime hands over, the answer is a response, never a rejection.
    fetch: (request) =>
      route(request).catch((err: unknown) => {
        if (err instanceof HubError) return err.toResponse();
        log.error('unhandled', { error: String(err) });
        return new HubError('internal', 'Internal error.').toResponse();
      }),
    actors,
    close() {
      actors.close();
      storage.close();
      logSink.flush();
    },
  };
}
