// Starts the cluster's engines for tests, on free loopback ports in temporary
// directories: PostgreSQL 15 (Debian's; it refuses to run as root, so it runs
// as the `postgres` user) and Redis 7. Each is a real server process; kill()
// stops it with SIGKILL, mid-write if need be.

import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync, chownSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './wrangler-dev.ts';

const PG_BIN = '/usr/lib/postgresql/15/bin';

export interface Engine {
  url: string;
  /** SIGKILL: no shutdown, no flush. */
  kill(): Promise<void>;
  /** Starts it again on the same port and data. */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

/** Whether this machine has the engines and the balancer a cluster test starts (CI installs them with apt). */
export const haveEngines = (): boolean =>
  existsSync(join(PG_BIN, 'postgres')) && existsSync('/usr/bin/redis-server') && existsSync('/usr/sbin/haproxy');

const exited = (child: ChildProcess) =>
  child.exitCode !== null || child.signalCode !== null ? Promise.resolve() : new Promise<void>((resolve) => child.once('exit', () => resolve()));

async function until(check: () => boolean | Promise<boolean>, what: string, ms = 30_000): Promise<void> {
  const deadline = Date.now() + ms;
  for (;;) {
    try {
      if (await check()) return;
    } catch {
      // not yet
    }
    if (Date.now() > deadline) throw new Error(`${what} did not start`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Run as the `postgres` user when this is root, the process itself (kill() must reach the server, not a wrapper such as runuser). */
const AS_POSTGRES = process.getuid?.() === 0 ? { uid: Number(execFileSync('id', ['-u', 'postgres']).toString()), gid: Number(execFileSync('id', ['-g', 'postgres']).toString()) } : {};

/** One PostgreSQL server on a free port in `dir`, with `settings` (-c name=value) besides the durable defaults. */
async function runPostgres(dir: string, data: string, settings: readonly string[] = []) {
  const port = await freePort();
  let child: ChildProcess;
  const start = async () => {
    const args = [
      '-D', data, '-p', String(port), '-k', dir, '-c', 'listen_addresses=127.0.0.1',
      '-c', 'fsync=on', '-c', 'synchronous_commit=on', '-c', 'max_connections=200', ...settings.flatMap((setting) => ['-c', setting]),
    ];
    child = spawn(join(PG_BIN, 'postgres'), args, { stdio: 'ignore', ...AS_POSTGRES });
    await until(() => {
      execFileSync(join(PG_BIN, 'pg_isready'), ['-h', '127.0.0.1', '-p', String(port)], { stdio: 'ignore' });
      return true;
    }, 'PostgreSQL');
  };
  await start();
  const kill = async () => {
    child.kill('SIGKILL');
    await exited(child);
  };
  /** One statement through psql, its answer as text. */
  const query = (sql: string) =>
    execFileSync(join(PG_BIN, 'psql'), ['-h', '127.0.0.1', '-p', String(port), '-U', 'userhub', '-d', 'postgres', '-tAc', sql]).toString().trim();
  return { port, start, kill, query };
}

function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  if (AS_POSTGRES.uid !== undefined) chownSync(dir, AS_POSTGRES.uid, AS_POSTGRES.gid);
  return dir;
}

function initdb(data: string): void {
  execFileSync(join(PG_BIN, 'initdb'), ['-D', data, '-U', 'userhub', '--auth=trust', '-E', 'UTF8'], { stdio: 'ignore', ...AS_POSTGRES });
}

export async function startPostgres(): Promise<Engine> {
  const dir = tempDir('userhub-pg-');
  initdb(join(dir, 'data'));
  const server = await runPostgres(dir, join(dir, 'data'));
  return {
    url: `postgres://userhub@127.0.0.1:${server.port}/postgres`,
    kill: server.kill,
    restart: server.start,
    async stop() {
      await server.kill();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface PostgresPair {
  /** Both servers, the writable one chosen by the driver (`target_session_attrs=read-write`), as a Patroni set-up's clients may. */
  url: string;
  primary: Engine;
  /** Promotes the standby to primary (what Patroni does when the primary is gone), resolving once it takes writes. */
  promote(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * A primary and a synchronous standby (`synchronous_standby_names`: a commit
 * is answered only once the standby holds it, Patroni's synchronous_mode), so
 * promoting the standby after the primary dies keeps every acknowledged write.
 */
export async function startPostgresPair(): Promise<PostgresPair> {
  const dir = tempDir('userhub-pg-pair-');
  initdb(join(dir, 'primary'));
  const primary = await runPostgres(dir, join(dir, 'primary'), ['synchronous_standby_names=standby', 'wal_level=replica', 'max_wal_senders=4']);
  const backup = ['-h', '127.0.0.1', '-p', String(primary.port), '-U', 'userhub', '-D', join(dir, 'standby'), '-X', 'stream', '-R'];
  execFileSync(join(PG_BIN, 'pg_basebackup'), backup, { stdio: 'ignore', ...AS_POSTGRES });
  // Named, so the primary's synchronous_standby_names finds it (appended: a later line wins over what -R wrote).
  appendFileSync(join(dir, 'standby', 'postgresql.auto.conf'), `primary_conninfo = 'host=127.0.0.1 port=${primary.port} user=userhub application_name=standby'\n`);
  const standby = await runPostgres(dir, join(dir, 'standby'), ['hot_standby=on']);
  await until(() => primary.query(`SELECT sync_state FROM pg_stat_replication WHERE application_name = 'standby'`) === 'sync', 'the synchronous standby');
  return {
    url: `postgres://userhub@127.0.0.1:${primary.port},127.0.0.1:${standby.port}/postgres?target_session_attrs=read-write`,
    primary: { url: `postgres://userhub@127.0.0.1:${primary.port}/postgres`, kill: primary.kill, restart: primary.start, stop: primary.kill },
    async promote() {
      standby.query('SELECT pg_promote(true, 60)');
      await until(() => standby.query('SELECT pg_is_in_recovery()') === 'f', 'the promoted standby');
    },
    async stop() {
      await Promise.all([primary.kill(), standby.kill()]);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export async function startRedis(): Promise<Engine> {
  const port = await freePort();
  let child: ChildProcess;
  const start = async () => {
    child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
    await until(() => {
      execFileSync('redis-cli', ['-p', String(port), 'ping'], { stdio: 'ignore' });
      return true;
    }, 'Redis');
  };
  await start();
  const kill = async () => {
    child.kill('SIGKILL');
    await exited(child);
  };
  return { url: `redis://127.0.0.1:${port}`, kill, restart: start, stop: kill };
}
