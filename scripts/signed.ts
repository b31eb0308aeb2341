// npm run signed -- <METHOD> <path> [json body]: sends one request signed per
// Standard Webhooks with the development WEBHOOK_SECRET to a running server
// (HUB_URL, default http://127.0.0.1:8787). GET requests sign an empty body.

import { signWebhook } from '../src/core/auth/webhook-signature.ts';
import { readDevVars } from './dev-vars.ts';

const [method, path, body = ''] = process.argv.slice(2);
if (!method || !path?.startsWith('/')) {
  console.error("usage: npm run -s signed -- <METHOD> </v1/path> ['<json body>']");
  process.exit(2);
}
if (body) {
  try {
    JSON.parse(body);
  } catch {
    console.error('the body must be JSON');
    process.exit(2);
  }
}
const secret = (process.env.WEBHOOK_SECRET ?? readDevVars().WEBHOOK_SECRET ?? '').split(/[\s,]+/)[0];
if (!secret) {
  console.error('WEBHOOK_SECRET is not set (in the environment, .dev.vars or .dev.vars.example)');
  process.exit(1);
}
const headers: Record<string, string> = await signWebhook(secret, `msg_${crypto.randomUUID()}`, body);
if (body) headers['Content-Type'] = 'application/json';
const base = process.env.HUB_URL ?? `http://127.0.0.1:${process.env.PORT ?? '8787'}`;
const response = await fetch(`${base}${path}`, { method: method.toUpperCase(), headers, body: body || undefined });
console.log(response.status, await response.text());
process.exit(response.ok ? 0 : 1);
