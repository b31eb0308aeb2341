// The entry of the single executable (`npm run build:binary`, bun build
// --compile): the Bun host with variables from the environment, then
// ./.dev.vars (as `userhub serve` reads them), and its database in
// ./userhub-data/ unless DATABASE_PATH says otherwise.

import { existsSync } from 'node:fs';
import { readServiceVars } from '../cli/dev-vars.ts';

if (existsSync('.dev.vars')) for (const [name, value] of Object.entries(readServiceVars('.dev.vars'))) process.env[name] ??= value;
process.env.DATABASE_PATH ||= 'userhub-data/userhub.sqlite';
const { startHost } = await import('./bun.ts');
const running = startHost();
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    running.stop();
    process.exit(0);
  });
}
