#!/usr/bin/env node
// The userhub command line: try the service from a terminal in one minute.
//   npx userhub send --user john --type export.ready --data '{"zip":"…"}'
//   npx userhub listen --user john
//   npx userhub token john

import { existsSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { connect, type TransportName } from '../client/index.ts';
import { signClientToken } from '../core/auth/client-token.ts';
import { CLIENT_TRANSPORTS, EVENT_TYPE_PATTERN, isJobId, isReservedType, isUserId, RESERVED_TYPE_PREFIXES } from '../protocol/wire.ts';
import { createPublisher, PublisherError } from '../publisher/index.ts';
import { readDevVars, readServiceVars } from './dev-vars.ts';

const USAGE = `usage: userhub <command> [options]

  init    [--file <path>]
          write strong secrets (JWT_SECRET, WEBHOOK_SECRET, VAPID keys) to .dev.vars,
          never over an existing file, and print the wrangler secret put commands
  serve   run the service here (Node 22+, Bun or Deno): variables from the environment,
          then .dev.vars; the database in ./userhub-data/ unless DATABASE_PATH says otherwise

  send    --user <id> --type <type> [--data <json>] [--id <webhook-id>]
          publish one signed event
  notify  --user <id> --type <type> [--title <text>] [--body <text>] [--url <url>] [--data <json>]
          [--category <key>] [--collapse-key <key>] [--id <webhook-id>]
          [--push-after <s>] [--push-ttl <s>] [--push-urgency very-low|low|normal|high] [--no-push]
          store a notification in the user's inbox (announced as inbox.created; Web Push when not connected)
  receipt --user <id> --id <notificationId>
          print one inbox item with its receipt times (delivered, received, seen, read)
  job     --user <id> --id <jobId> --status <status> [--progress <0..1>] [--result <json>] [--error <json>]
          create or update a job
  listen  --user <id> [--transports websocket,sse,poll] [--after <eventId>] [--token <jwt>]
          print the user's events live, with the transport in use
  end     --user <id> [--revoke]
          close the user's connections (4503); --revoke also refuses every credential issued before now
  erase   --user <id>
          delete everything the service holds for the user
  token   <userId> [--ttl <seconds>]
          print a development client token (signed with JWT_SECRET)
  vapid   print a new VAPID key pair for Web Push (VAPID_PUBLIC_KEY, VAPID_PRIVATE_KEY)
  call    <METHOD> <path> [<json body>]
          send any publisher request, signed (e.g. call GET /v1/users/john/presence)

The service is HUB_URL (default http://127.0.0.1:8787). Secrets come from
JWT_SECRET / WEBHOOK_SECRET, else from .dev.vars or .dev.vars.example.
Exit codes: 0 done, 1 the request failed, 2 bad usage.`;

class UsageError extends Error {}

const hubUrl = () => process.env.HUB_URL ?? `http://127.0.0.1:${process.env.PORT ?? '8787'}`;

function secret(name: 'JWT_SECRET' | 'WEBHOOK_SECRET'): string {
  const value = process.env[name] ?? readDevVars()[name];
  if (!value) throw new UsageError(`${name} is not set (environment, .dev.vars or .dev.vars.example)`);
  return name === 'WEBHOOK_SECRET' ? value.split(/[\s,]+/)[0]! : value;
}

function json(flag: string, text: string | undefined): unknown {
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    throw new UsageError(`--${flag} must be JSON, got: ${text}`);
  }
}

/** --push-after / --push-ttl / --push-urgency, or --no-push. */
function pushFlags(values: Record<string, string | boolean | undefined>) {
  if (values['no-push']) return false as const;
  const seconds = (flag: string) => {
    const value = values[flag];
    if (value === undefined) return undefined;
    if (typeof value !== 'string' || !/^[0-9]{1,6}$/.test(value)) throw new UsageError(`--${flag}: whole seconds`);
    return Number(value);
  };
  const urgency = values['push-urgency'];
  if (urgency !== undefined && !['very-low', 'low', 'normal', 'high'].includes(String(urgency))) throw new UsageError('--push-urgency: very-low, low, normal or high');
  const push = { after: seconds('push-after'), ttl: seconds('push-ttl'), urgency: urgency as 'very-low' | 'low' | 'normal' | 'high' | undefined };
  return Object.values(push).some((v) => v !== undefined) ? push : undefined;
}

function typeFlag(value: string | undefined): string {
  if (!value) throw new UsageError('--type is required');
  if (!EVENT_TYPE_PATTERN.test(value) || isReservedType(value)) {
    throw new UsageError(`--type: 1-100 characters of A-Z a-z 0-9 _ . : / -, not starting with ${RESERVED_TYPE_PREFIXES.join(' ')}: ${value}`);
  }
  return value;
}

function userFlag(value: string | undefined): string {
  if (!value) throw new UsageError('--user is required');
  if (!isUserId(value)) throw new UsageError(`--user: not a valid user id: ${value}`);
  return value;
}

const publisher = () => createPublisher({ url: hubUrl(), secret: secret('WEBHOOK_SECRET'), retries: 2 });
const print = (value: unknown) => console.log(JSON.stringify(value));

/** A new VAPID key pair, base64url: the raw public point and the private scalar. */
async function vapidPair(): Promise<{ publicKey: string; privateKey: string }> {
  const pair = (await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, ['sign', 'verify'])) as CryptoKeyPair;
  const publicKey = Buffer.from(await crypto.subtle.exportKey('raw', pair.publicKey)).toString('base64url');
  const { d } = (await crypto.subtle.exportKey('jwk', pair.privateKey)) as JsonWebKey;
  return { publicKey, privateKey: d! };
}

const randomBase64 = (bytes: number) => Buffer.from(crypto.getRandomValues(new Uint8Array(bytes))).toString('base64');

/** The runtime this process is: Bun and Deno say so with their globals. */
const runtime = (): 'bun' | 'deno' | 'node' => ('Bun' in globalThis ? 'bun' : 'Deno' in globalThis ? 'deno' : 'node');

const commands: Record<string, (args: string[]) => Promise<void>> = {
  async init(args) {
    const { values } = parseArgs({ args, options: { file: { type: 'string' } } });
    const file = values.file ?? '.dev.vars';
    if (existsSync(file)) throw new UsageError(`${file} exists: not overwritten (remove it, or give --file)`);
    const vapid = await vapidPair();
    const vars = {
      JWT_SECRET: randomBase64(32),
      WEBHOOK_SECRET: `whsec_${randomBase64(32)}`,
      VAPID_PUBLIC_KEY: vapid.publicKey,
      VAPID_PRIVATE_KEY: vapid.privateKey,
      VAPID_SUBJECT: 'mailto:you@example.com',
    };
    const lines = Object.entries(vars).map(([name, value]) => `${name}=${value}`);
    writeFileSync(file, `# Secrets for this service: keep this file out of version control.\n${lines.join('\n')}\n`, { flag: 'wx', mode: 0o600 });
    console.log(`wrote ${file} (JWT_SECRET, WEBHOOK_SECRET, VAPID keys; set VAPID_SUBJECT to your address)\n`);
    console.log('For production on Cloudflare, store each as a secret (each command asks for the value):');
    for (const name of Object.keys(vars)) console.log(`  npx wrangler secret put ${name}`);
  },

  async serve() {
    const here = runtime();
    if (here === 'node' && !(await import('node:sqlite').then(() => true, () => false))) {
      throw new UsageError(`serve needs Node 22.13 or newer (node:sqlite); this is ${process.version}. Or: bunx --bun userhub serve`);
    }
    // Variables from the environment first, then .dev.vars (as wrangler dev reads it), never the runtime's own settings.
    if (existsSync('.dev.vars')) for (const [name, value] of Object.entries(readServiceVars('.dev.vars'))) process.env[name] ??= value;
    process.env.DATABASE_PATH ||= 'userhub-data/userhub.sqlite';
    // The runtime's host, built and started; this command runs as long as it does.
    const extension = import.meta.url.endsWith('.ts') ? 'ts' : 'js';
    const { startHost } = (await import(new URL(`../standalone/${here}.${extension}`, import.meta.url).href)) as { startHost(): { stop(): void } };
    const running = startHost();
    for (const signal of ['SIGINT', 'SIGTERM'] as const) {
      process.on(signal, () => {
        running.stop();
        process.exit(0);
      });
    }
    await new Promise<never>(() => undefined);
  },

  async send(args) {
    const { values } = parseArgs({ args, options: { user: { type: 'string' }, type: { type: 'string' }, data: { type: 'string' }, id: { type: 'string' } } });
    const user = userFlag(values.user);
    print(await publisher().publish(user, typeFlag(values.type), json('data', values.data), { idempotencyKey: values.id }));
  },

  async notify(args) {
    const text = { type: 'string' } as const;
    const { values } = parseArgs({
      args,
      options: {
        user: text, type: text, title: text, body: text, url: text, data: text, category: text, 'collapse-key': text, id: text,
        'push-after': text, 'push-ttl': text, 'push-urgency': text, 'no-push': { type: 'boolean' },
      },
    });
    const user = userFlag(values.user);
    const notification = {
      type: typeFlag(values.type),
      title: values.title,
      body: values.body,
      url: values.url,
      data: json('data', values.data),
      category: values.category,
      collapseKey: values['collapse-key'],
      push: pushFlags(values),
    };
    print(await publisher().notify(user, notification, { idempotencyKey: values.id }));
  },

  async vapid() {
    const { publicKey, privateKey } = await vapidPair();
    console.log(`VAPID_PUBLIC_KEY=${publicKey}\nVAPID_PRIVATE_KEY=${privateKey}`);
    console.error('# set both as secrets (wrangler secret put NAME), with VAPID_SUBJECT=mailto:you@example.com');
  },

  async receipt(args) {
    const { values } = parseArgs({ args, options: { user: { type: 'string' }, id: { type: 'string' } } });
    const user = userFlag(values.user);
    if (!values.id || !/^[0-9]+$/.test(values.id)) throw new UsageError('--id: the notification id (a number) is required');
    print(await publisher().getNotification(user, values.id));
  },

  async job(args) {
    const text = { type: 'string' } as const;
    const { values } = parseArgs({ args, options: { user: text, id: text, status: text, progress: text, result: text, error: text } });
    const user = userFlag(values.user);
    if (!values.id || !isJobId(values.id)) throw new UsageError('--id <jobId> is required');
    if (!values.status) throw new UsageError('--status is required');
    const progress = values.progress === undefined ? undefined : Number(values.progress);
    if (progress !== undefined && Number.isNaN(progress)) throw new UsageError('--progress must be a number');
    print(
      await publisher().updateJob(user, values.id, {
        status: values.status as 'queued',
        progress,
        result: json('result', values.result),
        error: json('error', values.error) as Record<string, unknown> | undefined,
      }),
    );
  },

  async end(args) {
    const { values } = parseArgs({ args, options: { user: { type: 'string' }, revoke: { type: 'boolean' } } });
    print(await publisher().endSessions(userFlag(values.user), { revoke: values.revoke === true }));
  },

  async erase(args) {
    const { values } = parseArgs({ args, options: { user: { type: 'string' } } });
    print(await publisher().erase(userFlag(values.user)));
  },

  async token(args) {
    const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { ttl: { type: 'string' } } });
    const user = positionals[0];
    if (!user || !isUserId(user)) throw new UsageError('usage: userhub token <userId> [--ttl <seconds>]');
    const ttl = Number(values.ttl ?? 3600);
    if (!Number.isInteger(ttl) || ttl <= 0) throw new UsageError('--ttl must be a positive integer');
    console.log(await signClientToken(secret('JWT_SECRET'), user, ttl));
  },

  async call(args) {
    const [method, path, body] = args;
    if (!method || !path?.startsWith('/')) throw new UsageError('usage: userhub call <METHOD> </v1/path> [<json body>]');
    print(await publisher().request(method, path, json('body', body)));
  },

  async listen(args) {
    const { values } = parseArgs({
      args,
      options: { user: { type: 'string' }, transports: { type: 'string' }, after: { type: 'string' }, token: { type: 'string' } },
    });
    const user = userFlag(values.user);
    // Node 20 has no WebSocket of its own: it listens by SSE or long poll there unless told otherwise.
    const available = CLIENT_TRANSPORTS.filter((t) => t !== 'websocket' || typeof globalThis.WebSocket === 'function');
    const transports = (values.transports ?? available.join(',')).split(',') as TransportName[];
    if (!transports.every((t) => (CLIENT_TRANSPORTS as readonly string[]).includes(t))) {
      throw new UsageError(`--transports: a comma-separated list of ${CLIENT_TRANSPORTS.join(', ')}`);
    }
    const token = values.token;
    let transport = '';
    await new Promise<void>((resolve) => {
      const hub = connect({
        url: hubUrl(),
        transports,
        lastId: values.after,
        getToken: async () => token ?? (await signClientToken(secret('JWT_SECRET'), user, 3600)),
        onStatus: (status) => {
          if ('transport' in status) transport = status.transport;
          console.error(`# ${status.state}${'transport' in status ? ` (${status.transport})` : ''}`);
          if (status.state === 'unauthorized') {
            process.exitCode = 1;
            resolve();
          }
        },
        onReset: (reset) => console.error(`# reset: ${reset.reason}, events missed`),
        onEvent: (event) => console.log(`[${transport}] ${event.id} ${event.type} ${JSON.stringify(event.data)}`),
      });
      process.once('SIGINT', () => {
        hub.close();
        resolve();
      });
    });
  },
};

async function main(argv: string[]): Promise<number> {
  const [name, ...args] = argv;
  if (!name || name === 'help' || name === '--help' || name === '-h') {
    console.log(USAGE);
    return name ? 0 : 2;
  }
  const command = commands[name];
  if (!command) {
    console.error(`userhub: unknown command "${name}"\n\n${USAGE}`);
    return 2;
  }
  try {
    await command(args);
    return Number(process.exitCode ?? 0);
  } catch (err) {
    if (err instanceof UsageError || (err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      console.error(`userhub ${name}: ${(err as Error).message}`);
      return 2;
    }
    if (err instanceof PublisherError) {
      console.error(`userhub ${name}: ${err.status || 'network'} ${err.code}: ${err.message}`);
      return 1;
    }
    console.error(`userhub ${name}: ${err instanceof Error ? err.message : String(err)}`);
    return 1;
  }
}

process.exit(await main(process.argv.slice(2)));
