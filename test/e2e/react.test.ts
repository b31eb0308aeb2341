// The React bindings in real Chromium against a real host: a small app
// bundled with esbuild, whose progress bar follows useJob from the first read
// to completion, and whose provider closes its connection when it unmounts.

import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPublisher } from '../../src/publisher/index.ts';
import { CHROMIUM, startAppSite, type AppSite } from '../helpers/app-site.ts';
import { tokenFor, uniqueUser } from '../helpers/requests.ts';
import { TEST_VARS } from '../helpers/test-vars.ts';
const ROOT = resolve('.');

const APP = `
import { useState } from 'react';
import { createRoot } from 'react-dom/client';
import { HubProvider, useHubStatus, useJob } from ${JSON.stringify(`${ROOT}/src/react/index.ts`)};

function JobBar({ id }) {
  const job = useJob(id);
  const percent = job ? Math.round((job.progress ?? 0) * 100) : 0;
  if (job) window.seen.push(job.status + ' ' + percent);
  return <p><span id="job">{job === undefined ? 'loading' : job === null ? 'none' : job.status}</span><progress id="bar" max="100" value={percent} /></p>;
}

function Connection() {
  const status = useHubStatus();
  return <span id="connection">{status ? status.state : 'none'}</span>;
}

function App() {
  const [shown, setShown] = useState(true);
  return <main>
    <button id="unmount" onClick={() => setShown(false)}>unmount</button>
    {shown && <HubProvider options={{ url: window.HUB_URL, token: window.HUB_TOKEN, transports: ['websocket'] }}><Connection /><JobBar id="zip-1" /></HubProvider>}
  </main>;
}

window.seen = [];
createRoot(document.getElementById('root')).render(<App />);
`;

describe.skipIf(!existsSync(CHROMIUM))('the React bindings in Chromium', () => {
  let site: AppSite;
  let token = '';

  beforeAll(async () => {
    site = await startAppSite((hub) => `<div id="root"></div><script>window.HUB_URL=${JSON.stringify(hub)};window.HUB_TOKEN=${JSON.stringify(token)}</script>`);
    const bundled = await build({
      stdin: { contents: APP, loader: 'jsx', resolveDir: ROOT },
      jsx: 'automatic',
      bundle: true,
      format: 'esm',
      write: false,
      define: { 'process.env.NODE_ENV': '"production"' },
    });
    site.script = bundled.outputFiles[0]!.text;
  }, 60_000);
  afterAll(() => site?.close());

  it('follows a job with useJob to completion, and closes the connection when the provider unmounts', { timeout: 60_000 }, async () => {
    const user = uniqueUser('react');
    token = await tokenFor(user);
    const publisher = createPublisher({ url: site.host.url, secret: TEST_VARS.WEBHOOK_SECRET });
    const page = await site.browser.newPage();
    await page.goto(`${site.origin}/`);
    await page.locator('#connection', { hasText: 'open' }).waitFor({ timeout: 15_000 });
    await page.locator('#job', { hasText: 'none' }).waitFor({ timeout: 5_000 });
    expect((await publisher.presence(user)).connections.websocket).toBe(1);

    const bar = () => page.locator('#bar').getAttribute('value');
    await publisher.updateJob(user, 'zip-1', { status: 'queued' });
    await page.locator('#job', { hasText: 'queued' }).waitFor({ timeout: 5_000 });
    await publisher.updateJob(user, 'zip-1', { status: 'running', progress: 0.5 });
    await expect.poll(bar, { timeout: 5_000 }).toBe('50');
    await publisher.updateJob(user, 'zip-1', { status: 'succeeded', result: { url: 'https://files.example.com/zip-1.zip' } });
    await page.locator('#job', { hasText: 'succeeded' }).waitFor({ timeout: 5_000 });
    expect(await bar()).toBe('100');
    expect(await page.evaluate(() => [...new Set((globalThis as unknown as { seen: string[] }).seen)])).toEqual(['queued 0', 'running 50', 'succeeded 100']);

    await page.locator('#unmount').click();
    await expect.poll(async () => (await publisher.presence(user)).connections.websocket, { timeout: 10_000 }).toBe(0);
    await page.close();
  });
});
