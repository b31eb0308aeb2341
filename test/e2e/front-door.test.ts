// GET / and the favicon on every host: a page naming the service, its version
// and its docs, and no 404 for what a browser asks for first.

import { describe, expect, inject, it } from 'vitest';
import { SERVICE_VERSION } from '../../src/core/version.ts';
import { EVERY_HOST } from '../hosts/every-host.ts';

describe.concurrent.each(EVERY_HOST)('the front door on %s', (host) => {
  it('answers GET / with a page naming the service, its version and /docs, and the favicon with no 404', async () => {
    const base = inject('hostUrls')[host]!;
    const page = await fetch(`${base}/`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    const html = await page.text();
    expect(html).toContain(`userhub <small>${SERVICE_VERSION}</small>`);
    expect(html).toContain('href="/docs"');
    // The shared hosts run with DEMO_ENABLED=true (development): the demo is linked.
    expect(html).toContain('href="/demo/"');
    expect((await fetch(`${base}/docs`)).status).toBe(200);
    expect((await fetch(`${base}/favicon.ico`)).status).toBe(204);
  });
});
