// A bare Bun.serve answering a publish as the service would, without doing anything: the runtime's own cost per request.
const server = Bun.serve({ hostname: '127.0.0.1', port: Number(process.env.PORT), fetch: async (req) => {
  if (req.method === 'POST') { await req.arrayBuffer(); return new Response('{"id":"1","delivered":0}', { status: 202, headers: { 'Content-Type': 'application/json' } }); }
  return new Response('ok');
} });
process.on('SIGTERM', () => process.exit(0));
