// Finds the development variables file: .dev.vars if present, else the
// committed, development-only .dev.vars.example.

import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));

export function devVarsFile(): string {
  const own = `${root}.dev.vars`;
  return existsSync(own) ? own : `${root}.dev.vars.example`;
}

export function readDevVars(): Record<string, string> {
  const vars: Record<string, string> = {};
  for (const line of readFileSync(devVarsFile(), 'utf8').split('\n')) {
    const match = /^\s*([A-Z0-9_]+)\s*=\s*(.*?)\s*$/.exec(line);
    if (match) vars[match[1]!] = match[2]!.replace(/^"(.*)"$/, '$1');
  }
  return vars;
}

/** What `npm start` and `npm run start:<runtime>` print first. */
export function connectHelp(base: string, label: string, varsFile: string): string {
  return `
userhub (development, ${label}) on ${base}   variables from ${varsFile.split('/').pop()}

  token:    export TOKEN=$(npx userhub token john)
  listen:   curl -N -H "Authorization: Bearer $TOKEN" ${base}/v1/events
  publish:  npx userhub send --user john --type job.succeeded --data '{"zip":"https://example.com/a.zip"}'
  listen:   npx userhub listen --user john
  any call: npx userhub call GET /v1/users/john/presence
`;
}
