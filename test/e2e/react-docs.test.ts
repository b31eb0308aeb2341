// The React example of docs/react.md, run: its ```tsx block taken from the
// page, bundled with esbuild ('userhub/react' mapped to the sources) and
// rendered in Chromium against a real host, with only the service's URL
// swapped for the test host's and the page's /api/hub-token answered. What
// the publisher library sends (a notification, an event, a finished job)
// must show on the page, with nothing logged as an error on the way.

import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPublisher } from '../../src/publisher/index.ts';
import { CHROMIUM, startAppSite, type AppSite } from '../helpers/app-site.ts';
import { fencedBlocks } from '../helpers/markdown.ts';
import { tokenFor, uniqueUser } from '../helpers/requests.ts';
import { TEST_VARS } from '../helpers/test-vars.ts';

const ROOT = resolve('.');
const EXAMPLE_URL = "'https://hub.example.com'";

/** The page's one tsx block, which exports App. */
const example = fencedBlocks(readFileSync('docs/react.md', 'utf8')).filter((block) => block.info === 'tsx');

const ENTRY = `
import { createElement } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from 'docs-example';
createRoot(document.getElementById('root')).render(createElement(App));
`;

describe.skipIf(!existsSync(CHROMIUM))('the React example of docs/react.md in Chromium', () => {
  let site: AppSite;

  beforeAll(async () => {
    expect(example).toHaveLength(1);
    expect(example[0]!.text).toContain(EXAMPLE_URL);
    site = await startAppSite(() => '<div id="root"></div>');
    const source = example[0]!.text.replaceAll(EXAMPLE_URL, JSON.stringify(site.host.url));
    const bundled = await build({
      stdin: { contents: ENTRY, loader: 'js', resolveDir: ROOT },
      jsx: 'automatic',
      bundle: true,
      format: 'esm',
      write: false,
      define: { 'process.env.NODE_ENV': '"production"' },
      plugins: [
        {
          name: 'the-docs-example',
          setup(builder) {
            builder.onResolve({ filter: /^docs-example$/ }, () => ({ path: 'docs-example', namespace: 'docs' }));
            builder.onLoad({ filter: /.*/, namespace: 'docs' }, () => ({ contents: source, loader: 'tsx', resolveDir: ROOT }));
            builder.onResolve({ filter: /^userhub\/react$/ }, () => ({ path: `${ROOT}/src/react/index.ts` }));
          },
        },
      ],
    });
    site.script = bundled.outputFiles[0]!.text;
  }, 60_000);
  afterAll(() => site?.close());

  it('shows a notification, an event and a finished export that the publisher sends', { timeout: 60_000 }, async () => {
    const user = uniqueUser('react-docs');
    const token = await tokenFor(user);
    site.routes.set('/api/hub-token', () => token);
    const publisher = createPublisher({ url: site.host.url, secret: TEST_VARS.WEBHOOK_SECRET });
    const page = await site.browser.newPage();
    const problems: string[] = [];
    page.on('pageerror', (error) => problems.push(error.message));
    // A job that does not exist yet is read as 200 null: no 404 for the browser to log.
    page.on('console', (message) => void (message.type() === 'error' && problems.push(message.text())));
    try {
      await page.goto(`${site.origin}/`);
      await page.getByText('open', { exact: true }).waitFor({ timeout: 15_000 });
      // A job that does not exist yet is a state the example shows, not an error.
      await page.getByText('No export yet').waitFor({ timeout: 5_000 });
      await page.getByRole('button', { name: '🔔 0' }).waitFor({ timeout: 5_000 });

      await publisher.notify(user, { type: 'comment', title: 'A new comment on your post', url: '/posts/1' });
      await page.getByRole('link', { name: 'A new comment on your post' }).waitFor({ timeout: 5_000 });
      await page.getByRole('button', { name: '🔔 1' }).waitFor({ timeout: 5_000 });

      await publisher.publish(user, 'message.new', { text: 'Hello from the publisher' });
      await expect.poll(() => page.getByRole('status').textContent(), { timeout: 5_000 }).toBe('Hello from the publisher');

      await publisher.updateJob(user, 'zip-42', { status: 'running', progress: 0.5 });
      await expect.poll(() => page.locator('progress').getAttribute('value'), { timeout: 5_000 }).toBe('50');
      await publisher.updateJob(user, 'zip-42', { status: 'succeeded', result: { url: 'https://files.example.com/zip-42.zip' } });
      await expect.poll(() => page.getByRole('link', { name: 'Download' }).getAttribute('href'), { timeout: 5_000 }).toBe('https://files.example.com/zip-42.zip');
      expect(problems).toEqual([]);
    } finally {
      await page.close();
    }
  });
});
