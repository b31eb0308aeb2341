// Starts a real `wrangler dev` (workerd, local SQLite) on a free loopback port
// for end-to-end tests, and stops it again.

import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface RunningHost {
  url: string;
  stop(): Promise<void>;
}

/** A host whose process the caller may kill without letting any shutdown code run. */
export interface KillableHost extends RunningHost {
  /** SIGKILL to the host and every process it started. */
  kill(): Promise<void>;
  /** The root process ids of the host (its children are found through /proc). */
  pids(): number[];
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });
}

export async function waitForHealth(url: string, child: ChildProcess, timeoutMs: number, log: () => string) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`host exited with ${child.exitCode}:\n${log()}`);
    try {
      const response = await fetch(`${url}/v1/health`);
      if (response.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`host not ready within ${timeoutMs} ms:\n${log()}`);
}

/** The Worker entry wrangler dev runs from the sources: the deployed one plus the demo. */
export const DEV_WORKER = 'src/cloudflare/dev-worker.ts';

const WRANGLER_ENV = { ...process.env, WRANGLER_SEND_METRICS: 'false', CI: 'true', X_LOCAL_EXPLORER: 'false' };

/**
 * Bundles the Worker once into `dir` and writes a copy of wrangler.toml there
 * that runs that bundle as is; returns that config's path. `wrangler dev`
 * watches the sources it runs and restarts workerd on every change, dropping
 * every connection: a long run (bench, verify) must not see edits to the tree.
 */
export function freezeWorker(dir: string, tree = '.'): string {
  execFileSync('npx', ['wrangler', 'deploy', '--dry-run', '--outdir', join(dir, 'worker')], { env: WRANGLER_ENV, stdio: 'ignore', cwd: tree });
  const config = readFileSync(join(tree, 'wrangler.toml'), 'utf8').replace(/^main = .*$/m, 'main = "worker/worker.js"\nno_bundle = true');
  writeFileSync(join(dir, 'wrangler.toml'), config);
  return join(dir, 'wrangler.toml');
}

export async function startWranglerDev(
  vars: Record<string, string>,
  options: { persistTo?: string; port?: number; config?: string; env?: Record<string, string> } = {},
): Promise<KillableHost> {
  const { persistTo } = options;
  const port = options.port ?? (await freePort());
  const stateDir = persistTo ?? mkdtempSync(join(tmpdir(), 'userhub-state-'));
  const varArgs = Object.entries(vars).flatMap(([key, value]) => ['--var', `${key}:${value}`]);
  const child = spawn(
    'npx',
    // A frozen config runs its own bundle (the deployed Worker); otherwise the development entry, with the demo.
    ['wrangler', 'dev', ...(options.config ? ['--config', options.config] : [DEV_WORKER]), '--ip', '127.0.0.1', '--port', String(port), '--persist-to', stateDir, '--show-interactive-dev-session=false', ...varArgs],
    { env: { ...WRANGLER_ENV, ...options.env }, stdio: ['ignore', 'pipe', 'pipe'], detached: true },
  );
  let output = '';
  child.stdout!.on('data', (chunk) => (output += chunk));
  child.stderr!.on('data', (chunk) => (output += chunk));
  const url = `http://127.0.0.1:${port}`;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const kill = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      process.kill(-child.pid!, 'SIGKILL');
      await exited;
    }
  };
  const stop = async () => {
    if (child.exitCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      process.kill(-child.pid!, 'SIGTERM');
      await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 5000))]);
      if (child.exitCode === null) process.kill(-child.pid!, 'SIGKILL');
    }
    if (!persistTo) rmSync(stateDir, { recursive: true, force: true });
  };
  try {
    await waitForHealth(url, child, 60_000, () => output);
  } catch (err) {
    await stop();
    throw err;
  }
  return { url, stop, kill, pids: () => [child.pid!] };
}
