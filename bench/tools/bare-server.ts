// A bare Bun.serve answering a publish as the service would, without doing
// anything: the runtime's own cost per request (bench/tools/served-publish.ts FLOOR=1).

/** The part of Bun's API used here (Bun's own types would clash with the Workers types). */
declare const Bun: { serve(options: { hostname: string; port: number; fetch(request: Request): Promise<Response> }): unknown };

Bun.serve({
  hostname: '127.0.0.1',
  port: Number(process.env.PORT),
  fetch: async (request) => {
    if (request.method !== 'POST') return new Response('ok');
    await request.arrayBuffer();
    return new Response('{"id":"1","delivered":0}', { status: 202, headers: { 'Content-Type': 'application/json' } });
  },
});
process.on('SIGTERM', () => process.exit(0));
