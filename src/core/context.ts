// The Hono environment shared by every route: bindings (env vars) and the
// per-request values middleware sets.

import type { Context } from 'hono';
import type { Config, Env } from './config.ts';
import type { HubBackend } from './backend.ts';
import type { HubObserver } from './observability/observer.ts';

export interface HubEnv {
  Bindings: Env;
  Variables: { config: Config; backend: HubBackend; observer: HubObserver };
}

export type HubContext = Context<HubEnv>;

/** How a host hands the app its way to the actors, given the request's env. */
export type BackendFactory = (env: Env) => HubBackend;
