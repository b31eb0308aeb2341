// npm start: runs the Worker under `wrangler dev` (workerd, local SQLite, no
// account, no network) with the development variables, and says how to connect.
// Flags after `--` go to wrangler and win over the defaults here
// (`npm start -- --port 9000`, `npm start -- --ip 0.0.0.0`).

import { spawn } from 'node:child_process';
import { connectHelp, devVarsFile, readVarsFile } from '../src/cli/dev-vars.ts';
import { developmentSettingsRefusal } from '../src/standalone/development.ts';

/** The value of `--name value` or `--name=value` among args, if given. */
function flag(args: string[], name: string): string | undefined {
  for (let i = 0; i < args.length; i++) {
    if (args[i] === `--${name}`) return args[i + 1];
    if (args[i]!.startsWith(`--${name}=`)) return args[i]!.slice(name.length + 3);
  }
  return undefined;
}

const userArgs = process.argv.slice(2);
const ip = flag(userArgs, 'ip') ?? '127.0.0.1';
const port = flag(userArgs, 'port') ?? process.env.PORT ?? '8787';
const varsFile = flag(userArgs, 'env-file') ?? devVarsFile();

const refusal = developmentSettingsRefusal(readVarsFile(varsFile), ip);
if (refusal) {
  console.error(`userhub: not starting: ${refusal}`);
  process.exit(1);
}

const defaults = [
  ...(flag(userArgs, 'ip') ? [] : ['--ip', ip]),
  ...(flag(userArgs, 'port') ? [] : ['--port', port]),
  ...(flag(userArgs, 'env-file') ? [] : ['--env-file', varsFile]),
];
console.log(connectHelp(`http://${ip === '0.0.0.0' ? '127.0.0.1' : ip}:${port}`, 'wrangler dev', varsFile));

// The development entry: the deployed Worker plus the demo (DEMO_ENABLED=true in .dev.vars.example).
const child = spawn('wrangler', ['dev', 'src/cloudflare/dev-worker.ts', ...defaults, ...userArgs], {
  stdio: 'inherit',
  env: {
    ...process.env,
    WRANGLER_SEND_METRICS: 'false',
    // wrangler's local explorer runs raw SQL on any Durable Object for any
    // local process, with no credentials: never on in this project.
    X_LOCAL_EXPLORER: 'false',
  },
});
child.on('exit', (code) => process.exit(code ?? 0));
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => child.kill(signal));
