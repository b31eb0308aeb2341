// The Cloudflare build served by workerd with no development proxy in front:
// the bundle `wrangler deploy --dry-run` would upload, given to Miniflare's API,
// which starts one workerd process and hands it the Worker and its Durable
// Object class. Clients connect straight to workerd's socket.
//
//   node bench/peers/workerd-direct.ts <bundle dir> <port> <state dir>
//
// Vars come from the environment (HUB_VARS in bench/designs.ts); the wrangler.toml
// [vars] fill the rest. Miniflare 5 takes the v4 option shape through
// convertV4MiniflareOptions.

import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { convertV4MiniflareOptions, Miniflare } from 'miniflare';

const [bundle, port, state] = process.argv.slice(2) as [string, string, string];
const toml = readFileSync('wrangler.toml', 'utf8');
const tomlVars = Object.fromEntries(
  [...toml.slice(toml.indexOf('[vars]'), toml.indexOf('[env.')).matchAll(/^([A-Z_]+) = "(.*)"$/gm)].map((m) => [m[1]!, m[2]!]),
);
const names = ['JWT_SECRET', 'WEBHOOK_SECRET', 'MAX_CONNECTIONS_PER_USER', 'PUBLISH_RATE_PER_USER', 'LOG_LEVEL'];
const bindings = { ...tomlVars, ...Object.fromEntries(names.filter((n) => process.env[n] !== undefined).map((n) => [n, process.env[n]!])) };

const mf = new Miniflare(
  convertV4MiniflareOptions({
    host: '127.0.0.1',
    // A DevTools endpoint for a CPU profile of the isolate (bench/tools/workerd-profile.ts).
    ...(process.env.INSPECTOR_PORT && { inspectorPort: Number(process.env.INSPECTOR_PORT) }),
    port: Number(port),
    modules: true,
    modulesRoot: resolve(bundle),
    scriptPath: join(resolve(bundle), 'worker.js'),
    compatibilityDate: /^compatibility_date = "(.*)"$/m.exec(toml)![1]!,
    compatibilityFlags: ['enable_request_signal'],
    bindings,
    durableObjects: { USER_HUB: { className: 'UserHub', useSQLite: true } },
    durableObjectsPersist: resolve(state),
  } as never),
);
const url = await mf.ready;
console.log(`workerd direct at ${url}`);
const stop = async () => {
  await mf.dispose();
  process.exit(0);
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
