// The demo, served in development by every host (DEMO_ENABLED=true): the page,
// the client bundle, development tokens for any user, a simulated slow job
// that reports progress through the publisher API, and inbox notifications. Never enable it in
// production: it hands out tokens for any user.

import { Hono, type Context } from 'hono';
import { signClientToken } from '../core/auth/client-token.ts';
import type { HubEnv } from '../core/context.ts';
import { badRequest, HubError } from '../core/errors.ts';
import { isUserId } from '../protocol/wire.ts';
import { createPublisher } from '../publisher/index.ts';
import { CLIENT_JS } from './client-bundle.generated.ts';
import { DEMO_PAGE, SERVICE_WORKER } from './page.ts';

/** How the demo reaches the app's own publisher routes without a network hop. */
export type Dispatch = (request: Request, c: Context<HubEnv>) => Promise<Response>;

const STEPS = 8;
const STEP_MS = 600;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function userIdFrom(c: Context<HubEnv>): Promise<string> {
  const body = (await c.req.json().catch(() => null)) as { userId?: unknown } | null;
  const userId = body?.userId;
  if (typeof userId !== 'string' || !isUserId(userId)) throw badRequest('userId: a valid user id is required.');
  return userId;
}

/** Keeps background work alive: waitUntil on Cloudflare, nothing needed elsewhere. */
function inBackground(c: Context<HubEnv>, work: Promise<unknown>): void {
  const settled = work.catch((err) => console.error(JSON.stringify({ level: 'error', msg: 'demo job failed', error: String(err) })));
  try {
    c.executionCtx.waitUntil(settled);
  } catch {
    // no ExecutionContext on standalone hosts: the process keeps running
  }
}

/**
 * Adds the demo to an app built by createApp. Only development entries call it
 * (src/cloudflare/dev-worker.ts, the standalone hosts), so the production
 * Worker ships neither the page nor the client bundle.
 */
export function mountDemo<App extends Hono<HubEnv>>(app: App): App {
  app.route('/', createDemoRoutes((request, c) => Promise.resolve(app.fetch(request, c.env))));
  return app;
}

export function createDemoRoutes(dispatch: Dispatch) {
  /** The app's own publisher routes, signed with its own secret. */
  const publisherFor = (c: Context<HubEnv>) =>
    createPublisher({
      url: new URL(c.req.url).origin,
      secret: c.get('config').webhookSecrets[0]!,
      fetch: (input, init) => dispatch(new Request(input, init), c),
    });
  return new Hono<HubEnv>()
    .use('/demo/*', async (c, next) => {
      if (!c.get('config').demoEnabled) throw new HubError('not_found', 'No such route.');
      await next();
    })
    .get('/demo', (c) => c.redirect('/demo/'))
    .get('/demo/', (c) => c.html(DEMO_PAGE))
    .get('/demo/sw.js', (c) => c.body(SERVICE_WORKER, 200, { 'Content-Type': 'text/javascript; charset=utf-8', 'Cache-Control': 'no-cache' }))
    .get('/demo/client.js', (c) =>
      c.body(CLIENT_JS, 200, { 'Content-Type': 'text/javascript; charset=utf-8', 'Cache-Control': 'no-cache' }),
    )
    .post('/demo/token', async (c) => {
      const token = await signClientToken(c.get('config').jwtSecret, await userIdFrom(c), 3600);
      return c.json({ token });
    })
    .post('/demo/notify', async (c) => {
      const userId = await userIdFrom(c);
      const n = Math.floor(Math.random() * 1000);
      return c.json(await publisherFor(c).notify(userId, { type: 'comment', title: `New comment #${n}`, body: 'Someone replied to your post.', url: '/demo/' }), 201);
    })
    .post('/demo/jobs', async (c) => {
      const userId = await userIdFrom(c);
      const jobId = `zip-${Date.now().toString(36)}`;
      const publisher = publisherFor(c);
      inBackground(
        c,
        (async () => {
          await publisher.updateJob(userId, jobId, { status: 'queued' });
          for (let step = 1; step < STEPS; step++) {
            await sleep(STEP_MS);
            await publisher.updateJob(userId, jobId, { status: 'running', progress: step / STEPS });
          }
          await sleep(STEP_MS);
          await publisher.updateJob(userId, jobId, {
            status: 'succeeded',
            result: { url: `https://files.example.com/${jobId}.zip` },
          });
        })(),
      );
      return c.json({ jobId }, 202);
    });
}
