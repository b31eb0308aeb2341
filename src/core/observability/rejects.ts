// Middleware that reports every refused request (status 400 and above) to the
// host's observer: status, error code, route. Only refusals pay for it: the
// code is read from a copy of the (small, JSON) error body.

import type { MiddlewareHandler } from 'hono';
import { routePath } from 'hono/route';
import type { Env } from '../config.ts';
import { redactUrl } from './log.ts';
import type { HubObserver } from './observer.ts';

async function errorCodeOf(response: Response): Promise<string> {
  if (!response.headers.get('Content-Type')?.includes('application/json')) return 'unknown';
  try {
    const body = (await response.clone().json()) as { error?: { code?: unknown } };
    return typeof body.error?.code === 'string' ? body.error.code : 'unknown';
  } catch {
    return 'unknown';
  }
}

/** The last route the request matched, unless that was only a catch-all middleware. */
function matchedRoute(c: Parameters<MiddlewareHandler>[0]): string | null {
  const route = routePath(c, -1);
  return route === '' || route === '*' || route.endsWith('/*') ? null : route;
}

export function observeRejects(observerFor: (env: Env) => HubObserver): MiddlewareHandler {
  return async (c, next) => {
    await next();
    const status = c.res.status;
    if (status < 400) return;
    observerFor(c.env ?? {}).rejected({
      status,
      code: await errorCodeOf(c.res),
      route: matchedRoute(c),
      method: c.req.method,
      path: redactUrl(c.req.url),
    });
  };
}
