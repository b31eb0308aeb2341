// The standalone host on Node 22+: @hono/node-server for HTTP, the `ws`
// package for WebSockets, node:sqlite for storage. startHost() builds and
// starts one (userhub serve calls it); run as a program, this file starts one
// itself.
//   node --env-file=.env src/standalone/node.ts

import { serve } from '@hono/node-server';
import type { IncomingMessage } from 'node:http';
import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import { DatabaseSync } from 'node:sqlite';
import { pathToFileURL } from 'node:url';
import { WebSocketServer, type WebSocket } from 'ws';
import type { SocketHandlers, WebSocketUpgrader } from '../core/backend.ts';
import { badRequest } from '../core/errors.ts';
import { log } from '../core/observability/log.ts';
import { CONNECT_PATH } from '../protocol/wire.ts';
import { parseHostHeader } from './host-header.ts';
import { createStandaloneHost, databaseName, startOrExit, prepareDatabasePath, readStandaloneOptions } from './host.ts';
import type { SqliteDatabase } from './sqlite-store.ts';

/** `Upgrade: websocket` to /v1/connect: the one request that may leave HTTP. */
function isWebSocketUpgrade(req: IncomingMessage): boolean {
  const path = (req.url ?? '').split('?', 1)[0];
  return path === CONNECT_PATH && /^websocket$/i.test(String(req.headers.upgrade ?? '').trim());
}

/** The upgrade request as a Request aborted when its socket closes; null when its Host is not an authority. */
function toRequest(req: IncomingMessage, socket: Duplex): Request | null {
  const host = req.headers.host ?? 'localhost';
  if (!parseHostHeader(host)) return null;
  const headers = new Headers();
  try {
    for (const [name, value] of Object.entries(req.headers)) {
      if (value !== undefined) headers.set(name, Array.isArray(value) ? value.join(', ') : value);
    }
    const aborted = new AbortController();
    socket.once('close', () => aborted.abort());
    return new Request(`http://${host}${req.url ?? '/'}`, { headers, signal: aborted.signal });
  } catch {
    return null;
  }
}

/** Largest refusal body copied to the socket; the app's error bodies are far smaller. */
const MAX_REFUSAL_BYTES = 64 * 1024;

/** Writes a refused upgrade's HTTP response straight to the socket, reading at most MAX_REFUSAL_BYTES of it. */
async function refuse(socket: Duplex, response: Response): Promise<void> {
  const body = await readBounded(response, MAX_REFUSAL_BYTES);
  const head = [`HTTP/1.1 ${response.status} ${STATUS_CODES[response.status] ?? ''}`];
  response.headers.forEach((value, name) => {
    if (name !== 'content-length' && name !== 'transfer-encoding' && name !== 'connection') head.push(`${name}: ${value}`);
  });
  head.push(`content-length: ${body.length}`, 'connection: close', '', '');
  socket.end(Buffer.concat([Buffer.from(head.join('\r\n')), body]));
}

async function readBounded(response: Response, limit: number): Promise<Buffer> {
  if (!response.body) return Buffer.alloc(0);
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    size += value.length;
    if (size > limit) {
      await reader.cancel();
      break;
    }
  }
  return Buffer.concat(chunks).subarray(0, limit);
}

/** A started host: stop() closes its sockets (1001), its server and its database. */
export interface RunningHost {
  stop(): void;
}

/**
 * Builds and starts the Node host from `env` (its variables: PORT, HOST,
 * DATABASE_PATH, the secrets, …): reads its options, opens its database and
 * listens. A bad setting ends the process with a one-line reason.
 */
export function startHost(env: Record<string, string | undefined> = process.env): RunningHost {
  const options = startOrExit(() => readStandaloneOptions(env));

  /** Upgrades the app accepted, by the Request it was given, until the socket is handed over. */
  const accepted = new WeakMap<Request, { protocol?: string; onOpen: (s: Parameters<Parameters<WebSocketUpgrader>[2]>[0]) => SocketHandlers }>();
  const upgrade: WebSocketUpgrader = (request, protocol, onOpen) => {
    accepted.set(request, { protocol, onOpen });
    return new Response(null, { status: 200 });
  };

  // A cluster node keeps no file of its own: its rows are in PostgreSQL.
  const db = options.cluster ? null : startOrExit(() => new DatabaseSync(prepareDatabasePath(options.databasePath)));
  const host = createStandaloneHost(env, db as unknown as SqliteDatabase | null, upgrade, options);
  const server = serve({
    fetch: host.fetch,
    hostname: options.host,
    port: options.port,
    // Only a WebSocket upgrade of /v1/connect leaves the ordinary request path
    // (Node 22.21+); any other request that carries an `Upgrade:` header is served
    // as the plain request it also is, with the abort signal and the stream
    // bounds every request gets.
    serverOptions: { shouldUpgradeCallback: isWebSocketUpgrade } as object,
  });

  const protocols = new WeakMap<IncomingMessage, string>();
  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: 64 * 1024,
    handleProtocols: (_offered, req) => protocols.get(req) ?? false,
  });

  /**
   * The `ws` package neither pings nor times out: every half WS_PEER_IDLE_SECONDS
   * each socket is pinged, and one that answered nothing since the last round
   * (no frame, no pong) is terminated.
   */
  const heard = new WeakSet<WebSocket>();
  const peerCheck = setInterval(() => {
    for (const ws of wss.clients) {
      if (!heard.has(ws)) {
        ws.terminate();
        continue;
      }
      heard.delete(ws);
      ws.ping();
    }
  }, (options.peerIdleSeconds * 1000) / 2);
  peerCheck.unref();

  async function handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    const request = isWebSocketUpgrade(req) ? toRequest(req, socket) : null;
    if (!request) return refuse(socket, badRequest('Only a WebSocket upgrade of /v1/connect with a valid Host may upgrade.').toResponse());
    const response = await host.fetch(request);
    const upgrade = accepted.get(request);
    if (!upgrade) return refuse(socket, response);
    if (socket.destroyed) return; // the client left while the actor accepted: the open timeout forgets it
    if (upgrade.protocol) protocols.set(req, upgrade.protocol);
    wss.handleUpgrade(req, socket, head, (ws) => {
      heard.add(ws);
      ws.on('pong', () => heard.add(ws));
      const handlers = upgrade.onOpen({
        send: (text) => ws.send(text),
        bufferedAmount: () => ws.bufferedAmount,
        close: (code, reason) => ws.close(code, reason),
      });
      ws.on('message', (data, isBinary) => {
        heard.add(ws);
        handlers.onMessage(isBinary ? new Uint8Array(data as Buffer).slice().buffer : String(data));
      });
      ws.on('close', () => handlers.onClose());
      ws.on('error', () => ws.terminate());
    });
  }

  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', () => socket.destroy());
    handleUpgrade(req, socket, head).catch((err: unknown) => {
      log.error('upgrade_failed', { error: String(err) });
      socket.destroy();
    });
  });

  // A port already taken (or refused) stops the host with one line, as every other start-up refusal does.
  server.on('error', (err: Error) => startOrExit(() => {
    throw new Error(`cannot listen on ${options.host}:${options.port}: ${err.message}`);
  }));
  server.on('listening', () => log.info('listening', { runtime: 'node', url: `http://${options.host}:${options.port}`, database: databaseName(options) }));
  return {
    stop() {
      clearInterval(peerCheck);
      for (const ws of wss.clients) ws.close(1001, 'server going away');
      server.close();
      host.close();
    },
  };
}

// Run as a program (node src/standalone/node.ts): start, and stop on a signal.
if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const running = startHost();
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      running.stop();
      process.exit(0);
    });
  }
}
