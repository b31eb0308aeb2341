// A loopback HTTP and WebSocket proxy that tests use to break things for real:
// drop every connection mid-stream, refuse WebSocket or SSE, or swallow
// answers after the upstream processed the request.

import { createServer, request as httpRequest, type IncomingMessage, type Server } from 'node:http';
import { connect, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';

export type Blockable = 'websocket' | 'sse';

export interface ChaosProxy {
  url: string;
  /** Refuse new connections of these kinds with 503. */
  block(...kinds: Blockable[]): void;
  unblock(): void;
  /** Destroy every open connection, both sides. */
  dropAll(): void;
  /** The next `count` HTTP requests reach the upstream, but the client gets a 502. */
  swallowResponses(count: number): void;
  close(): Promise<void>;
}

export async function startChaosProxy(upstream: string): Promise<ChaosProxy> {
  const target = new URL(upstream);
  const sockets = new Set<Duplex>();
  const blocked = new Set<Blockable>();
  let swallow = 0;
  const track = (socket: Duplex) => {
    if (sockets.has(socket)) return; // keep-alive sockets are handed out again
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => socket.destroy());
  };
  const kindOf = (req: IncomingMessage): Blockable | undefined =>
    req.url?.startsWith('/v1/connect') ? 'websocket' : req.url?.startsWith('/v1/events') ? 'sse' : undefined;

  const server: Server = createServer((req, res) => {
    const kind = kindOf(req);
    if (kind && blocked.has(kind)) {
      res.writeHead(503).end();
      return;
    }
    const upstreamReq = httpRequest(
      { host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers },
      (upstreamRes) => {
        if (swallow > 0) {
          swallow--;
          upstreamRes.resume();
          res.writeHead(502).end();
          return;
        }
        res.writeHead(upstreamRes.statusCode ?? 502, upstreamRes.headers);
        upstreamRes.pipe(res);
      },
    );
    upstreamReq.on('socket', track);
    upstreamReq.on('error', () => res.destroy());
    req.pipe(upstreamReq);
  });
  server.on('connection', track);
  server.on('upgrade', (req, socket, head) => {
    if (blocked.has('websocket')) {
      socket.end('HTTP/1.1 503 Service Unavailable\r\ncontent-length: 0\r\nconnection: close\r\n\r\n');
      return;
    }
    const upstreamSocket: Socket = connect(Number(target.port), target.hostname, () => {
      const lines = [`${req.method} ${req.url} HTTP/1.1`];
      for (let i = 0; i < req.rawHeaders.length; i += 2) lines.push(`${req.rawHeaders[i]}: ${req.rawHeaders[i + 1]}`);
      upstreamSocket.write(`${lines.join('\r\n')}\r\n\r\n`);
      upstreamSocket.write(head);
      upstreamSocket.pipe(socket);
      socket.pipe(upstreamSocket);
    });
    track(upstreamSocket);
    track(socket);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    block: (...kinds) => kinds.forEach((kind) => blocked.add(kind)),
    unblock: () => blocked.clear(),
    dropAll: () => sockets.forEach((socket) => socket.destroy()),
    swallowResponses: (count) => (swallow = count),
    close: () =>
      new Promise((resolve) => {
        sockets.forEach((socket) => socket.destroy());
        server.close(() => resolve());
      }),
  };
}
