// npm run send -- <userId> <type> [json]: publishes one signed event to a
// running development server. A shorthand for `npm run signed -- POST …`.

import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const [userId, type, data = 'null'] = process.argv.slice(2);
if (!userId || !type) {
  console.error("usage: npm run -s send -- <userId> <type> ['<json data>']");
  process.exit(2);
}
let parsed: unknown;
try {
  parsed = JSON.parse(data);
} catch {
  console.error('data must be JSON');
  process.exit(2);
}
const signed = fileURLToPath(new URL('./signed.ts', import.meta.url));
const body = JSON.stringify({ type, data: parsed });
const path = `/v1/users/${encodeURIComponent(userId)}/events`;
const { status } = spawnSync(process.execPath, [signed, 'POST', path, body], { stdio: 'inherit' });
process.exit(status ?? 1);
