// The Worker entry: the shared Hono app, reaching actors through Durable Objects.

import { createApp } from '../core/app.ts';
import { DurableObjectBackend } from './backend.ts';
import type { UserHub } from './user-hub.ts';

export { UserHub } from './user-hub.ts';

export interface WorkerEnv {
  USER_HUB: DurableObjectNamespace<UserHub>;
  [key: string]: unknown;
}

const backends = new WeakMap<object, DurableObjectBackend>();

const app = createApp((env) => {
  let backend = backends.get(env);
  if (!backend) {
    backend = new DurableObjectBackend((env as WorkerEnv).USER_HUB);
    backends.set(env, backend);
  }
  return backend;
});

export default app;
