// An application's own site for browser tests: a loopback HTTP server on its
// own origin that serves a page and the application's bundled script, a
// standalone host that allows that origin, and Chromium. What the React,
// tab-sharing and package tests load their bundles into, with the
// application's own API routes (a token endpoint) beside them.

import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { chromium, type Browser } from 'playwright-core';
import { startStandalone, type StandaloneProcess } from '../hosts/standalone.ts';
import { TEST_VARS } from './test-vars.ts';

export const CHROMIUM = '/usr/bin/chromium';

export interface AppSite {
  /** The site's origin, e.g. http://127.0.0.1:41234. */
  origin: string;
  host: StandaloneProcess;
  browser: Browser;
  /** The script served at /app.js (the page loads it as a module). */
  script: string;
  /** The application's own API: a path's text answer (e.g. /api/hub-token), asked for each request. */
  routes: Map<string, () => string | Promise<string>>;
  close(): Promise<void>;
}

/** `page` is the HTML before the module script, given the host's URL (globals, a root element). */
export async function startAppSite(page: (hostUrl: string) => string = () => ''): Promise<AppSite> {
  let host: StandaloneProcess | undefined;
  const site: AppSite = { origin: '', host: undefined as unknown as StandaloneProcess, browser: undefined as unknown as Browser, script: '', routes: new Map(), close: async () => {} };
  const server = createServer((request, response) => {
    if (request.url === '/app.js') return response.writeHead(200, { 'Content-Type': 'text/javascript' }).end(site.script);
    const route = site.routes.get(request.url ?? '');
    if (route) return void Promise.resolve(route()).then((text) => response.writeHead(200, { 'Content-Type': 'text/plain' }).end(text));
    response.writeHead(200, { 'Content-Type': 'text/html' }).end(`${page(host!.url)}<script type="module" src="/app.js"></script>`);
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  site.origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  host = site.host = await startStandalone('node', { ...TEST_VARS, ALLOWED_ORIGINS: site.origin });
  site.browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu'] });
  site.close = async () => {
    await site.browser.close();
    await site.host.stop();
    server.close();
  };
  return site;
}
