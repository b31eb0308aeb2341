// The standalone host on Bun: Bun.serve for HTTP and WebSockets, bun:sqlite
// for storage. startHost() builds and starts one (userhub serve and the single
// executable call it); run as a program, this file starts one itself.
//   bun --env-file=.env src/standalone/bun.ts

import { Database } from 'bun:sqlite';
import type { ServerSocket, SocketHandlers, WebSocketUpgrader } from '../core/backend.ts';
import { badRequest, HubError } from '../core/errors.ts';
import { log } from '../core/observability/log.ts';
import { createStandaloneHost, databaseName, startOrExit, holdsOpen, prepareDatabasePath, readStandaloneOptions } from './host.ts';

/** The part of Bun's API used here (Bun's own types would clash with the Workers types). */
interface BunSocket {
  data: { onOpen?: (socket: ServerSocket) => SocketHandlers; handlers?: SocketHandlers };
  send(text: string): number;
  getBufferedAmount(): number;
  close(code?: number, reason?: string): void;
}
interface BunServer {
  timeout(request: Request, seconds: number): void;
  upgrade(request: Request, options: { data: BunSocket['data']; headers?: Record<string, string> }): boolean;
  stop(closeActive?: boolean): void;
}
declare const Bun: {
  env: Record<string, string | undefined>;
  serve(options: {
    hostname: string;
    port: number;
    idleTimeout: number;
    reusePort: boolean;
    development: boolean;
    error(error: Error): Response;
    fetch(request: Request, server: BunServer): Promise<Response | undefined>;
    websocket: {
      maxPayloadLength: number;
      backpressureLimit: number;
      idleTimeout: number;
      sendPings: boolean;
      open(ws: BunSocket): void;
      message(ws: BunSocket, message: string | Uint8Array): void;
      close(ws: BunSocket): void;
    };
  }): BunServer;
};

/** Bun's socket as the host's ServerSocket (methods, not a closure each: an idle socket keeps this). */
class BunServerSocket implements ServerSocket {
  readonly #ws: BunSocket;
  constructor(ws: BunSocket) {
    this.#ws = ws;
  }
  send(text: string): void {
    this.#ws.send(text);
  }
  bufferedAmount(): number {
    return this.#ws.getBufferedAmount();
  }
  close(code: number, reason: string): void {
    this.#ws.close(code, reason);
  }
}

/** A started host: stop() closes its server and its database. */
export interface RunningHost {
  stop(): void;
}

/**
 * Builds and starts the Bun host from `env` (its variables: PORT, HOST,
 * DATABASE_PATH, the secrets, …): reads its options, opens its database and
 * listens. A bad setting ends the process with a one-line reason.
 */
export function startHost(env: Record<string, string | undefined> = Bun.env): RunningHost {
  const options = startOrExit(() => readStandaloneOptions(env));
  let server: BunServer;

  const upgrade: WebSocketUpgrader = (request, protocol, onOpen) => {
    const headers = protocol ? { 'Sec-WebSocket-Protocol': protocol } : undefined;
    if (!server.upgrade(request, { data: { onOpen }, headers })) {
      return badRequest('WebSocket upgrade failed.').toResponse();
    }
    return new Response(null); // ignored: Bun has already answered 101
  };

  // A cluster node keeps no file of its own: its rows are in PostgreSQL.
  const db = options.cluster ? null : startOrExit(() => new Database(prepareDatabasePath(options.databasePath)));
  const host = createStandaloneHost(env, db, upgrade, options);

  server = Bun.serve({
    hostname: options.host,
    port: options.port,
    // Bun closes a connection that has written nothing for `idleTimeout` seconds
    // (10 by default, at most 255), shorter than an SSE heartbeat or a long poll's
    // `wait` may be. Streams and parked polls end on the protocol's own clock
    // (heartbeats find dead peers), so their idle timer is off; every other
    // request keeps Bun's. https://bun.sh/docs/api/http#idletimeout
    idleTimeout: 10,
    // Bun would share a port taken by another process (SO_REUSEPORT) and split the requests between
    // two hosts with two stores: a second host on the same port must fail to start instead.
    reusePort: false,
    // Never Bun's HTML error page (it carries a stack); host.fetch already answers
    // every request, this is the last line behind it.
    development: false,
    error: () => new HubError('internal', 'Internal error.').toResponse(),
    fetch: (request, server) => {
      if (holdsOpen(request)) server.timeout(request, 0);
      // An HTTP/1.0 request without Host (a load balancer's default health check) reaches Bun as a bare
      // path; it is read against localhost, as the Node host does, instead of refused as no URL.
      return host.fetch(request.url.startsWith('/') ? new Request(`http://localhost${request.url}`, request) : request);
    },
    websocket: {
      maxPayloadLength: 64 * 1024,
      // Bun pings an idle socket and closes one that stays silent (no pong either): a dead peer frees its memory.
      idleTimeout: options.peerIdleSeconds,
      sendPings: true,
      // Above the host's own bound (SLOW_CONSUMER_BYTES), where Bun would drop frames.
      backpressureLimit: 16 * 1024 * 1024,
      open(ws) {
        const { data } = ws;
        data.handlers = data.onOpen!(new BunServerSocket(ws));
        data.onOpen = undefined;
      },
      message(ws, message) {
        ws.data.handlers?.onMessage(typeof message === 'string' ? message : message.slice().buffer);
      },
      close(ws) {
        ws.data.handlers?.onClose();
      },
    },
  });
  log.info('listening', { runtime: 'bun', url: `http://${options.host}:${options.port}`, database: databaseName(options) });
  return {
    stop() {
      server.stop(true);
      host.close();
    },
  };
}

// Run as a program (bun src/standalone/bun.ts): start, and stop on a signal.
if ((import.meta as { main?: boolean }).main) {
  const running = startHost();
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      running.stop();
      process.exit(0);
    });
  }
}
