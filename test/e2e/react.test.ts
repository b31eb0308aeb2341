// The React bindings in real Chromium against a real host: a small app
// bundled with esbuild, whose progress bar follows useJob from the first read
// to completion, whose inbox list follows the stream and pages, which shows
// the error of a page whose origin the service refuses, and whose provider
// closes its connection when it unmounts, and connects again by itself when
// the signed-in user changes.

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
import { HubProvider, useHub, useHubEvents, useHubStatus, useInboxItems, useJob } from ${JSON.stringify(`${ROOT}/src/react/index.ts`)};

function JobBar({ id }) {
  const { data: job, loading, error } = useJob(id);
  const percent = job ? Math.round((job.progress ?? 0) * 100) : 0;
  if (job) window.seen.push(job.status + ' ' + percent);
  const shown = error ? 'error ' + error.code : loading ? 'loading' : job === null ? 'none' : job.status;
  return <p><span id="job">{shown}</span><progress id="bar" max="100" value={percent} /></p>;
}

function Connection() {
  const status = useHubStatus();
  return <span id="connection">{status.state}{status.lastError ? ' ' + status.lastError.code : ''}</span>;
}

/** The inbox two items a page: its titles in order, and whether older ones are left. */
function Items() {
  const { data, error, loadMore } = useInboxItems({ pageSize: 2 });
  return <div>
    <ol id="items">{data ? data.items.map((item) => <li key={item.id}>{item.title}</li>) : null}</ol>
    <span id="items-state">{error ? 'error ' + error.code : data ? (data.hasMore ? 'more' : 'all') : 'loading'}</span>
    <button id="more" onClick={() => loadMore()}>more</button>
  </div>;
}

/** The user the provider's client serves, and every event it hands over, named by that user. */
function Who() {
  const hub = useHub();
  useHubStatus();
  useHubEvents(() => true, (event) => window.events.push(hub.userId + ':' + event.type));
  return <span id="who">{hub && hub.userId ? hub.userId : 'none'}</span>;
}

// A refresh hands over HUB_NEXT (a logout and a login in this page), else the same token.
const options = window.HUB_NEXT
  ? { url: window.HUB_URL, token: window.HUB_TOKEN, getToken: ({ refresh }) => (refresh ? window.HUB_NEXT : window.HUB_TOKEN), transports: ['websocket'] }
  : { url: window.HUB_URL, token: window.HUB_TOKEN, transports: ['websocket'] };

function App() {
  const [shown, setShown] = useState(true);
  return <main>
    <button id="unmount" onClick={() => setShown(false)}>unmount</button>
    {shown && <HubProvider options={options}><Connection /><Who /><JobBar id="zip-1" /><Items /></HubProvider>}
  </main>;
}

window.events = [];

window.seen = [];
createRoot(document.getElementById('root')).render(<App />);
`;

describe.skipIf(!existsSync(CHROMIUM))('the React bindings in Chromium', () => {
  let site: AppSite;
  let token = '';
  let next = '';

  beforeAll(async () => {
    site = await startAppSite((hub) => `<div id="root"></div><script>window.HUB_URL=${JSON.stringify(hub)};window.HUB_TOKEN=${JSON.stringify(token)};window.HUB_NEXT=${JSON.stringify(next)}</script>`);
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

  it('shows a notification at the top of useInboxItems without a reload, and loadMore appends the next page', { timeout: 60_000 }, async () => {
    const user = uniqueUser('react-inbox');
    token = await tokenFor(user);
    const publisher = createPublisher({ url: site.host.url, secret: TEST_VARS.WEBHOOK_SECRET });
    for (const title of ['first', 'second', 'third']) await publisher.notify(user, { type: 'comment', title });
    const page = await site.browser.newPage();
    try {
      const titles = () => page.locator('#items li').allTextContents();
      await page.goto(`${site.origin}/`);
      await page.locator('#items-state', { hasText: 'more' }).waitFor({ timeout: 15_000 });
      expect(await titles()).toEqual(['third', 'second']);
      await page.locator('#connection', { hasText: 'open' }).waitFor({ timeout: 10_000 });
      await publisher.notify(user, { type: 'comment', title: 'fourth' });
      await expect.poll(titles, { timeout: 5_000 }).toEqual(['fourth', 'third', 'second']);
      await page.locator('#more').click();
      await expect.poll(titles, { timeout: 5_000 }).toEqual(['fourth', 'third', 'second', 'first']);
      await page.locator('#items-state', { hasText: 'all' }).waitFor({ timeout: 5_000 });
    } finally {
      await page.close();
    }
  });

  it('shows the error of a job read the service refused for its origin (CORS), instead of loading for ever', { timeout: 60_000 }, async () => {
    token = await tokenFor(uniqueUser('react-cors'));
    const page = await site.browser.newPage();
    try {
      // The same site under another name: an origin the host's ALLOWED_ORIGINS does not list.
      await page.goto(site.origin.replace('127.0.0.1', 'localhost') + '/');
      await page.locator('#job', { hasText: 'error network' }).waitFor({ timeout: 15_000 });
      await page.locator('#items-state', { hasText: 'error network' }).waitFor({ timeout: 5_000 });
      await page.locator('#connection', { hasText: 'network' }).waitFor({ timeout: 5_000 });
    } finally {
      await page.close();
    }
  });

  it('connects again by itself when the token turns into another user\'s: the new user\'s events, none of the old one\'s', { timeout: 60_000 }, async () => {
    const [amy, bob] = [uniqueUser('react-amy'), uniqueUser('react-bob')];
    token = await tokenFor(amy, 5); // the session ends soon; the refresh brings bob's token
    next = await tokenFor(bob);
    const publisher = createPublisher({ url: site.host.url, secret: TEST_VARS.WEBHOOK_SECRET });
    const page = await site.browser.newPage();
    try {
      await page.goto(`${site.origin}/`);
      await page.locator('#who', { hasText: amy }).waitFor({ timeout: 15_000 });
      // Connected first: an event published before the socket is open is not the new connection's to replay.
      await page.locator('#connection', { hasText: 'open' }).waitFor({ timeout: 10_000 });
      await publisher.publish(amy, 'for.amy', {});
      await expect.poll(() => page.evaluate(() => (globalThis as unknown as { events: string[] }).events), { timeout: 10_000 }).toEqual([`${amy}:for.amy`]);
      await page.locator('#who', { hasText: bob }).waitFor({ timeout: 20_000 });
      await page.locator('#connection', { hasText: 'open' }).waitFor({ timeout: 10_000 });
      await publisher.publish(bob, 'for.bob', {});
      await publisher.publish(amy, 'for.amy.later', {});
      await expect.poll(() => page.evaluate(() => (globalThis as unknown as { events: string[] }).events), { timeout: 10_000 }).toEqual([`${amy}:for.amy`, `${bob}:for.bob`]);
      expect((await publisher.presence(amy)).connections.websocket).toBe(0);
    } finally {
      next = '';
      await page.close();
    }
  });
});
