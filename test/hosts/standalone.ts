// Starts a standalone host (Node, Bun or Deno) as its own process on a free
// loopback port, for the conformance suite and restart tests.

import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, waitForHealth, type KillableHost } from './wrangler-dev.ts';

export type Runtime = 'node' | 'bun' | 'deno';

/** The command that runs a runtime's entry, as the npm scripts do. */
export function runtimeCommand(runtime: Runtime): string[] {
  switch (runtime) {
    case 'node':
      return ['node', '--disable-warning=ExperimentalWarning', 'src/standalone/node.ts'];
    case 'bun':
      return ['bun', 'src/standalone/bun.ts'];
    case 'deno':
      return ['deno', 'run', '--allow-net', '--allow-env', '--allow-read', '--allow-write', 'src/standalone/deno.ts'];
  }
}

export interface StandaloneProcess extends KillableHost {
  child: ChildProcess;
  /** Everything the process wrote to stdout and stderr so far. */
  output(): string;
}

export async function startStandalone(
  runtime: Runtime,
  vars: Record<string, string>,
  options: { databasePath?: string; port?: number; entry?: string } = {},
): Promise<StandaloneProcess> {
  const port = options.port ?? (await freePort());
  const dir = options.databasePath ? undefined : mkdtempSync(join(tmpdir(), `userhub-${runtime}-`));
  const databasePath = options.databasePath ?? join(dir!, 'hub.sqlite');
  const [command, ...args] = runtimeCommand(runtime);
  if (options.entry) args[args.length - 1] = options.entry; // an entry that wraps the runtime's own
  const child = spawn(command!, args, {
    env: { ...process.env, ...vars, PORT: String(port), HOST: '127.0.0.1', DATABASE_PATH: databasePath },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (chunk) => (output += chunk));
  child.stderr!.on('data', (chunk) => (output += chunk));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = `http://127.0.0.1:${port}`;
  const kill = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await exited;
    }
  };
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 3000))]);
    }
    await kill();
    if (dir) rmSync(dir, { recursive: true, force: true });
  };
  try {
    await waitForHealth(url, child, 30_000, () => output);
  } catch (err) {
    await stop();
    throw err;
  }
  return { url, child, kill, stop, pids: () => [child.pid!], output: () => output };
}
