// The Worker entry `npm start` and the tests run under wrangler dev: the
// deployed Worker plus the demo page (served only with DEMO_ENABLED=true).
//   wrangler dev src/cloudflare/dev-worker.ts

import { mountDemo } from '../demo/routes.ts';
import { createWorkerApp } from './worker.ts';

export { UserHub } from './user-hub.ts';

export default mountDemo(createWorkerApp());
