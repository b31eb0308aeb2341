// The standalone host on Deno: Deno.serve with Deno.upgradeWebSocket, and
// node:sqlite for storage. startHost() builds and starts one (userhub serve
// calls it); run as a program, this file starts one itself.
//   deno run --env-file=.env --allow-net --allow-env --allow-read --allow-write src/standalone/deno.ts

import { DatabaseSync } from 'node:sqlite';
import type { WebSocketUpgrader } from '../core/backend.ts';
import { log } from '../core/observability/log.ts';
import { createStandaloneHost, databaseName, startOrExit, prepareDatabasePath, readStandaloneOptions } from './host.ts';
import type { SqliteDatabase } from './sqlite-store.ts';

/** The part of Deno's API used here (Deno's own types would clash with the Workers types). */
declare const Deno: {
  env: { toObject(): Record<string, string> };
  upgradeWebSocket(request: Request, options?: { protocol?: string; idleTimeout?: number }): { socket: WebSocket; response: Response };
  serve(
    options: { hostname: string; port: number; onListen?: () => void },
    handler: (request: Request) => Promise<Response>,
  ): { shutdown(): Promise<void> };
  addSignalListener(signal: 'SIGINT' | 'SIGTERM', handler: () => void): void;
  exit(code: number): never;
};

/** A socket quiet this long has nothing left unread; one that never goes quiet is closed after CLOSE_LINGER_MAX_MS. */
const CLOSE_QUIET_MS = 50;
const CLOSE_LINGER_MAX_MS = 2000;

/**
 * Deno closes the TCP connection right after the close frame while frames the
 * client already sent are still unread, so the kernel answers with a reset and
 * the client loses the close frame (it sees 1006, not the code: a client cut
 * for sending too fast never learns why). Closing once the client's frames
 * have stopped for a moment (they are read, and ignored, meanwhile) lets the
 * close frame and its code arrive; Node's ws and Bun drain by themselves.
 */
function closeWhenQuiet(socket: WebSocket, code: number, reason: string, lastMessageAt: () => number): void {
  const started = Date.now();
  const check = () => {
    const now = Date.now();
    if (now - lastMessageAt() < CLOSE_QUIET_MS && now - started < CLOSE_LINGER_MAX_MS) return void setTimeout(check, CLOSE_QUIET_MS / 2);
    try {
      socket.close(code, reason);
    } catch {
      // already closed
    }
  };
  check();
}

/** A started host: stop() closes its server and its database. */
export interface RunningHost {
  stop(): void;
}

/**
 * Builds and starts the Deno host from `env` (its variables: PORT, HOST,
 * DATABASE_PATH, the secrets, …): reads its options, opens its database and
 * listens. A bad setting ends the process with a one-line reason.
 */
export function startHost(env: Record<string, string | undefined> = Deno.env.toObject()): RunningHost {
  const options = startOrExit(() => readStandaloneOptions(env));

  const upgrade: WebSocketUpgrader = (request, protocol, onOpen) => {
    // Deno matches `protocol` against the offered list split on ", " only, so a
    // client that sends "a,b" (the ws package does) would be refused; the
    // echoed protocol is set on the response instead.
    // Deno pings every idleTimeout seconds and closes a socket whose pong does not come back.
    const { socket, response } = Deno.upgradeWebSocket(request, { idleTimeout: options.peerIdleSeconds });
    if (protocol) response.headers.set('Sec-WebSocket-Protocol', protocol);
    let handlers: ReturnType<typeof onOpen> | undefined;
    let lastMessageAt = 0;
    socket.addEventListener('open', () => {
      handlers = onOpen({
        send: (text) => socket.send(text),
        bufferedAmount: () => socket.bufferedAmount,
        close: (code, reason) => closeWhenQuiet(socket, code, reason, () => lastMessageAt),
      });
    });
    socket.addEventListener('message', (event) => {
      lastMessageAt = Date.now();
      handlers?.onMessage(event.data as string | ArrayBuffer);
    });
    socket.addEventListener('close', () => handlers?.onClose());
    socket.addEventListener('error', () => handlers?.onClose());
    return response;
  };

  // A cluster node keeps no file of its own: its rows are in PostgreSQL.
  const db = options.cluster ? null : startOrExit(() => new DatabaseSync(prepareDatabasePath(options.databasePath)));
  const host = createStandaloneHost(env, db as unknown as SqliteDatabase | null, upgrade, options);

  const server = Deno.serve({ hostname: options.host, port: options.port, onListen: () => {} }, (request) =>
    host.fetch(request),
  );
  log.info('listening', { runtime: 'deno', url: `http://${options.host}:${options.port}`, database: databaseName(options) });
  return {
    stop() {
      void server.shutdown();
      host.close();
    },
  };
}

// Run as a program (deno run … src/standalone/deno.ts): start, and stop on a signal.
if ((import.meta as { main?: boolean }).main) {
  const running = startHost();
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    Deno.addSignalListener(signal, () => {
      running.stop();
      Deno.exit(0);
    });
  }
}
