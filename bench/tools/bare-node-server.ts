// Bare Node servers answering a publish as the service would, without doing
// anything: node:http alone, or (HONO=1) a Hono app on @hono/node-server, the
// adapter the Node host uses. With bench/tools/served-publish.ts:
//   FLOOR_CMD='node bench/tools/bare-node-server.ts' RATE=500 taskset -c 0 node bench/tools/served-publish.ts
//   FLOOR_CMD='node bench/tools/bare-node-server.ts' HONO=1 RATE=500 taskset -c 0 node bench/tools/served-publish.ts
import { createServer } from 'node:http';
import { serve } from '@hono/node-server';
import { Hono } from 'hono';

const port = Number(process.env.PORT);
const answer = '{"id":"1","delivered":0}';

if (process.env.HONO) {
  const app = new Hono();
  app.get('/', (c) => c.text('ok'));
  app.post('/v1/users/:id/events', async (c) => {
    await c.req.text();
    return c.body(answer, 202, { 'Content-Type': 'application/json' });
  });
  serve({ fetch: app.fetch, port, hostname: '127.0.0.1' });
} else {
  createServer((req, res) => {
    if (req.method !== 'POST') return void res.end('ok');
    req.resume();
    req.on('end', () => {
      res.writeHead(202, { 'Content-Type': 'application/json' });
      res.end(answer);
    });
  }).listen(port, '127.0.0.1');
}
