// The demo page in real headless Chromium (Debian's /usr/bin/chromium, driven
// by playwright-core; no browser is downloaded). Install: apt-get install chromium.

import { existsSync, mkdirSync } from 'node:fs';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { hasDbus, startNotificationServer } from '../helpers/desktop-notifications.ts';
import { uniqueUser } from '../helpers/requests.ts';

const CHROMIUM = '/usr/bin/chromium';
const hasChromium = existsSync(CHROMIUM);
if (!hasChromium) console.warn(`skipping the browser tests: ${CHROMIUM} is missing (apt-get install chromium)`);
if (hasChromium && !hasDbus) console.warn('skipping the notification click test: dbus-daemon is missing (apt-get install dbus-daemon)');
const BROWSER_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

describe.skipIf(!hasChromium).each(['wrangler dev', 'node'])('the demo page in Chromium on %s', (host) => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await chromium.launch({ executablePath: CHROMIUM, args: BROWSER_ARGS });
  });
  afterAll(() => browser?.close());

  async function open(user: string, context?: BrowserContext): Promise<Page> {
    const page = await (context ?? browser).newPage({ viewport: { width: 900, height: 760 } });
    await page.goto(`${inject('hostUrls')[host]}/demo/?user=${encodeURIComponent(user)}`);
    await page.locator('#status[data-state="open"]').waitFor({ timeout: 15_000 });
    return page;
  }

  it('shows a slow job progressing and completing, in every tab of that user and no other', async () => {
    const [john, jane] = [uniqueUser('john'), uniqueUser('jane')];
    const first = await open(john);
    const second = await open(john);
    const other = await open(jane);
    expect(await first.locator('#status').textContent()).toBe('open (websocket)');

    await first.locator('#start').click();
    const progress = first.locator('#jobs li progress');
    await progress.waitFor({ timeout: 10_000 });
    // Progress moves before completion arrives.
    await expect.poll(async () => Number(await progress.getAttribute('value')), { timeout: 10_000 }).toBeGreaterThan(0);
    await first.locator('#jobs .state[data-status="succeeded"]').waitFor({ timeout: 15_000 });
    expect(Number(await progress.getAttribute('value'))).toBe(100);

    await second.locator('#jobs .state[data-status="succeeded"]').waitFor({ timeout: 5000 });
    expect(await second.locator('#log li').count()).toBe(await first.locator('#log li').count());
    expect(await other.locator('#jobs li').count()).toBe(0);
    expect(await other.locator('#log .empty').count()).toBe(1);

    mkdirSync('test-output', { recursive: true });
    await first.screenshot({ path: `test-output/demo-${host.replace(/\W+/g, '-')}.png`, fullPage: true });
  });

  it('keeps the inbox badge in step across tabs of one user: read in one, cleared in the other within a second', async () => {
    const [john, jane] = [uniqueUser('john'), uniqueUser('jane')];
    const first = await open(john);
    const second = await open(john);
    const other = await open(jane);
    const badge = (page: Page) => page.locator('#unread').textContent();

    await first.locator('#notify').click();
    await first.locator('#notify').click();
    for (const page of [first, second]) {
      await expect.poll(() => badge(page), { timeout: 10_000 }).toBe('2');
      await expect.poll(() => page.locator('#inbox li').count(), { timeout: 5_000 }).toBe(2);
    }

    await second.locator('#inbox li').first().click();
    const started = Date.now();
    await expect.poll(() => badge(first), { timeout: 5_000, interval: 50 }).toBe('1');
    expect(Date.now() - started).toBeLessThan(1_000);
    await expect.poll(() => first.locator('#inbox li[data-read="true"]').count(), { timeout: 5_000 }).toBe(1);

    expect(await badge(other)).toBe('0');
    expect(await other.locator('#inbox li').count()).toBe(0);

    const later = await open(john);
    await expect.poll(() => badge(later), { timeout: 5_000 }).toBe('1');
    await expect.poll(() => later.locator('#inbox li').count(), { timeout: 5_000 }).toBe(2);
    for (const page of [first, second, other, later]) await page.close();
  });

  // The persistent profile is the browser a person runs (a Playwright context of its own cannot open windows from a
  // service worker); the desktop's notification server is ours, on a private D-Bus, so the test can click.
  it.skipIf(!hasDbus)('registers the demo service worker, which shows a push (delivered through DevTools) as a notification that opens its url on click', async () => {
    const desktop = await startNotificationServer();
    const context = await chromium.launchPersistentContext('', {
      executablePath: CHROMIUM,
      args: BROWSER_ARGS,
      env: { ...process.env, DBUS_SESSION_BUS_ADDRESS: desktop.address },
    });
    try {
      const page = await open(uniqueUser('push'), context);
      const origin = new URL(page.url()).origin;
      await context.grantPermissions(['notifications'], { origin });
      await page.locator('#pushstate[data-sw="registered"]').waitFor({ state: 'attached', timeout: 10_000 });
      // No push service is reachable here: DevTools hands the service worker a push message as one would.
      const cdp = await context.newCDPSession(page);
      const registration = new Promise<{ registrationId: string; scopeURL: string }>((resolve) =>
        cdp.on('ServiceWorker.workerRegistrationUpdated', ({ registrations }) => {
          const found = registrations.find((r: { scopeURL: string; isDeleted: boolean }) => r.scopeURL.endsWith('/demo/') && !r.isDeleted);
          if (found) resolve(found);
        }),
      );
      await cdp.send('ServiceWorker.enable');
      const { registrationId } = await registration;
      // Registered is not yet active: a push to a worker still installing is dropped.
      await page.evaluate(() => (navigator as unknown as { serviceWorker: { ready: Promise<unknown> } }).serviceWorker.ready);
      const payload = { id: '7', type: 'comment', title: 'New comment', body: 'Someone replied.', url: '/demo/?from=push' };
      const deliver = () => cdp.send('ServiceWorker.deliverPushMessage', { origin, registrationId, data: JSON.stringify(payload) });
      type Shown = { title: string; body: string; tag: string; data: unknown };
      const notifications = () =>
        page.evaluate(async () => {
          type Registration = { getNotifications(): Promise<Shown[]> };
          const registration = await (navigator as unknown as { serviceWorker: { ready: Promise<Registration> } }).serviceWorker.ready;
          return (await registration.getNotifications()).map((n) => ({ title: n.title, body: n.body, tag: n.tag, data: n.data }));
        });
      await deliver();
      // The same push again if the first went to a worker that was still starting (its tag makes it one notification).
      await expect
        .poll(async () => {
          const count = (await notifications()).length;
          if (count === 0) await deliver();
          return count;
        }, { timeout: 10_000, interval: 500 })
        .toBe(1);
      expect(await notifications()).toEqual([{ title: 'New comment', body: 'Someone replied.', tag: '7', data: { id: '7', url: '/demo/?from=push' } }]);
      // What the desktop was given to show (a second delivery may have reached it too, as a replacement).
      await expect.poll(() => desktop.shown().length).toBeGreaterThan(0);
      const shown = desktop.shown().at(-1)!;
      expect(shown).toMatchObject({ app: 'Chromium', summary: 'New comment' });
      expect(shown.body).toContain('Someone replied.');

      // A click, as the desktop reports one: the service worker opens the notification's url in a new window.
      const opened = context.waitForEvent('page', { timeout: 10_000 });
      desktop.click(shown.id);
      const window = await opened;
      await window.waitForURL(`${origin}/demo/?from=push`, { timeout: 10_000 });
      await expect.poll(() => notifications()).toEqual([]);
    } finally {
      await context.close();
      await desktop.stop();
    }
  });
});
