// The Cloudflare build served by workerd with no development proxy in front:
// the bundle `wrangler deploy --dry-run` would upload, given to Miniflare's API,
// which starts one workerd process and hands it the Worker and its Durable
// Object class. Clients connect straight to workerd's socket.
//
//   node bench/peers/workerd-direct.ts <bundle dir> <port> <state dir>
//
// Vars come from the environment (HUB_VARS in bench/designs.ts); the wrangler.toml
// [vars] fill the rest. Miniflare 5 takes the v4 option shape through
// convertV4MiniflareOptions. WORKERD_CONFIG=plain skips Miniflare: workerd runs
// a config of its own (the Worker, its Durable Object namespace on local disk,
// one socket), without the entry worker Miniflare puts in front of every
// request.

import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';
import { convertV4MiniflareOptions, Miniflare } from 'miniflare';

const [bundle, port, state] = process.argv.slice(2) as [string, string, string];
const toml = readFileSync('wrangler.toml', 'utf8');
const tomlVars = Object.fromEntries(
  [...toml.slice(toml.indexOf('[vars]'), toml.indexOf('[env.')).matchAll(/^([A-Z_]+) = "(.*)"$/gm)].map((m) => [m[1]!, m[2]!]),
);
const names = ['JWT_SECRET', 'WEBHOOK_SECRET', 'MAX_CONNECTIONS_PER_USER', 'PUBLISH_RATE_PER_USER', 'LOG_LEVEL'];
const bindings = { ...tomlVars, ...Object.fromEntries(names.filter((n) => process.env[n] !== undefined).map((n) => [n, process.env[n]!])) };

if (process.env.WORKERD_CONFIG === 'plain') {
  const capnp = (text: string) => JSON.stringify(text);
  const config = `using Workerd = import "/workerd/workerd.capnp";
const config :Workerd.Config = (
  services = [ (name = "main", worker = .hub), (name = "disk", disk = (path = ${capnp(resolve(state))}, writable = true)) ],
  sockets = [ (name = "http", address = "127.0.0.1:${Number(port)}", http = (), service = "main") ],
);
const hub :Workerd.Worker = (
  modules = [ (name = "worker.js", esModule = embed ${capnp(relative(dirname(resolve(state)), join(resolve(bundle), 'worker.js')))}) ],
  compatibilityDate = ${capnp(/^compatibility_date = "(.*)"$/m.exec(toml)![1]!)},
  compatibilityFlags = ["enable_request_signal"],
  bindings = [ (name = "USER_HUB", durableObjectNamespace = "UserHub"), ${Object.entries(bindings).map(([k, v]) => `(name = ${capnp(k)}, text = ${capnp(v)})`).join(', ')} ],
  durableObjectNamespaces = [ (className = "UserHub", uniqueKey = "userhub-UserHub", enableSql = true) ],
  durableObjectStorage = (localDisk = "disk"),
);
`;
  mkdirSync(resolve(state), { recursive: true });
  const file = join(dirname(resolve(state)), 'workerd.capnp');
  writeFileSync(file, config);
  // Embedded paths in a capnp config are relative to the config file.
  const workerd = spawn(createRequire(import.meta.url).resolve('workerd/bin/workerd'), ['serve', '--experimental', file], { stdio: 'inherit' });
  workerd.once('exit', (code) => process.exit(code ?? 1));
  console.log(`workerd (own config) at http://127.0.0.1:${port}`);
  const stop = () => {
    workerd.kill('SIGTERM');
    process.exit(0);
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  await new Promise(() => {});
}

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
