// The service from the npm package, three ways, each installed from the packed
// tarball into a fresh directory (never run from this repository), and each
// held to the conformance contract:
// - in a Worker project of one's own: `export { default, UserHub } from
//   'userhub/cloudflare'` and a few lines of wrangler configuration, built by
//   `wrangler deploy --dry-run` and run by `wrangler dev`;
// - `userhub serve` from the installed package on Node, Bun and Deno;
// - the single executable (`npm run build:binary`) with a clean PATH.

import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { describeContract } from '../conformance/contract.ts';
import { freePort, startWranglerDev, waitForHealth, type RunningHost } from '../hosts/wrangler-dev.ts';
import { HOST_VARS } from './hosts.setup.ts';
import { connect } from '../../src/client/index.ts';
import { createPublisher } from '../../src/publisher/index.ts';
import { eventually } from '../helpers/wire.ts';
import { tokenFor, uniqueUser } from '../helpers/requests.ts';
import { TEST_VARS } from '../helpers/test-vars.ts';

const run = promisify(execFile);
const ROOT = resolve('.');
const BIN = join(ROOT, 'node_modules/.bin');

/** The Worker project of the README ("Run it in your own Worker"): the worker file and its configuration. */
export const OWN_WORKER = {
  'src/index.ts': `export { default, UserHub } from 'userhub/cloudflare';\n`,
  'wrangler.toml': `name = "my-app"
main = "src/index.ts"
compatibility_date = "2026-11-01"
compatibility_flags = ["enable_request_signal"]

[[durable_objects.bindings]]
name = "USER_HUB"
class_name = "UserHub"

[[migrations]]
tag = "v1"
new_sqlite_classes = ["UserHub"]
`,
};

/** The same project with the service mounted under a path of a Worker of one's own (README). */
export const MOUNTED_WORKER = {
  ...OWN_WORKER,
  'src/index.ts': `import hub, { UserHub } from 'userhub/cloudflare';
export { UserHub };

// The service answers under /notifications/; everything else is your app's.
const PREFIX = '/notifications';

export default {
  async fetch(request: Request, env: Record<string, unknown>, ctx: ExecutionContext): Promise<Response> {
    const url = new URL(request.url);
    if (url.pathname.startsWith(\`\${PREFIX}/\`)) {
      url.pathname = url.pathname.slice(PREFIX.length);
      return hub.fetch(new Request(url, request), env, ctx);
    }
    return new Response('my app');
  },
};
`,
};

/** A fresh directory with the tarball installed (and wrangler, for the Worker project). */
async function project(files: Record<string, string>, withWrangler: boolean): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'userhub-project-'));
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'my-app', private: true, type: 'module' }));
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(join(dir, path, '..'), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  await run('npm', ['install', '--offline', '--no-audit', '--no-fund', '--silent', inject('packageTarball')], { cwd: dir, timeout: 120_000 });
  // wrangler as the project would have it: this repository's installed copy (offline, the same version).
  if (withWrangler) symlinkSync(join(ROOT, 'node_modules/wrangler'), join(dir, 'node_modules/wrangler'));
  return dir;
}

/** Runs `command` in `cwd` until stopped; resolves once it answers /v1/health. */
async function serve(cwd: string, command: string[], env: Record<string, string>): Promise<RunningHost & { output(): string }> {
  const port = await freePort();
  const child = spawn(command[0]!, command.slice(1), { cwd, env: { ...env, PORT: String(port) }, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let output = '';
  child.stdout!.on('data', (chunk) => (output += chunk));
  child.stderr!.on('data', (chunk) => (output += chunk));
  const exited = new Promise((resolve) => child.once('exit', resolve));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) process.kill(-child.pid!, 'SIGKILL');
    await exited;
  };
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitForHealth(url, child, 60_000, () => output);
  } catch (err) {
    await stop();
    throw err;
  }
  return { url, stop, output: () => output };
}

/** What a shell of this machine has: the runtimes of this repository first (Node 22, Bun, Deno). */
const SHELL_ENV = { PATH: `${BIN}:${process.env.PATH}`, HOME: process.env.HOME ?? '/tmp' };

const SERVES = {
  'npx userhub serve (Node)': ['npx', '--no-install', 'userhub', 'serve'],
  'bunx --bun userhub serve': ['bunx', '--bun', 'userhub', 'serve'],
  'deno run -A node_modules/userhub/lib/cli/main.js serve': ['deno', 'run', '-A', 'node_modules/userhub/lib/cli/main.js', 'serve'],
} as const;

const hosts = new Map<string, RunningHost>();
const dirs: string[] = [];
let workerDir = '';
let dryRun = '';
let mounted: RunningHost | undefined;

beforeAll(async () => {
  workerDir = await project(OWN_WORKER, true);
  const mountedDir = await project(MOUNTED_WORKER, true);
  dirs.push(mountedDir);
  const app = await project({}, false);
  const bin = mkdtempSync(join(tmpdir(), 'userhub-binary-'));
  dirs.push(workerDir, app, bin);
  const wranglerEnv = { ...process.env, PATH: SHELL_ENV.PATH, WRANGLER_SEND_METRICS: 'false' };
  dryRun = (await run('npx', ['--no-install', 'wrangler', 'deploy', '--dry-run', '--outdir', 'out'], { cwd: workerDir, env: wranglerEnv, timeout: 120_000 })).stdout;
  await run('npm', ['run', 'build:binary', '--silent'], { cwd: ROOT, timeout: 120_000 });
  const starts: Array<Promise<void>> = [
    startWranglerDev(HOST_VARS, { config: join(workerDir, 'wrangler.toml') }).then((host) => void hosts.set('your own Worker (wrangler dev)', host)),
    startWranglerDev(HOST_VARS, { config: join(mountedDir, 'wrangler.toml') }).then((host) => void (mounted = host)),
    ...Object.entries(SERVES).map(([name, command]) =>
      serve(app, [...command], { ...SHELL_ENV, ...HOST_VARS, DATABASE_PATH: join(app, `${command[0]}.sqlite`) }).then((host) => void hosts.set(name, host)),
    ),
    // No PATH at all: nothing but the file itself runs.
    serve(bin, [join(ROOT, 'dist/userhub')], { ...HOST_VARS }).then((host) => void hosts.set('the single executable', host)),
  ];
  const results = await Promise.allSettled(starts);
  const failed = results.find((result) => result.status === 'rejected');
  if (failed) throw (failed as PromiseRejectedResult).reason;
}, 240_000);

afterAll(async () => {
  await Promise.all([...hosts.values(), ...(mounted ? [mounted] : [])].map((host) => host.stop()));
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

describe('the service from the npm package', () => {
  it('builds a Worker project of your own with wrangler deploy --dry-run, binding the UserHub Durable Object', () => {
    expect(dryRun).toMatch(/env\.USER_HUB \(UserHub\)\s+Durable Object/);
    expect(existsSync(join(workerDir, 'out/index.js'))).toBe(true);
  });

  it('is the project the README shows, file for file', () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    // Each block of the README that starts by naming its file.
    const shown = [...readme.matchAll(/^```\w+(?: fragment)?\n(?:\/\/|#) (src\/index\.ts|wrangler\.toml)\n([\s\S]*?)^```$/gm)].map((m) => [m[1]!, m[2]!] as const);
    expect(shown.map(([file]) => file)).toEqual(['src/index.ts', 'wrangler.toml', 'src/index.ts']);
    expect(shown[0]![1]).toBe(OWN_WORKER['src/index.ts']);
    expect(shown[1]![1]).toBe(OWN_WORKER['wrangler.toml']);
    expect(shown[2]![1]).toBe(MOUNTED_WORKER['src/index.ts']);
  });

  it('serves under a path of your own Worker: the client and the publisher reach it there, your routes stay yours', { timeout: 30_000 }, async () => {
    const base = `${mounted!.url}/notifications`;
    expect(await (await fetch(`${mounted!.url}/`)).text()).toBe('my app');
    expect(await (await fetch(`${base}/v1/health`)).json()).toEqual({ ok: true, protocol: 1 });
    const user = uniqueUser('mounted');
    const received: string[] = [];
    const clients = (['websocket', 'sse', 'poll'] as const).map((transport) =>
      connect({ url: base, getToken: () => tokenFor(user), transports: [transport], onEvent: (event) => received.push(`${transport}:${event.type}`) }),
    );
    try {
      await eventually(() => clients.every((client) => client.status.state === 'open'), 15_000);
      await createPublisher({ url: base, secret: TEST_VARS.WEBHOOK_SECRET }).publish(user, 'export.ready', { zip: 'a.zip' });
      await eventually(() => received.length === 3, 15_000);
      expect(received.sort()).toEqual(['poll:export.ready', 'sse:export.ready', 'websocket:export.ready']);
      // A request without a body is signed with the API path, which is what the service sees under the prefix.
      expect((await createPublisher({ url: base, secret: TEST_VARS.WEBHOOK_SECRET }).presence(user)).online).toBe(true);
    } finally {
      for (const client of clients) client.close();
    }
  });

  it('serves its database from ./userhub-data/ unless DATABASE_PATH says otherwise', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'userhub-data-'));
    dirs.push(dir);
    const { DATABASE_PATH: _, ...vars } = { ...HOST_VARS, DATABASE_PATH: '' };
    const host = await serve(dir, [join(ROOT, 'dist/userhub')], vars);
    await host.stop();
    expect(existsSync(join(dir, 'userhub-data/userhub.sqlite'))).toBe(true);
  });
});

for (const name of ['your own Worker (wrangler dev)', ...Object.keys(SERVES), 'the single executable']) {
  describeContract(`${name}, from the package`, () => hosts.get(name)!.url, { sseMaxStreamSeconds: Number(HOST_VARS.SSE_MAX_STREAM_SECONDS) });
}
