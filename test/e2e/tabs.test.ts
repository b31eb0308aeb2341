// One connection per browser, in real Chromium: the tabs of one user elect a
// leader (Web Locks) that holds the only WebSocket and hands every event to
// the others (BroadcastChannel). Closing the leader or freezing it moves the
// connection; every tab still gets every event once, in order; two users in
// one browser keep two connections and never see each other's events, even
// when one tab's login changes to another user.

import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { build } from 'esbuild';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createPublisher } from '../../src/publisher/index.ts';
import { CHROMIUM, startAppSite, type AppSite } from '../helpers/app-site.ts';
import { tokenFor, uniqueUser } from '../helpers/requests.ts';
import { TEST_VARS } from '../helpers/test-vars.ts';
const ROOT = resolve('.');

// A page of the application: its token comes from getToken, which answers the
// first token, then \`window.nextToken\` on a refresh (a login changes it).
const APP = `
import { connect } from ${JSON.stringify(`${ROOT}/src/client/index.ts`)};
const query = new URLSearchParams(location.search);
window.events = [];
window.types = [];
window.nextToken = query.get('next') ?? query.get('token');
window.open = (first) => connect({
  url: query.get('hub'),
  getToken: ({ refresh }) => (refresh ? window.nextToken : first),
  lastId: '0',
  onEvent: (event) => { window.events.push(event.id); window.types.push(event.type); },
});
window.hub = window.open(query.get('token'));
`;

type Tab = { hub: { role: string; status: { state: string; error?: { code: string } }; userId?: string }; events: string[]; types: string[] };

describe.skipIf(!existsSync(CHROMIUM))('one connection per browser, in Chromium', () => {
  let site: AppSite;

  beforeAll(async () => {
    site = await startAppSite();
    site.script = (await build({ stdin: { contents: APP, resolveDir: ROOT }, bundle: true, format: 'esm', write: false })).outputFiles[0]!.text;
  }, 60_000);
  afterAll(() => site?.close());

  const publisher = () => createPublisher({ url: site.host.url, secret: TEST_VARS.WEBHOOK_SECRET });
  const websockets = async (user: string) => (await publisher().presence(user)).connections.websocket;
  const read = (page: Page) => page.evaluate(() => ({ role: (globalThis as unknown as Tab).hub.role, events: (globalThis as unknown as Tab).events }));
  async function openTabs(context: BrowserContext, user: string, count: number, tokens?: { first: string; next: string }): Promise<Page[]> {
    const { first, next } = tokens ?? { first: await tokenFor(user), next: await tokenFor(user) };
    const pages: Page[] = [];
    for (let i = 0; i < count; i++) {
      const page = await context.newPage();
      await page.goto(`${site.origin}/?hub=${encodeURIComponent(site.host.url)}&token=${encodeURIComponent(first)}&next=${encodeURIComponent(next)}`);
      pages.push(page);
    }
    await expect.poll(async () => (await Promise.all(pages.map(read))).map((t) => t.role).sort().join(), { timeout: 15_000 }).toBe(
      ['leader', ...Array(count - 1).fill('follower')].sort().join(),
    );
    return pages;
  }
  const leaderOf = async (pages: Page[]) => {
    for (const page of pages) if ((await read(page)).role === 'leader') return page;
    throw new Error('no leader');
  };
  const everyTabHas = (pages: Page[], ids: string[]) =>
    expect.poll(async () => (await Promise.all(pages.map(read))).map((t) => t.events.join()), { timeout: 10_000 }).toEqual(pages.map(() => ids.join()));

  it('five tabs hold one WebSocket; closing the leader moves it, and every tab gets every event once', { timeout: 90_000 }, async () => {
    const context = await site.browser.newContext();
    const user = uniqueUser('tabs');
    const pages = await openTabs(context, user, 5);
    await expect.poll(() => websockets(user), { timeout: 10_000 }).toBe(1);
    for (let i = 1; i <= 3; i++) await publisher().publish(user, 'n', { i });
    await everyTabHas(pages, ['1', '2', '3']);

    const leader = await leaderOf(pages);
    await leader.close();
    const rest = pages.filter((page) => page !== leader);
    await expect.poll(async () => (await Promise.all(rest.map(read))).filter((t) => t.role === 'leader').length, { timeout: 5_000 }).toBe(1);
    await expect.poll(() => websockets(user), { timeout: 10_000 }).toBe(1);
    for (let i = 4; i <= 5; i++) await publisher().publish(user, 'n', { i });
    await everyTabHas(rest, ['1', '2', '3', '4', '5']);

    // A follower's waitForJob and inbox work through the leader's connection.
    const follower = (await Promise.all(rest.map(async (page) => ((await read(page)).role === 'follower' ? page : null)))).find(Boolean)!;
    const waiting = follower.evaluate(() =>
      (globalThis as unknown as { hub: { waitForJob(id: string, o: object): Promise<{ status: string }> } }).hub.waitForJob('zip-9', { timeout: 15_000 }).then((job) => job.status),
    );
    await publisher().updateJob(user, 'zip-9', { status: 'succeeded', result: { ok: true } });
    expect(await waiting).toBe('succeeded');
    await publisher().notify(user, { type: 'n', title: 'for every tab' });
    const counts = () => follower.evaluate(() => (globalThis as unknown as { hub: { inbox: { list(): Promise<{ counts: { unread: number } }> } } }).hub.inbox.list().then((p) => p.counts.unread));
    expect(await counts()).toBe(1);
    await context.close();
  });

  it('replaces a frozen leader: another tab steals the lock and the events go on', { timeout: 90_000 }, async () => {
    const context = await site.browser.newContext();
    const user = uniqueUser('frozen');
    const pages = await openTabs(context, user, 3);
    const leader = await leaderOf(pages);
    // Frozen: its script stops where it is (the DevTools debugger pauses it), its lock and socket stay.
    const cdp = await context.newCDPSession(leader);
    await cdp.send('Debugger.enable');
    await cdp.send('Debugger.pause');
    const rest = pages.filter((page) => page !== leader);
    await expect.poll(async () => (await Promise.all(rest.map(read))).filter((t) => t.role === 'leader').length, { timeout: 10_000 }).toBe(1);
    await publisher().publish(user, 'n', { after: 'freeze' });
    await everyTabHas(rest, ['1']);
    await cdp.send('Debugger.resume');
    // Thawed, the old leader finds its lock stolen and follows; it has every event once too.
    await expect.poll(async () => (await read(leader)).role, { timeout: 10_000 }).toBe('follower');
    await publisher().publish(user, 'n', { after: 'thaw' });
    await everyTabHas(pages, ['1', '2']);
    await context.close();
  });

  it('keeps two users in one browser apart: two connections, and neither sees the other', { timeout: 60_000 }, async () => {
    const context = await site.browser.newContext();
    const [alice, bob] = [uniqueUser('alice'), uniqueUser('bob')];
    const alices = await openTabs(context, alice, 2);
    const bobs = await openTabs(context, bob, 2);
    await expect.poll(async () => [await websockets(alice), await websockets(bob)], { timeout: 10_000 }).toEqual([1, 1]);
    await publisher().publish(alice, 'for.alice', {});
    await everyTabHas(alices, ['1']);
    await new Promise((r) => setTimeout(r, 500));
    for (const page of bobs) expect((await read(page)).events).toEqual([]);
    await context.close();
  });

  it('a tab whose login changes to another user leaves the group: no tab gets events of the new user, and the others go on', { timeout: 90_000 }, async () => {
    const context = await site.browser.newContext();
    const [amy, bob] = [uniqueUser('amy'), uniqueUser('bob')];
    for (let i = 1; i <= 6; i++) await publisher().publish(bob, 'bob.event', { i });
    // amy's first token runs out in 8 s; at the warning before it, the leader asks for a fresh one.
    const pages = await openTabs(context, amy, 3, { first: await tokenFor(amy, 8), next: await tokenFor(amy) });
    await publisher().publish(amy, 'amy.event', { i: 1 });
    await everyTabHas(pages, ['1']);
    // In the leader's tab the user logs out and bob logs in: its next token is bob's.
    const leader = await leaderOf(pages);
    const bobToken = await tokenFor(bob);
    await leader.evaluate((token) => void ((globalThis as unknown as { nextToken: string }).nextToken = token), bobToken);
    const state = (page: Page) => page.evaluate(() => (globalThis as unknown as Tab).hub.status);
    await expect.poll(() => state(leader), { timeout: 15_000 }).toMatchObject({ state: 'failed', error: { code: 'user_changed' } });
    const rest = pages.filter((page) => page !== leader);
    await expect.poll(async () => (await Promise.all(rest.map(read))).filter((t) => t.role === 'leader').length, { timeout: 10_000 }).toBe(1);
    await publisher().publish(bob, 'bob.event', { i: 7 });
    await publisher().publish(amy, 'amy.event', { i: 2 });
    await everyTabHas(rest, ['1', '2']);
    // The switched tab's application connects again, as bob: it has bob's events, and amy's tabs none of them.
    await leader.evaluate((token) => {
      const page = globalThis as unknown as Tab & { open(token: string): Tab['hub']; hub: Tab['hub'] };
      page.events = [];
      page.types = [];
      page.hub = page.open(token);
    }, bobToken);
    await expect.poll(async () => (await read(leader)).events.length, { timeout: 10_000 }).toBe(7);
    expect(await leader.evaluate(() => (globalThis as unknown as Tab).types.every((type) => type === 'bob.event'))).toBe(true);
    await publisher().publish(amy, 'amy.event', { i: 3 });
    await everyTabHas(rest, ['1', '2', '3']);
    for (const page of rest) expect(await page.evaluate(() => (globalThis as unknown as Tab).types)).toEqual(['amy.event', 'amy.event', 'amy.event']);
    expect(await leader.evaluate(() => (globalThis as unknown as Tab).hub.userId)).toBe(bob);
    await context.close();
  });

  it('a follower drops a frame on its channel that names another user', { timeout: 60_000 }, async () => {
    const context = await site.browser.newContext();
    const [amy, bob] = [uniqueUser('amy-chan'), uniqueUser('bob-chan')];
    const pages = await openTabs(context, amy, 2);
    await publisher().publish(amy, 'amy.event', {});
    await everyTabHas(pages, ['1']);
    // A message on amy's channel that is not amy's (what a bug elsewhere could post): dropped by every tab.
    await pages[0]!.evaluate(
      ([name, user]) => {
        const channel = new BroadcastChannel(name!);
        channel.postMessage({ kind: 'frame', frame: { id: '50', type: 'bob.event', data: {}, time: new Date().toISOString() }, user });
        channel.postMessage({ kind: 'frame', frame: { id: '51', type: 'unnamed', data: {}, time: new Date().toISOString() } });
        channel.close();
      },
      [`userhub:${new URL(site.host.url).origin}:${amy}`, bob],
    );
    await new Promise((resolve) => setTimeout(resolve, 500));
    await publisher().publish(amy, 'amy.event', {});
    await everyTabHas(pages, ['1', '2']);
    await context.close();
  });

  it('reports a service that does not allow this page\'s origin as status reconnecting with error network', { timeout: 60_000 }, async () => {
    const context = await site.browser.newContext();
    const page = await context.newPage();
    // The shared node host allows https://app.example only: Chromium refuses its CORS answers to this page.
    const other = inject('hostUrls').node!;
    const token = await tokenFor(uniqueUser('cors'));
    await page.goto(`${site.origin}/?hub=${encodeURIComponent(other)}&token=${encodeURIComponent(token)}`);
    await expect
      .poll(() => page.evaluate(() => (globalThis as unknown as Tab).hub.status), { timeout: 15_000 })
      .toMatchObject({ state: 'reconnecting', error: { code: 'network' } });
    await context.close();
  });
});
