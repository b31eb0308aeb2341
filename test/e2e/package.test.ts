// The npm package as an application gets it: `npm pack ./npm-package` (once
// per run, in the e2e global setup), installed offline from the tarball into a
// fresh project, and used there with the project's own tools: its manifest,
// each entry imported under plain Node, the CLI run from node_modules, a
// TypeScript file type-checked against the declarations, and the client
// bundled with esbuild and run in real Chromium against a host.

import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { jwtVerify } from 'jose';
import { CHROMIUM, startAppSite, type AppSite } from '../helpers/app-site.ts';
import { publishRequest, tokenFor, uniqueUser } from '../helpers/requests.ts';
import { TEST_VARS } from '../helpers/test-vars.ts';
import { readConfig } from '../../src/core/config.ts';

const run = promisify(execFile);
const ROOT = resolve('.');
/** Plain Node as an application would have it: the system's (20 here) when there is one, not the repository's 22. */
const SYSTEM_NODE = ['/usr/bin/node', '/usr/local/bin/node'].find((path) => existsSync(path)) ?? process.execPath;
const plainPath = `${dirname(SYSTEM_NODE)}:${process.env.PATH!.split(':').filter((dir) => !dir.includes('node_modules')).join(':')}`;

let app: string;
let installOutput = '';

beforeAll(async () => {
  app = mkdtempSync(join(tmpdir(), 'userhub-app-'));
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'app', private: true, type: 'module' }));
  // Lifecycle scripts on (npm's default): whatever the package would run, and whatever npm says about it, shows.
  const { stdout, stderr } = await run('npm', ['install', '--offline', '--no-audit', '--no-fund', '--loglevel=warn', inject('packageTarball')], {
    cwd: app,
    timeout: 120_000,
    env: { ...process.env, PATH: plainPath },
  });
  installOutput = stdout + stderr;
}, 240_000);
afterAll(() => rmSync(app, { recursive: true, force: true }));

const inApp = (command: string, args: string[], env: Record<string, string> = {}) =>
  run(command, args, { cwd: app, timeout: 60_000, env: { ...process.env, PATH: plainPath, ...env } });

describe('the npm package, installed from its tarball', () => {
  it('installs without a word from npm, holds built files only, and no dependencies to install', async () => {
    expect(installOutput).not.toMatch(/warn|ERR/i);
    const { stdout } = await inApp('npm', ['ls', '--all', '--parseable']);
    expect(stdout.trim().split('\n').map((line) => line.replace(app, '.'))).toEqual(['.', './node_modules/userhub']);
    expect(readdirSync(join(app, 'node_modules/userhub/lib')).sort()).toEqual(['cli', 'client', 'cloudflare', 'elements', 'publisher', 'react', 'standalone', 'types']);
    expect(readdirSync(join(app, 'node_modules/userhub')).sort()).toEqual(['CHANGELOG.md', 'LICENSE', 'README.md', 'docs', 'lib', 'package.json']);
  });

  it('has a manifest a consumer needs and nothing of the development: licence, engines, exports, bin; no scripts or devDependencies', () => {
    const manifest = JSON.parse(readFileSync(join(app, 'node_modules/userhub/package.json'), 'utf8')) as Record<string, unknown>;
    expect(manifest).toMatchObject({ name: 'userhub', license: 'MIT', type: 'module', engines: { node: '>=20' }, bin: { userhub: 'lib/cli/main.js' } });
    expect(manifest.private).toBeUndefined();
    for (const key of ['scripts', 'devDependencies', 'dependencies', 'allowScripts', 'overrides']) expect(manifest[key], key).toBeUndefined();
    const exports = manifest.exports as Record<string, Record<string, string> | string>;
    expect(Object.keys(exports).sort()).toEqual(['./client', './cloudflare', './elements', './package.json', './publisher', './react']);
    for (const target of Object.values(exports).flatMap((entry) => (typeof entry === 'string' ? [entry] : Object.values(entry)))) {
      expect(existsSync(join(app, 'node_modules/userhub', target)), target).toBe(true);
    }
    expect(readFileSync(join(app, 'node_modules/userhub/LICENSE'), 'utf8')).toMatch(/^MIT License/);
  });

  it(`imports each entry under plain Node (${SYSTEM_NODE})`, async () => {
    const script = `
      const client = await import('userhub/client');
      const publisher = await import('userhub/publisher');
      const elements = await import('userhub/elements');
      console.log(JSON.stringify({ node: process.version, client: Object.keys(client), publisher: Object.keys(publisher), elements: Object.keys(elements) }));`;
    const { stdout } = await inApp(SYSTEM_NODE, ['--input-type=module', '-e', script]);
    const found = JSON.parse(stdout) as { client: string[]; publisher: string[]; elements: string[] };
    // Outside a browser the custom element's entry loads and defines nothing.
    expect(found.elements.sort()).toEqual(['UserhubBellElement', 'defineUserhubBell']);
    expect(found.client).toContain('connect');
    expect(found.publisher).toEqual(expect.arrayContaining(['createPublisher', 'readReceipt', 'PublisherError']));
  });

  it('imports the React entry where the application has React (an optional peer dependency)', async () => {
    // React from a tarball of the repository's own copy: offline, a range like react@19 needs registry metadata
    // that a fresh machine's npm cache does not hold (npm ci fetches tarballs only).
    const vendor = join(app, 'vendor');
    mkdirSync(vendor);
    await run('npm', ['pack', join(ROOT, 'node_modules/react'), '--pack-destination', vendor, '--silent'], { cwd: app, timeout: 60_000 });
    const react = readdirSync(vendor).find((name) => name.endsWith('.tgz'))!;
    await inApp('npm', ['install', '--offline', '--no-audit', '--no-fund', '--silent', `./vendor/${react}`]);
    const script = `const react = await import('userhub/react'); console.log(Object.keys(react).sort().join(','));`;
    const { stdout } = await inApp(SYSTEM_NODE, ['--input-type=module', '-e', script]);
    expect(stdout.trim()).toBe('HubProvider,NotificationBell,NotificationFeed,useHub,useHubEvents,useHubStatus,useInbox,useInboxItems,useJob');
  });

  it('runs the CLI from node_modules: npx userhub --help and npx userhub token john', async () => {
    const help = await inApp('npx', ['--no-install', 'userhub', '--help']);
    expect(help.stdout + help.stderr).toMatch(/usage: userhub <command>/);
    const { stdout } = await inApp('npx', ['--no-install', 'userhub', 'token', 'john'], { JWT_SECRET: TEST_VARS.JWT_SECRET });
    const token = stdout.trim();
    // Checked by another JWT implementation than the one that signed it.
    const { payload } = await jwtVerify(token, new TextEncoder().encode(TEST_VARS.JWT_SECRET), { algorithms: ['HS256'] });
    expect(payload.sub).toBe('john');
  });

  it('npx userhub init writes strong secrets to .dev.vars that the service accepts, never over an existing file', async () => {
    const dir = mkdtempSync(join(app, 'init-'));
    const cli = join(app, 'node_modules/.bin/userhub');
    const first = await run(cli, ['init'], { cwd: dir, env: { ...process.env, PATH: plainPath } });
    expect(first.stdout).toMatch(/npx wrangler secret put JWT_SECRET/);
    expect(first.stdout).toMatch(/npx wrangler secret put WEBHOOK_SECRET/);
    const written = readFileSync(join(dir, '.dev.vars'), 'utf8');
    const vars = Object.fromEntries([...written.matchAll(/^([A-Z_]+)=(.*)$/gm)].map((m) => [m[1]!, m[2]!]));
    expect(Object.keys(vars).sort()).toEqual(['JWT_SECRET', 'VAPID_PRIVATE_KEY', 'VAPID_PUBLIC_KEY', 'VAPID_SUBJECT', 'WEBHOOK_SECRET']);
    expect(Buffer.from(vars.JWT_SECRET!, 'base64').length).toBe(32);
    expect(Buffer.from(vars.WEBHOOK_SECRET!.slice('whsec_'.length), 'base64').length).toBe(32);
    expect(() => readConfig(vars)).not.toThrow();
    expect(readConfig(vars).push?.publicKey).toBe(vars.VAPID_PUBLIC_KEY);
    // A second run leaves the file as it was, and says so.
    const again = await run(cli, ['init'], { cwd: dir, env: { ...process.env, PATH: plainPath } }).catch((err: { code: number; stderr: string }) => err);
    expect(again).toMatchObject({ code: 2, stderr: expect.stringMatching(/exists: not overwritten/) });
    expect(readFileSync(join(dir, '.dev.vars'), 'utf8')).toBe(written);
  });

  it('type-checks an application against the declarations with tsc (strict, NodeNext)', async () => {
    writeFileSync(
      join(app, 'check.ts'),
      `import { connect, type HubEvent, type InboxCounts } from 'userhub/client';
import { createPublisher, readReceipt, type Receipt } from 'userhub/publisher';

const seen: HubEvent[] = [];
let badge: InboxCounts | undefined;
const hub = connect({ url: 'https://hub.example', getToken: async () => 'token', onEvent: (e) => seen.push(e), onInbox: (c) => (badge = c) });
const page = await hub.inbox.list({ status: 'unread', limit: 5 });
const first: string | undefined = page.items[0]?.title ?? undefined;
await hub.inbox.markRead({ through: page.next ?? '0' });
const publisher = createPublisher({ url: 'https://hub.example', secret: 'whsec_dGVzdA==' });
const { id }: { id: string } = await publisher.notify('john', { type: 'comment', title: 'Hi', collapseKey: 'k' });
const receipt: Receipt | null = await readReceipt('whsec_dGVzdA==', new Request('https://x', { method: 'POST', body: '{}' }));
// @ts-expect-error a notification needs a type
await publisher.notify('john', { title: 'no type' });
console.log(seen, badge, first, id, receipt?.data.userId);
hub.close();
`,
    );
    // The application's own settings: strict, NodeNext, the DOM's types and no others, the package's .d.ts checked too.
    const compilerOptions = { noEmit: true, strict: true, skipLibCheck: false, module: 'nodenext', moduleResolution: 'nodenext', target: 'es2022', lib: ['es2023', 'dom'], types: [] };
    writeFileSync(join(app, 'tsconfig.json'), JSON.stringify({ compilerOptions, files: ['check.ts'] }));
    const tsc = join(ROOT, 'node_modules/typescript/bin/tsc');
    const result = await inApp(process.execPath, [tsc, '-p', 'tsconfig.json']).catch((err: { stdout: string }) => ({ stdout: err.stdout }));
    expect(result.stdout).toBe('');
  });

  describe.skipIf(!existsSync(CHROMIUM))('in a browser', () => {
    let site: AppSite;
    beforeAll(async () => {
      site = await startAppSite();
    }, 60_000);
    afterAll(() => site?.close());

    it('bundles the client with esbuild, and the bundle receives events in Chromium', { timeout: 60_000 }, async () => {
      const user = uniqueUser('pkg');
      writeFileSync(
        join(app, 'browser.js'),
        `import { connect } from 'userhub/client';
globalThis.received = [];
globalThis.hub = connect({ url: ${JSON.stringify(site.host.url)}, token: ${JSON.stringify(await tokenFor(user))}, onEvent: (event) => globalThis.received.push(event) });`,
      );
      const bundled = await build({ entryPoints: [join(app, 'browser.js')], absWorkingDir: app, bundle: true, format: 'esm', minify: true, write: false, platform: 'browser' });
      site.script = bundled.outputFiles[0]!.text;
      type Page = { hub?: { status: { state: string } }; received: unknown[] };
      const page = await site.browser.newPage();
      try {
        await page.goto(`${site.origin}/`);
        await page.waitForFunction(() => (globalThis as unknown as Page).hub?.status.state === 'open', null, { timeout: 15_000 });
        const response = await fetch(await publishRequest(site.host.url, user, 'export.ready', { zip: 'a.zip' }));
        expect(response.status).toBe(202);
        await page.waitForFunction(() => (globalThis as unknown as Page).received.length === 1, null, { timeout: 10_000 });
        expect(await page.evaluate(() => (globalThis as unknown as Page).received)).toMatchObject([{ id: '1', type: 'export.ready', data: { zip: 'a.zip' } }]);
      } finally {
        await page.close();
      }
    });
  });
});
