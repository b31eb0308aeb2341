// The inbox UI in real Chromium against a real host, once as React's
// <NotificationBell> and once as the <userhub-bell> custom element: what the
// publisher sends shows in an open feed and on the badge, read, mark all read
// and archive in one tab show in another, "Load more" appends the next page,
// the keyboard opens and closes the popover with focus where it belongs, and
// axe-core finds no violation.

import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { build } from 'esbuild';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPublisher } from '../../src/publisher/index.ts';
import { CHROMIUM, startAppSite, type AppSite } from '../helpers/app-site.ts';
import { tokenFor, uniqueUser } from '../helpers/requests.ts';
import { TEST_VARS } from '../helpers/test-vars.ts';

const ROOT = resolve('.');
const AXE = resolve('node_modules/axe-core/axe.min.js');

// ?ui=react renders the React bell, ?ui=element the custom element (which reads its token from /api/hub-token).
const APP = `
import { createElement } from 'react';
import { createRoot } from 'react-dom/client';
import { HubProvider, NotificationBell } from ${JSON.stringify(`${ROOT}/src/react/index.ts`)};
import ${JSON.stringify(`${ROOT}/src/elements/index.ts`)};

const ui = new URLSearchParams(location.search).get('ui');
if (ui === 'react') {
  const options = { url: window.HUB_URL, getToken: () => fetch('/api/hub-token').then((r) => r.text()), transports: ['websocket'] };
  createRoot(document.getElementById('root')).render(createElement(HubProvider, { options }, createElement(NotificationBell, { pageSize: 5 })));
} else {
  const bell = document.createElement('userhub-bell');
  bell.setAttribute('url', window.HUB_URL);
  bell.setAttribute('token-url', '/api/hub-token');
  bell.setAttribute('page-size', '5');
  document.getElementById('root').append(bell);
}
`;

const UIS = ['react', 'element'] as const;

describe.skipIf(!existsSync(CHROMIUM))('the inbox UI in Chromium', () => {
  let site: AppSite;
  let token = '';

  beforeAll(async () => {
    site = await startAppSite((hub) => `<main><h1>App</h1><div id="root"></div></main><script>window.HUB_URL=${JSON.stringify(hub)}</script>`);
    site.routes.set('/api/hub-token', () => token);
    const bundled = await build({
      stdin: { contents: APP, loader: 'js', resolveDir: ROOT },
      bundle: true,
      format: 'esm',
      write: false,
      define: { 'process.env.NODE_ENV': '"production"' },
    });
    site.script = bundled.outputFiles[0]!.text;
  }, 60_000);
  afterAll(() => site?.close());

  const publisher = () => createPublisher({ url: site.host.url, secret: TEST_VARS.WEBHOOK_SECRET });

  /** A page of `ui` for the current token, once its bell knows the counts (the connection is open). */
  async function openPage(ui: string): Promise<Page> {
    const page = await site.browser.newPage();
    await page.goto(`${site.origin}/?ui=${ui}`);
    await page.locator('.userhub-bell__button[aria-label^="Notifications"]').waitFor({ timeout: 15_000 });
    return page;
  }
  const badge = (page: Page) => page.locator('.userhub-bell__badge:visible').textContent({ timeout: 1_000 }).catch(() => null);
  const titles = (page: Page, selector = '.userhub-item') => page.locator(`${selector} .userhub-item__title`).allTextContents();
  const unreadTitles = (page: Page) => titles(page, '.userhub-item--unread');
  const focusIn = (page: Page, selector: string) =>
    page.evaluate((s) => {
      const doc = (globalThis as unknown as { document: { activeElement: unknown; querySelector(s: string): { contains(node: unknown): boolean } | null } }).document;
      return !!doc.querySelector(s)?.contains(doc.activeElement);
    }, selector);

  for (const ui of UIS) {
    it(`${ui}: shows a notification in the open feed, bumps the badge and announces it, from one event`, { timeout: 60_000 }, async () => {
      const user = uniqueUser(`bell-${ui}`);
      token = await tokenFor(user);
      const page = await openPage(ui);
      try {
        await expect.poll(async () => (await publisher().presence(user)).connections.websocket, { timeout: 10_000 }).toBe(1);
        await page.locator('.userhub-bell__button').click();
        await page.locator('.userhub-feed__empty:visible', { hasText: 'No notifications' }).waitFor({ timeout: 10_000 });
        expect(await badge(page)).toBeNull();
        await publisher().notify(user, { type: 'comment', title: 'Ada replied', body: 'Looks good' });
        await expect.poll(() => titles(page), { timeout: 5_000 }).toEqual(['Ada replied']);
        await expect.poll(() => badge(page), { timeout: 5_000 }).toBe('1');
        expect(await page.locator('.userhub-bell__button').getAttribute('aria-label')).toBe('Notifications, 1 unread');
        expect(await page.locator('.userhub-item__body').textContent()).toBe('Looks good');
        expect(await page.locator('.userhub-item__time').textContent()).toBe('now');
        await expect.poll(() => page.locator('.userhub-feed [role="status"][aria-live="polite"]').textContent(), { timeout: 5_000 }).toBe('New notification: Ada replied');
      } finally {
        await page.close();
      }
    });

    it(`${ui}: read, mark all read and archive in one tab show in another tab of the same user`, { timeout: 90_000 }, async () => {
      const user = uniqueUser(`bell-tabs-${ui}`);
      token = await tokenFor(user);
      for (const title of ['one', 'two', 'three']) await publisher().notify(user, { type: 'comment', title });
      const [first, second] = [await openPage(ui), await openPage(ui)];
      try {
        for (const page of [first, second]) {
          await expect.poll(() => badge(page), { timeout: 10_000 }).toBe('3');
          await page.locator('.userhub-bell__button').click();
          await expect.poll(() => unreadTitles(page), { timeout: 10_000 }).toEqual(['three', 'two', 'one']);
        }
        await first.locator('.userhub-item__link', { hasText: 'two' }).click();
        await expect.poll(() => unreadTitles(second), { timeout: 5_000 }).toEqual(['three', 'one']);
        await expect.poll(() => badge(second), { timeout: 5_000 }).toBe('2');

        await first.locator('.userhub-feed__read-all').click();
        await expect.poll(() => unreadTitles(second), { timeout: 5_000 }).toEqual([]);
        await expect.poll(() => badge(second), { timeout: 5_000 }).toBeNull();

        await first.locator('.userhub-item', { hasText: 'three' }).locator('.userhub-item__archive').click();
        await expect.poll(() => titles(second), { timeout: 5_000 }).toEqual(['two', 'one']);
        expect(await titles(first)).toEqual(['two', 'one']);
      } finally {
        await first.close();
        await second.close();
      }
    });

    it(`${ui}: opens with Enter, moves focus into the popover and keeps it there, and Escape closes it and gives focus back to the bell`, { timeout: 60_000 }, async () => {
      const user = uniqueUser(`bell-keys-${ui}`);
      token = await tokenFor(user);
      for (const title of ['one', 'two']) await publisher().notify(user, { type: 'comment', title });
      const page = await openPage(ui);
      try {
        const bell = page.locator('.userhub-bell__button');
        await expect.poll(() => badge(page), { timeout: 10_000 }).toBe('2');
        await bell.focus();
        expect(await bell.getAttribute('aria-expanded')).toBe('false');
        await page.keyboard.press('Enter');
        await page.locator('.userhub-popover[role="dialog"]:visible').waitFor({ timeout: 5_000 });
        expect(await bell.getAttribute('aria-expanded')).toBe('true');
        expect(await bell.getAttribute('aria-controls')).toBe(await page.locator('.userhub-popover').getAttribute('id'));
        expect(await focusIn(page, '.userhub-popover')).toBe(true);
        await expect.poll(() => titles(page), { timeout: 10_000 }).toEqual(['two', 'one']);
        // Past the last control and back: focus never leaves the popover.
        for (let i = 0; i < 8; i++) {
          await page.keyboard.press('Tab');
          expect(await focusIn(page, '.userhub-popover')).toBe(true);
        }
        for (let i = 0; i < 3; i++) {
          await page.keyboard.press('Shift+Tab');
          expect(await focusIn(page, '.userhub-popover')).toBe(true);
        }
        // Archiving the focused item by keyboard leaves focus on its neighbour, in the popover.
        await page.locator('.userhub-item', { hasText: 'two' }).locator('.userhub-item__archive').focus();
        await page.keyboard.press('Enter');
        await expect.poll(() => titles(page), { timeout: 5_000 }).toEqual(['one']);
        expect(await focusIn(page, '.userhub-item')).toBe(true);
        await page.keyboard.press('Escape');
        await page.locator('.userhub-popover').waitFor({ state: 'hidden', timeout: 5_000 });
        expect(await bell.getAttribute('aria-expanded')).toBe('false');
        expect(await focusIn(page, '.userhub-bell__button')).toBe(true);
        await page.keyboard.press('Space');
        await page.locator('.userhub-popover:visible').waitFor({ timeout: 5_000 });
        expect(await focusIn(page, '.userhub-popover')).toBe(true);
      } finally {
        await page.close();
      }
    });

    it(`${ui}: lists five items a page and appends the next with "Load more"`, { timeout: 60_000 }, async () => {
      const user = uniqueUser(`bell-more-${ui}`);
      token = await tokenFor(user);
      for (let n = 1; n <= 7; n++) await publisher().notify(user, { type: 'comment', title: `item ${n}` });
      const page = await openPage(ui);
      try {
        await expect.poll(() => badge(page), { timeout: 10_000 }).toBe('7');
        await page.locator('.userhub-bell__button').click();
        await expect.poll(() => titles(page), { timeout: 10_000 }).toEqual(['item 7', 'item 6', 'item 5', 'item 4', 'item 3']);
        await page.locator('.userhub-feed__more').click();
        await expect.poll(() => titles(page), { timeout: 5_000 }).toEqual(['item 7', 'item 6', 'item 5', 'item 4', 'item 3', 'item 2', 'item 1']);
        await page.locator('.userhub-feed__more').waitFor({ state: 'hidden', timeout: 5_000 });
      } finally {
        await page.close();
      }
    });

    it(`${ui}: has no axe-core violations, closed and open`, { timeout: 60_000 }, async () => {
      const user = uniqueUser(`bell-axe-${ui}`);
      token = await tokenFor(user);
      await publisher().notify(user, { type: 'comment', title: 'Build finished', body: 'All green', url: '/builds/7' });
      await publisher().notify(user, { type: 'comment', title: 'Ada replied' });
      const page = await openPage(ui);
      try {
        await page.addScriptTag({ path: AXE });
        const violations = () =>
          page.evaluate(async () => {
            const axe = (globalThis as unknown as { axe: { run(context: unknown): Promise<{ violations: Array<{ id: string; nodes: unknown[] }> }> } }).axe;
            const { violations } = await axe.run({ include: [['.userhub-bell']] });
            return violations.map((violation) => `${violation.id} (${violation.nodes.length})`);
          });
        await expect.poll(() => badge(page), { timeout: 10_000 }).toBe('2');
        expect(await violations()).toEqual([]);
        await page.locator('.userhub-bell__button').click();
        await expect.poll(() => titles(page), { timeout: 10_000 }).toEqual(['Ada replied', 'Build finished']);
        expect(await violations()).toEqual([]);
      } finally {
        await page.close();
      }
    });
  }
});
