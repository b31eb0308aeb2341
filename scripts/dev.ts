// npm start: runs the Worker under `wrangler dev` (workerd, local SQLite, no
// account, no network) with the development variables, and says how to connect.

import { spawn } from 'node:child_process';
import { connectHelp, devVarsFile } from '../src/cli/dev-vars.ts';

const port = process.env.PORT ?? '8787';
const base = `http://127.0.0.1:${port}`;
const varsFile = devVarsFile();

console.log(connectHelp(base, 'wrangler dev', varsFile));

const child = spawn(
  'wrangler',
  ['dev', '--ip', '127.0.0.1', '--port', port, '--env-file', varsFile, ...process.argv.slice(2)],
  { stdio: 'inherit', env: { ...process.env, WRANGLER_SEND_METRICS: 'false' } },
);
child.on('exit', (code) => process.exit(code ?? 0));
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => child.kill(signal));
