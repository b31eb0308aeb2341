// The standalone host on Node 22+: @hono/node-server for HTTP, the `ws`
// package for WebSockets, node:sqlite for storage.
//   node --env-file=.env src/standalone/node.ts

import { serve } from '@hono/node-server';
import type { IncomingMessage } from 'node:http';
import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import { DatabaseSync } from 'node:sqlite';
import { WebSocketServer } from 'ws';
import type { SocketHandlers, WebSocketUpgrader } from './connections.ts';
import { log } from '../core/observability/log.ts';
import { createStandaloneHost, prepareDatabasePath, readStandaloneOptions } from './host.ts';
import type { SqliteDatabase } from './sqlite-store.ts';

const env = process.env as Record<string, string>;
const options = readStandaloneOptions(env);

/** Upgrades the app accepted, by the Request it was given, until the socket is handed over. */
const accepted = new WeakMap<Request, { protocol?: string; onOpen: (s: Parameters<Parameters<WebSocketUpgrader>[2]>[0]) => SocketHandlers }>();
const upgrade: WebSocketUpgrader = (request, protocol, onOpen) => {
  accepted.set(request, { protocol, onOpen });
  return new Response(null, { status: 200 });
};

const db = new DatabaseSync(prepareDatabasePath(options.databasePath));
const host = createStandaloneHost(env, db as unknown as SqliteDatabase, upgrade, options);
const server = serve({ fetch: host.fetch, hostname: options.host, port: options.port });

const protocols = new WeakMap<IncomingMessage, string>();
const wss = new WebSocketServer({
  noServer: true,
  maxPayload: 64 * 1024,
  handleProtocols: (_offered, req) => protocols.get(req) ?? false,
});

function toRequest(req: IncomingMessage): Request {
  const headers = new Headers();
  for (const [name, value] of Object.entries(req.headers)) {
    if (value !== undefined) headers.set(name, Array.isArray(value) ? value.join(', ') : value);
  }
  return new Request(`http://${req.headers.host ?? 'localhost'}${req.url ?? '/'}`, { headers });
}

/** Writes a refused upgrade's HTTP response straight to the socket. */
async function refuse(socket: Duplex, response: Response): Promise<void> {
  const body = Buffer.from(await response.arrayBuffer());
  const head = [`HTTP/1.1 ${response.status} ${STATUS_CODES[response.status] ?? ''}`];
  response.headers.forEach((value, name) => head.push(`${name}: ${value}`));
  head.push(`content-length: ${body.length}`, 'connection: close', '', '');
  socket.end(Buffer.concat([Buffer.from(head.join('\r\n')), body]));
}

server.on('upgrade', async (req: IncomingMessage, socket: Duplex, head: Buffer) => {
  socket.on('error', () => socket.destroy());
  const request = toRequest(req);
  const response = await host.fetch(request);
  const upgrade = accepted.get(request);
  if (!upgrade) return refuse(socket, response);
  if (upgrade.protocol) protocols.set(req, upgrade.protocol);
  wss.handleUpgrade(req, socket, head, (ws) => {
    const handlers = upgrade.onOpen({
      send: (text) => ws.send(text),
      bufferedAmount: () => ws.bufferedAmount,
      close: (code, reason) => ws.close(code, reason),
    });
    ws.on('message', (data, isBinary) =>
      handlers.onMessage(isBinary ? new Uint8Array(data as Buffer).slice().buffer : String(data)),
    );
    ws.on('close', () => handlers.onClose());
    ws.on('error', () => ws.terminate());
  });
});

server.on('listening', () => log.info('listening', { runtime: 'node', url: `http://${options.host}:${options.port}`, database: options.databasePath }));

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    for (const ws of wss.clients) ws.close(1001, 'server going away');
    server.close();
    host.close();
    process.exit(0);
  });
}
