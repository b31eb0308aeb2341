// npm run start:node | start:bun | start:deno — the standalone host on one
// runtime, with its SQLite file under data/. Variables in the environment win
// over a variables file. The file is .dev.vars when you have one; the
// committed .dev.vars.example (public secrets, the demo on) fills in only in
// development mode: no JWT_SECRET or WEBHOOK_SECRET in the environment and a
// loopback HOST. The host itself refuses development secrets or the demo on a
// non-loopback HOST.

import { spawn } from 'node:child_process';
import { connectHelp, devVarsFile, readVarsFile } from '../src/cli/dev-vars.ts';
import { isDevelopmentMode } from '../src/standalone/development.ts';

const COMMANDS: Record<string, string[]> = {
  node: ['node', '--disable-warning=ExperimentalWarning', 'src/standalone/node.ts'],
  bun: ['bun', 'src/standalone/bun.ts'],
  deno: ['deno', 'run', '--allow-net', '--allow-env', '--allow-read', '--allow-write', 'src/standalone/deno.ts'],
};

const runtime = process.argv[2] ?? '';
const command = COMMANDS[runtime];
if (!command) {
  console.error(`usage: node scripts/standalone.ts <${Object.keys(COMMANDS).join('|')}>`);
  process.exit(2);
}
const file = devVarsFile();
const useFile = !file.endsWith('.example') || isDevelopmentMode(process.env);
const env: Record<string, string | undefined> = { ...(useFile ? readVarsFile(file) : {}), ...process.env };
env.PORT ??= '8787';
console.log(connectHelp(`http://${env.HOST || '127.0.0.1'}:${env.PORT}`, runtime, useFile ? file : null));
const [bin, ...args] = command;
const child = spawn(bin!, args, { stdio: 'inherit', env });
child.on('exit', (code) => process.exit(code ?? 0));
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => child.kill(signal));
