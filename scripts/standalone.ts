// npm run start:node | start:bun | start:deno — the standalone host on one
// runtime, with the development variables (.dev.vars, else .dev.vars.example)
// and its SQLite file under data/. Variables already in the environment win.

import { spawn } from 'node:child_process';
import { connectHelp, devVarsFile } from '../src/cli/dev-vars.ts';

const COMMANDS: Record<string, (envFile: string) => string[]> = {
  node: (envFile) => ['node', '--disable-warning=ExperimentalWarning', `--env-file=${envFile}`, 'src/standalone/node.ts'],
  bun: (envFile) => ['bun', `--env-file=${envFile}`, 'src/standalone/bun.ts'],
  deno: (envFile) => [
    'deno',
    'run',
    `--env-file=${envFile}`,
    '--allow-net',
    '--allow-env',
    '--allow-read',
    '--allow-write',
    'src/standalone/deno.ts',
  ],
};

const runtime = process.argv[2] ?? '';
const command = COMMANDS[runtime];
if (!command) {
  console.error(`usage: node scripts/standalone.ts <${Object.keys(COMMANDS).join('|')}>`);
  process.exit(2);
}
const varsFile = devVarsFile();
const port = process.env.PORT ?? '8787';
console.log(connectHelp(`http://127.0.0.1:${port}`, runtime, varsFile));
const [bin, ...args] = command(varsFile);
const child = spawn(bin!, args, { stdio: 'inherit', env: { ...process.env, PORT: port } });
child.on('exit', (code) => process.exit(code ?? 0));
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => child.kill(signal));
