// Assembles a standalone host from a runtime's pieces: its SQLite driver and
// its WebSocket upgrade. Each runtime's entry file supplies those and serves.

import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { createApp } from '../core/app.ts';
import { useHmacImplementation } from '../core/auth/hmac.ts';
import { readConfig, readLimits, type Env } from '../core/config.ts';
import { ActorDirectory } from './actor-directory.ts';
import { StandaloneBackend } from './backend.ts';
import type { WebSocketUpgrader } from './connections.ts';
import { nodeHmacKey } from './node-hmac.ts';
import { configure, createSqliteStore, type SqliteDatabase } from './sqlite-store.ts';

export interface StandaloneOptions {
  host: string;
  port: number;
  /** SQLite file, or ':memory:'. */
  databasePath: string;
  synchronous: 'NORMAL' | 'FULL';
  idleMs: number;
}

function int(env: Env, name: string, fallback: number): number {
  const value = env[name] === undefined || env[name] === '' ? fallback : Number(env[name]);
  if (!Number.isInteger(value) || value < 0) throw new Error(`${name} must be a non-negative integer`);
  return value;
}

/** Host settings from the same environment the Worker reads, plus a few of its own. */
export function readStandaloneOptions(env: Env): StandaloneOptions {
  const synchronous = String(env.SQLITE_SYNCHRONOUS ?? 'NORMAL').toUpperCase();
  if (synchronous !== 'NORMAL' && synchronous !== 'FULL') throw new Error('SQLITE_SYNCHRONOUS must be NORMAL or FULL');
  return {
    host: String(env.HOST || '127.0.0.1'),
    port: int(env, 'PORT', 8787),
    databasePath: String(env.DATABASE_PATH || 'data/userhub.sqlite'),
    synchronous,
    idleMs: int(env, 'IDLE_ACTOR_SECONDS', 60) * 1000,
  };
}

/** Creates the database file's folder; the runtime's driver opens the file. */
export function prepareDatabasePath(path: string): string {
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  return path;
}

export interface StandaloneHost {
  fetch(request: Request): Promise<Response>;
  actors: ActorDirectory;
  close(): void;
}

export function createStandaloneHost(
  env: Env,
  db: SqliteDatabase,
  upgrade: WebSocketUpgrader,
  options: StandaloneOptions,
): StandaloneHost {
  readConfig(env); // fail at start, not at the first request, when a secret is missing
  useHmacImplementation(nodeHmacKey);
  configure(db, options.synchronous);
  const actors = new ActorDirectory(createSqliteStore(db), {
    limits: readLimits(env),
    idleMs: options.idleMs,
    alarmTickMs: 1000,
  });
  const backend = new StandaloneBackend(actors, upgrade);
  const app = createApp(() => backend);
  return {
    fetch: (request) => Promise.resolve(app.fetch(request, env)),
    actors,
    close() {
      actors.close();
      db.close();
    },
  };
}

/** A one-line JSON log record. */
export const log = (msg: string, fields: Record<string, unknown> = {}) =>
  console.log(JSON.stringify({ level: 'info', msg, ...fields }));
