// npm run send -- <userId> <type> [json] : publishes one signed event to a
// running development server (PORT, default 8787).

import { signWebhook } from '../src/core/auth/webhook-signature.ts';
import { readDevVars } from './dev-vars.ts';

const [userId, type, data = 'null'] = process.argv.slice(2);
if (!userId || !type) {
  console.error("usage: npm run send -- <userId> <type> ['<json data>']");
  process.exit(2);
}
let parsed: unknown;
try {
  parsed = JSON.parse(data);
} catch {
  console.error('data must be JSON');
  process.exit(2);
}
const secret = process.env.WEBHOOK_SECRET ?? readDevVars().WEBHOOK_SECRET!;
const body = JSON.stringify({ type, data: parsed });
const headers = await signWebhook(secret.split(/[\s,]+/)[0]!, `msg_${crypto.randomUUID()}`, body);
const url = `${process.env.HUB_URL ?? `http://127.0.0.1:${process.env.PORT ?? '8787'}`}/v1/users/${encodeURIComponent(userId)}/events`;
const response = await fetch(url, { method: 'POST', headers: { ...headers, 'Content-Type': 'application/json' }, body });
console.log(response.status, await response.text());
process.exit(response.ok ? 0 : 1);
