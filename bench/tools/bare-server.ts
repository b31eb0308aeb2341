// A bare Bun.serve answering a publish as the service would, without doing
// anything: the runtime's own cost per request (bench/tools/served-publish.ts
// FLOOR=1), and per idle WebSocket (bench/tools/idle-memory.ts FLOOR=1).

/** The part of Bun's API used here (Bun's own types would clash with the Workers types). */
declare const Bun: {
  serve(options: {
    hostname: string;
    port: number;
    fetch(request: Request, server: { upgrade(request: Request, options: object): boolean }): Promise<Response | undefined>;
    websocket: { open(ws: { send(text: string): void }): void; message(): void };
  }): unknown;
};

Bun.serve({
  hostname: '127.0.0.1',
  port: Number(process.env.PORT),
  fetch: async (request, server) => {
    if (request.headers.get('upgrade') === 'websocket') {
      const upgraded = server.upgrade(request, { data: {}, headers: { 'Sec-WebSocket-Protocol': 'userhub.v1' } });
      return upgraded ? undefined : new Response('upgrade failed', { status: 400 });
    }
    if (request.method !== 'POST') return new Response('ok');
    await request.arrayBuffer();
    return new Response('{"id":"1","delivered":0}', { status: 202, headers: { 'Content-Type': 'application/json' } });
  },
  websocket: {
    open: (ws) => ws.send('{"type":"hub.ready","data":{"lastId":"0","protocol":1}}'),
    message: () => {},
  },
});
process.on('SIGTERM', () => process.exit(0));
