// The Worker entry as deployed: the shared Hono app, reaching actors through
// Durable Objects. `npm start` runs dev-worker.ts, which adds the demo.

import { createApp } from '../core/app.ts';
import type { Env } from '../core/config.ts';
import { parseLogLevel, setLogLevel } from '../core/observability/log.ts';
import { createLoggingObserver, type HubObserver } from '../core/observability/observer.ts';
import { createAnalyticsRecorder } from './analytics.ts';
import { DurableObjectBackend } from './backend.ts';
import type { UserHub } from './user-hub.ts';

export { UserHub } from './user-hub.ts';

export interface WorkerEnv {
  USER_HUB: DurableObjectNamespace<UserHub>;
  [key: string]: unknown;
}

const backends = new WeakMap<object, DurableObjectBackend>();
const observers = new WeakMap<object, HubObserver>();

/** Logs (Workers Logs) and, when METRICS is bound, Analytics Engine data points. */
function observerFor(env: Env): HubObserver {
  let observer = observers.get(env);
  if (!observer) {
    setLogLevel(parseLogLevel(env.LOG_LEVEL));
    observer = createLoggingObserver(createAnalyticsRecorder(env));
    observers.set(env, observer);
  }
  return observer;
}

/** The app of this Worker: one Durable Object backend and one observer per env. */
export function createWorkerApp() {
  return createApp((env) => {
    let backend = backends.get(env);
    if (!backend) {
      backend = new DurableObjectBackend((env as WorkerEnv).USER_HUB);
      backends.set(env, backend);
    }
    return backend;
  }, observerFor);
}

export default createWorkerApp();
