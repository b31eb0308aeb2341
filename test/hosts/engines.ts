// Starts the cluster's engines for tests, on free loopback ports in temporary
// directories: PostgreSQL 15 (Debian's; it refuses to run as root, so it runs
// as the `postgres` user) and Redis 7. Each is a real server process; kill()
// stops it with SIGKILL, mid-write if need be.

import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
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

const asPostgres = (args: string[]) => (process.getuid?.() === 0 ? ['runuser', ['-u', 'postgres', '--', ...args]] : [args[0]!, args.slice(1)]) as [string, string[]];

export async function startPostgres(): Promise<Engine> {
  const dir = mkdtempSync(join(tmpdir(), 'userhub-pg-'));
  if (process.getuid?.() === 0) chownSync(dir, Number(execFileSync('id', ['-u', 'postgres']).toString()), Number(execFileSync('id', ['-g', 'postgres']).toString()));
  const [init, initArgs] = asPostgres([join(PG_BIN, 'initdb'), '-D', join(dir, 'data'), '-U', 'userhub', '--auth=trust', '-E', 'UTF8']);
  execFileSync(init, initArgs, { stdio: 'ignore' });
  const port = await freePort();
  let child: ChildProcess;
  const start = async () => {
    const [command, args] = asPostgres([
      join(PG_BIN, 'postgres'), '-D', join(dir, 'data'), '-p', String(port), '-k', dir, '-c', 'listen_addresses=127.0.0.1',
      '-c', 'fsync=on', '-c', 'synchronous_commit=on', '-c', 'max_connections=200',
    ]);
    child = spawn(command, args, { stdio: 'ignore' });
    await until(() => {
      execFileSync(join(PG_BIN, 'pg_isready'), ['-h', '127.0.0.1', '-p', String(port)], { stdio: 'ignore' });
      return true;
    }, 'PostgreSQL');
  };
  await start();
  const url = `postgres://userhub@127.0.0.1:${port}/postgres`;
  const kill = async () => {
    child.kill('SIGKILL');
    await exited(child);
  };
  return {
    url,
    kill,
    restart: start,
    async stop() {
      await kill();
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
