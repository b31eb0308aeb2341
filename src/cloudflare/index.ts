// userhub/cloudflare: the service for a Worker project of your own. Export
// the Durable Object class and hand requests to the handler:
//
//   export { UserHub } from 'userhub/cloudflare';
//   export { default } from 'userhub/cloudflare';
//
// with the USER_HUB binding and the SQLite migration in the Worker's wrangler
// configuration (README, "Run it in your own Worker").

export { createWorkerApp, UserHub, type WorkerEnv } from './worker.ts';
export { default } from './worker.ts';
