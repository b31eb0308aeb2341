// How the hosts start, as an operator runs them: settings that must not reach
// production stop a host before it listens, with one line saying why, and the
// start scripts take the operator's flags and environment over their defaults.

import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { PUBLISHED_DEVELOPMENT_SECRETS } from '../../src/standalone/development.ts';
import { runtimeCommand, type Runtime } from '../hosts/standalone.ts';
import { freePort, waitForHealth } from '../hosts/wrangler-dev.ts';
import { TEST_VARS } from '../helpers/test-vars.ts';
import { RUNTIMES } from './hosts.setup.ts';

/** TEST-NET-1 (RFC 5737): not loopback, and not an address of this machine, so nothing listens there even by mistake. */
const PUBLIC_HOST = '192.0.2.1';
const REAL_SECRETS = { JWT_SECRET: TEST_VARS.JWT_SECRET, WEBHOOK_SECRET: TEST_VARS.WEBHOOK_SECRET };

/** Runs a command to its exit; resolves with its code and output. */
function run(command: string[], env: Record<string, string | undefined>, timeoutMs = 30_000) {
  return new Promise<{ code: number | null; output: string }>((resolve) => {
    const child = spawn(command[0]!, command.slice(1), { env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (output += chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    // 'close', not 'exit': only then has everything the child wrote been read.
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

/** Starts a long-running command, waits for /v1/health on `port`, and returns a stop function. */
async function serve(command: string[], env: Record<string, string | undefined>, port: number) {
  // undefined: the variable is not set at all, as in an operator's shell.
  const merged = Object.fromEntries(Object.entries({ ...process.env, ...env }).filter(([, value]) => value !== undefined));
  const child = spawn(command[0]!, command.slice(1), { env: merged, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let output = '';
  child.stdout!.on('data', (chunk) => (output += chunk));
  child.stderr!.on('data', (chunk) => (output += chunk));
  const exited = new Promise((resolve) => child.once('exit', resolve));
  const stop = async () => {
    if (child.exitCode === null) process.kill(-child.pid!, 'SIGKILL');
    await exited;
  };
  try {
    await waitForHealth(`http://127.0.0.1:${port}`, child, 60_000, () => output);
  } catch (err) {
    await stop();
    throw err;
  }
  return { stop, output: () => output, url: `http://127.0.0.1:${port}` };
}

const refusals: Array<[string, Record<string, string>, RegExp]> = [
  ['an identity provider without an audience', { ...REAL_SECRETS, JWT_JWKS_URL: 'https://idp.example/jwks.json', JWT_ISSUER: 'https://idp.example/' }, /JWT_AUDIENCE must be set/],
  ['the published development JWT secret on a public HOST', { ...REAL_SECRETS, JWT_SECRET: PUBLISHED_DEVELOPMENT_SECRETS.JWT_SECRET, HOST: PUBLIC_HOST }, /JWT_SECRET is the published development secret/],
  ['the published development webhook secret among several on a public HOST', { ...REAL_SECRETS, WEBHOOK_SECRET: `${TEST_VARS.WEBHOOK_SECRET} ${PUBLISHED_DEVELOPMENT_SECRETS.WEBHOOK_SECRET}`, HOST: PUBLIC_HOST }, /WEBHOOK_SECRET is the published development secret/],
  ['a JWT_SECRET shorter than 32 bytes', { ...REAL_SECRETS, JWT_SECRET: 'x' }, /JWT_SECRET must be at least 32 bytes/],
  ['a WEBHOOK_SECRET that decodes to fewer than 24 bytes', { ...REAL_SECRETS, WEBHOOK_SECRET: 'whsec_dGVzdA==' }, /WEBHOOK_SECRET must decode to at least 24 bytes/],
  ['a RECEIPTS_SECRET that decodes to fewer than 24 bytes', { ...REAL_SECRETS, RECEIPTS_URL: 'https://receipts.example/r', RECEIPTS_SECRET: 'whsec_YWJj' }, /RECEIPTS_SECRET must decode to at least 24 bytes/],
  ['the demo on a public HOST', { ...REAL_SECRETS, DEMO_ENABLED: 'true', HOST: PUBLIC_HOST }, /DEMO_ENABLED=true .* refused on a non-loopback HOST/],
];

describe.concurrent.each(RUNTIMES)('starting the %s host', (runtime: Runtime) => {
  for (const [what, env, message] of refusals) {
    it(`refuses ${what}, in one line, before listening`, async () => {
      const { code, output } = await run(runtimeCommand(runtime), { ...env, DATABASE_PATH: ':memory:', PORT: String(await freePort()) });
      expect(code).toBe(1);
      const lines = output.trim().split('\n');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(/^userhub: not starting: /);
      expect(lines[0]).toMatch(message);
    });
  }
});

describe('a port already taken', () => {
  it('stops the second Bun host instead of sharing the port with the first', { timeout: 60_000 }, async () => {
    const port = await freePort();
    const first = await serve(runtimeCommand('bun'), { ...REAL_SECRETS, DATABASE_PATH: ':memory:', PORT: String(port) }, port);
    try {
      const { code } = await run(runtimeCommand('bun'), { ...REAL_SECRETS, DATABASE_PATH: ':memory:', PORT: String(port) });
      expect(code).not.toBe(0);
    } finally {
      await first.stop();
    }
  });
});

describe.skipIf(existsSync('.dev.vars'))('npm run start:node', () => {
  const script = ['node', 'scripts/standalone.ts', 'node'];

  it('fills in .dev.vars.example only in development mode: no real secret set, loopback HOST', { timeout: 60_000 }, async () => {
    const port = await freePort();
    const development = await serve(script, { PORT: String(port), DATABASE_PATH: ':memory:', JWT_SECRET: undefined, WEBHOOK_SECRET: undefined, DEMO_ENABLED: undefined, HOST: undefined }, port);
    try {
      expect((await fetch(`${development.url}/demo/`)).status).toBe(200);
    } finally {
      await development.stop();
    }
    const port2 = await freePort();
    const production = await serve(script, { PORT: String(port2), DATABASE_PATH: ':memory:', ...REAL_SECRETS, DEMO_ENABLED: undefined, HOST: undefined }, port2);
    try {
      expect(production.output()).toMatch(/variables from the environment/);
      expect((await fetch(`${production.url}/demo/`)).status).toBe(404);
    } finally {
      await production.stop();
    }
  });

  it('refuses to start on a public HOST with nothing but the example file', async () => {
    const { code, output } = await run(script, { HOST: PUBLIC_HOST, PORT: String(await freePort()), DATABASE_PATH: ':memory:' });
    expect(code).toBe(1);
    expect(output).toMatch(/userhub: not starting: The secret \w+ is not set/);
  });
});

describe('npm start', () => {
  it('takes the flags given after -- over its own defaults, and serves no local explorer', { timeout: 90_000 }, async () => {
    const port = await freePort();
    const dev = await serve(['node', 'scripts/dev.ts', '--ip', '127.0.0.1', `--port=${port}`, '--show-interactive-dev-session=false'], { CI: 'true' }, port);
    try {
      // Served (its OpenAPI document) when the explorer is on.
      expect((await fetch(`${dev.url}/cdn-cgi/explorer/api/`)).status).toBe(404);
      for (const path of [
        '/cdn-cgi/explorer/api/workers/durable_objects/namespaces/userhub-UserHub/query',
        '/cdn-cgi/local/explorer/api/workers/durable_objects/namespaces/userhub-UserHub/query',
      ]) {
        const response = await fetch(`${dev.url}${path}`, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json' },
          body: JSON.stringify({ sql: 'SELECT 1' }),
        });
        expect(response.status, path).toBe(404);
      }
    } finally {
      await dev.stop();
    }
  });

  it('refuses the development variables on a non-loopback --ip', async () => {
    const { code, output } = await run(['node', 'scripts/dev.ts', '--ip', '0.0.0.0'], {}, 20_000);
    expect(code).toBe(1);
    expect(output).toMatch(/userhub: not starting: JWT_SECRET is the published development secret/);
  });
});

describe('a port already taken, on Node', () => {
  it('stops the host with one line saying so', { timeout: 60_000 }, async () => {
    const port = await freePort();
    const first = await serve(runtimeCommand('node'), { ...REAL_SECRETS, DATABASE_PATH: ':memory:', PORT: String(port) }, port);
    try {
      const { code, output } = await run(runtimeCommand('node'), { ...REAL_SECRETS, DATABASE_PATH: ':memory:', PORT: String(port) });
      expect(code).toBe(1);
      expect(output.trim().split('\n').filter((line) => line.startsWith('userhub: not starting: '))).toHaveLength(1);
      expect(output).toMatch(/cannot listen on 127\.0\.0\.1:\d+: .*EADDRINUSE/);
    } finally {
      await first.stop();
    }
  });
});
