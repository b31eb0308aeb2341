// The HTTP API (v1) as one Hono app, the same on every host. A host supplies
// the way to reach actors; everything else (auth, validation, errors) is here.

import { Hono, type Context } from 'hono';
import { cors } from 'hono/cors';
import { HTTPException } from 'hono/http-exception';
import { configFor, type Env } from './config.ts';
import type { BackendFactory, HubEnv } from './context.ts';
import { HubError } from './errors.ts';
import { log } from './observability/log.ts';
import { SILENT_OBSERVER, type HubObserver } from './observability/observer.ts';
import { observeRejects } from './observability/rejects.ts';
import { frontDoorRoutes } from './front-door.ts';
import { documentedRoutes, openApiDocument, referencePage } from './openapi.ts';
import { PROTOCOL_HEADER, PROTOCOL_VERSION, SUPPORTED_PROTOCOLS } from '../protocol/wire.ts';
import { clientJobRoutes } from './routes/client-jobs.ts';
import { inboxRoutes } from './routes/inbox.ts';
import { pushRoutes } from './routes/push.ts';
import { publisherRoutes } from './routes/publisher.ts';
import { ticketRoutes } from './routes/tickets.ts';
import { transportRoutes } from './transports/index.ts';

/** Every route and its methods, as the API description lists them (a test holds the two together). */
export const ROUTES = documentedRoutes();

/** Every method a route answers, for CORS preflights. */
const ALLOWED_METHODS = [...new Set([...Object.values(ROUTES).flat(), 'OPTIONS'])];

function toHubError(err: unknown): HubError {
  if (err instanceof HubError) return err;
  if (err instanceof HTTPException) {
    if (err.status === 400) return new HubError('invalid_json', 'The body is not valid JSON.');
    if (err.status === 413) return new HubError('payload_too_large', 'The body is too large.');
  }
  // Never send a stack or an internal message to a client.
  log.error('unhandled', { error: String(err) });
  return new HubError('internal', 'Internal error.');
}

/** `observerFor` receives every refused request (the host's logs and counters). */
export function createApp(backendFor: BackendFactory, observerFor?: (env: Env) => HubObserver): Hono<HubEnv> {
  const app = new Hono<HubEnv>();
  if (observerFor) app.use('*', observeRejects(observerFor));

  app.onError((err) => toHubError(err).toResponse());
  app.notFound(() => new HubError('not_found', 'No such route.').toResponse());

  // The API description needs no configuration; everything after it does.
  app.get('/openapi.json', (c) => c.json(openApiDocument()));
  app.get('/docs', (c) => c.html(referencePage()));

  // Configuration is read per env; a missing secret fails closed here, for
  // every route a host mounts too (the demo).
  app.use('*', async (c, next) => {
    c.set('config', configFor(c.env ?? {}));
    c.set('backend', backendFor(c.env ?? {}));
    c.set('observer', observerFor?.(c.env ?? {}) ?? SILENT_OBSERVER);
    await next();
  });

  // CORS is for browsers, which send Origin. A request without one (a
  // backend's publish) skips hono/cors, which touches c.res before the handler
  // runs and so has Hono build every response three times.
  const corsFor = cors({
    origin: (origin, c: Context<HubEnv>) => (c.get('config').allowedOrigins.includes(origin) ? origin : null),
    credentials: true,
    allowMethods: ALLOWED_METHODS,
    allowHeaders: ['Authorization', 'Content-Type', 'Last-Event-ID', PROTOCOL_HEADER],
    exposeHeaders: ['Hub-Timed-Out'],
    maxAge: 600,
  });
  app.use('/v1/*', (c, next) => {
    if (c.req.header('origin') !== undefined) return corsFor(c, next);
    c.header('Vary', 'Origin');
    return next();
  });

  // A client that speaks a version this server does not is told so, whatever it asked.
  app.use('/v1/*', async (c, next) => {
    const version = c.req.header(PROTOCOL_HEADER);
    if (version !== undefined && !SUPPORTED_PROTOCOLS.includes(Number(version))) {
      throw new HubError('unsupported_protocol', `This server speaks protocol ${SUPPORTED_PROTOCOLS.join(', ')}; the client sent ${JSON.stringify(version.slice(0, 20))}.`);
    }
    await next();
  });

  app.get('/v1/health', (c) => c.json({ ok: true, protocol: PROTOCOL_VERSION }));
  app.route('/', frontDoorRoutes);
  app.route('/', ticketRoutes);
  app.route('/', transportRoutes);
  app.route('/', clientJobRoutes);
  app.route('/', inboxRoutes);
  app.route('/', pushRoutes);
  app.route('/', publisherRoutes);

  for (const [path, methods] of Object.entries(ROUTES)) {
    const allow = [...methods, 'OPTIONS'].join(', ');
    app.all(path, () =>
      new HubError('method_not_allowed', `Use ${methods.join(' or ')} on this route.`, {
        headers: { Allow: allow },
      }).toResponse(),
    );
  }
  return app;
}
