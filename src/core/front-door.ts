// GET /: a small page naming the service and its version, with links to its
// API reference (and to the demo when it is on), so a browser pointed at the
// root finds its way instead of a 404; and a favicon request answered empty.

import { Hono } from 'hono';
import type { HubEnv } from './context.ts';
import { SERVICE_VERSION } from './version.ts';

function frontPage(demo: boolean): string {
  const link = (href: string, text: string, what: string) => `<li><a href="${href}">${text}</a>: ${what}</li>`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>userhub ${SERVICE_VERSION}</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:40rem;margin:3rem auto;padding:0 1rem;color:#1f2328}code{background:#f3f4f6;padding:0 .25rem}</style>
</head><body>
<h1>userhub <small>${SERVICE_VERSION}</small></h1>
<p>Per-user notifications: signed webhooks in, WebSocket, SSE and polls out, resumable without loss.</p>
<ul>
${link('/docs', 'API reference', 'every route, its parameters and errors')}
${link('/openapi.json', 'OpenAPI description', 'the same, for tools')}
${link('/v1/health', 'Health', 'whether this service is up and configured')}
${demo ? link('/demo/', 'Demo', 'a page that connects, publishes and shows the inbox (development only)') : ''}
</ul>
</body></html>`;
}

export const frontDoorRoutes = new Hono<HubEnv>()
  .get('/', (c) => c.html(frontPage(c.get('config').demoEnabled), 200, { 'Cache-Control': 'no-store' }))
  .get('/favicon.ico', (c) => c.body(null, 204, { 'Cache-Control': 'public, max-age=86400' }));
