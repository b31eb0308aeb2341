// The client against streams that go silent: a peer that sends hub.ready and
// then nothing, not even a heartbeat or an answer to a ping (a proxy that
// stopped forwarding, a half-open connection). The client gives it up after
// `silenceMs` and reconnects, resuming from its last id: SSE and WebSocket.

import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocketServer } from 'ws';
import { connect, type HubClient } from '../../src/client/index.ts';

const open: Array<{ close(): void }> = [];
afterEach(() => open.splice(0).forEach((thing) => thing.close()));

describe('an SSE stream that goes silent', () => {
  it('is reconnected after silenceMs, from the last id', async () => {
    const streams: Array<{ after: string | null; response: ServerResponse }> = [];
    const server = createServer((request, response) => {
      const url = new URL(request.url!, 'http://x');
      // The client shows its token to the server first: whose is it?
      if (request.method === 'POST' && url.pathname === '/v1/tickets') return response.writeHead(201, { 'Content-Type': 'application/json' }).end('{"ticket":"t","userId":"u"}');
      if (url.pathname !== '/v1/events') return response.writeHead(404).end();
      response.writeHead(200, { 'Content-Type': 'text/event-stream' });
      const after = url.searchParams.get('after');
      streams.push({ after, response });
      // The first stream delivers one event and then falls silent; the next one answers normally.
      if (streams.length === 1) response.write(`id: 1\nevent: n\ndata: {"id":"1","type":"n","data":1,"time":"2026-12-01T00:00:00.000Z"}\n\n`);
      response.write(`event: hub.ready\ndata: {"type":"hub.ready","data":{"lastId":"1"}}\n\n`);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    open.push({ close: () => server.close() }, { close: () => streams.forEach((s) => s.response.destroy()) });
    const events: string[] = [];
    const hub: HubClient = connect({
      url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
      token: 't',
      transports: ['sse'],
      lastId: '0',
      silenceMs: 500,
      backoff: { baseMs: 10, capMs: 50 },
      onEvent: (event) => events.push(event.id),
    });
    open.push(hub);
    const started = Date.now();
    for (let i = 0; i < 100 && streams.length < 2; i++) await new Promise((resolve) => setTimeout(resolve, 50));
    expect(streams.length).toBeGreaterThanOrEqual(2);
    expect(Date.now() - started).toBeGreaterThanOrEqual(450);
    expect(streams[0]!.after).toBe('0');
    expect(streams[1]!.after).toBe('1');
    expect(events).toEqual(['1']);
  });

  it('gives up a WebSocket whose server no longer answers pings, after silenceMs', async () => {
    const sockets: string[] = [];
    const server = createServer((request, response) => {
      // The ticket exchange the WebSocket transport starts with.
      if (request.method === 'POST' && request.url === '/v1/tickets') return response.writeHead(201, { 'Content-Type': 'application/json' }).end('{"ticket":"t","userId":"u"}');
      response.writeHead(404).end();
    });
    const wss = new WebSocketServer({ server, handleProtocols: () => 'userhub.v1' });
    wss.on('connection', (ws, request) => {
      sockets.push(new URL(request.url!, 'http://x').searchParams.get('after') ?? '');
      if (sockets.length === 1) ws.send('{"id":"1","type":"n","data":1,"time":"2026-12-01T00:00:00.000Z"}');
      ws.send('{"type":"hub.ready","data":{"lastId":"1"}}');
      // ...and never a pong.
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    open.push({ close: () => { wss.clients.forEach((c) => c.terminate()); wss.close(); server.close(); } });
    const events: string[] = [];
    const hub = connect({
      url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
      token: 't',
      transports: ['websocket'],
      lastId: '0',
      silenceMs: 600,
      backoff: { baseMs: 10, capMs: 50 },
      onEvent: (event) => events.push(event.id),
    });
    open.push(hub);
    for (let i = 0; i < 100 && sockets.length < 2; i++) await new Promise((resolve) => setTimeout(resolve, 50));
    expect(sockets).toEqual(['0', '1']);
    expect(events).toEqual(['1']);
  });
});

describe('a runtime without a WebSocket (Node 20)', () => {
  it('connects by SSE, then long polling, by default, instead of failing on the missing WebSocket', async () => {
    const saved = globalThis.WebSocket;
    // @ts-expect-error: Node 20 has none
    delete globalThis.WebSocket;
    try {
      const hub = connect({ url: 'http://127.0.0.1:1', token: 't', backoff: { baseMs: 10, capMs: 50 } });
      open.push(hub);
      expect(hub.status).toMatchObject({ state: 'connecting', transport: 'sse' });
    } finally {
      globalThis.WebSocket = saved;
    }
  });
});

describe('the check of whose token it is', () => {
  it('gives up a check that never answers after 15 s, and asks again', { timeout: 40_000 }, async () => {
    const checks: number[] = [];
    const server = createServer((request, response) => {
      if (request.method === 'POST' && request.url === '/v1/tickets') {
        checks.push(Date.now());
        if (checks.length === 1) return; // never answered
        return response.writeHead(201, { 'Content-Type': 'application/json' }).end('{"ticket":"t","userId":"u"}');
      }
      response.writeHead(200, { 'Content-Type': 'text/event-stream' }).write('data: {"type":"hub.ready","data":{"lastId":"0"}}\n\n');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    open.push({ close: () => server.close() }, { close: () => server.closeAllConnections() });
    const hub = connect({ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, token: 't', transports: ['sse'], backoff: { baseMs: 10, capMs: 50 } });
    open.push(hub);
    for (let i = 0; i < 400 && hub.status.state !== 'open'; i++) await new Promise((resolve) => setTimeout(resolve, 100));
    expect(hub.status.state).toBe('open');
    expect(checks.length).toBeGreaterThanOrEqual(2);
    expect(checks[1]! - checks[0]!).toBeGreaterThanOrEqual(14_500);
  });

  it('never opens a stream for a server that does not say whose the token is', async () => {
    const streams: string[] = [];
    const server = createServer((request, response) => {
      if (request.method === 'POST' && request.url === '/v1/tickets') return response.writeHead(201, { 'Content-Type': 'application/json' }).end('{"ticket":"t"}');
      streams.push(request.url!);
      response.writeHead(404).end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    open.push({ close: () => server.close() });
    const hub = connect({ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, token: 't', transports: ['sse', 'poll'], backoff: { baseMs: 10, capMs: 50 } });
    open.push(hub);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(hub.status.state).not.toBe('open');
    expect(streams).toEqual([]);
  });
});
