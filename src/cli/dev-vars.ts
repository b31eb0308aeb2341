// Finds the development variables file: .dev.vars if present, else the
// committed, development-only .dev.vars.example.

import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));

export function devVarsFile(): string {
  const own = `${root}.dev.vars`;
  return existsSync(own) ? own : `${root}.dev.vars.example`;
}

/** NAME=value lines of a variables file (dotenv syntax, as wrangler reads it). */
/** Runtime settings a variables file may not set for the service (TLS checks, loaders, flags): NODE_*, BUN_*, DENO_*. */
const RUNTIME_SETTING = /^(NODE|BUN|DENO)_/;

/** The service's variables from a variables file, without the runtime's own settings. */
export function readServiceVars(path: string): Record<string, string> {
  return Object.fromEntries(Object.entries(readVarsFile(path)).filter(([name]) => !RUNTIME_SETTING.test(name)));
}

export function readVarsFile(path: string): Record<string, string> {
  const vars: Record<string, string> = {};
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    const match = /^\s*([A-Z0-9_]+)\s*=\s*(.*?)\s*$/.exec(line);
    if (match) vars[match[1]!] = match[2]!.replace(/^"(.*)"$/, '$1');
  }
  return vars;
}

/**
 * What the CLI reads secrets from after the environment: .dev.vars in the
 * working directory, else the development file there (a checkout of this
 * repository) or beside the CLI's sources; none elsewhere (then the
 * environment only).
 */
export function readDevVars(): Record<string, string> {
  const cwd = process.cwd();
  const file = [`${cwd}/.dev.vars`, `${cwd}/.dev.vars.example`, devVarsFile()].find((path) => existsSync(path));
  return file ? readVarsFile(file) : {};
}

/** What `npm start` and `npm run start:<runtime>` print first; `varsFile` null: the environment only. */
export function connectHelp(base: string, label: string, varsFile: string | null): string {
  const source = varsFile ? `variables from ${varsFile.split('/').pop()}` : 'variables from the environment';
  return `
userhub (${label}) on ${base}   ${source}

  token:    export TOKEN=$(npx userhub token john)
  listen:   curl -N -H "Authorization: Bearer $TOKEN" ${base}/v1/events
  publish:  npx userhub send --user john --type export.ready --data '{"zip":"https://example.com/a.zip"}'
  listen:   npx userhub listen --user john
  any call: npx userhub call GET /v1/users/john/presence
`;
}
