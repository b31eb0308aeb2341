// One Socket.IO node of the broadcast design: clients join the room of their
// user; a publish to any node is fanned out through Redis to every node, which
// writes it to the sockets of that room it holds (if any).
//   PORT, REDIS_URL, ADAPTER=classic|sharded

import { createServer } from 'node:http';
import { createAdapter } from '@socket.io/redis-adapter';
import { createShardedAdapter } from '@socket.io/redis-adapter';
import { createClient } from 'redis';
import { Server } from 'socket.io';
import { Adapter } from 'socket.io-adapter';

const port = Number(process.env.PORT);
const sharded = process.env.ADAPTER === 'sharded';

// Count what reaches this node: every broadcast, local or from Redis, passes
// through the in-memory adapter's broadcast(); one for a room this node does
// not hold is a wasted delivery.
const stats = { received: 0, wasted: 0 };
const originalBroadcast = Adapter.prototype.broadcast;
Adapter.prototype.broadcast = function (this: Adapter, packet, opts) {
  stats.received++;
  const room = [...opts.rooms][0];
  if (room !== undefined && !this.rooms.has(room)) stats.wasted++;
  return originalBroadcast.call(this, packet, opts);
};

const pub = createClient({ url: process.env.REDIS_URL });
const sub = pub.duplicate();
await Promise.all([pub.connect(), sub.connect()]);

const http = createServer((req, res) => {
  if (req.method === 'POST' && req.url === '/publish') {
    let body = '';
    req.on('data', (chunk) => (body += chunk));
    req.on('end', () => {
      const { userId, data } = JSON.parse(body) as { userId: string; data: string };
      io.to(`user:${userId}`).emit('n', data);
      res.writeHead(202).end();
    });
    return;
  }
  if (req.url === '/stats') {
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(stats));
    return;
  }
  if (req.url === '/health') {
    res.writeHead(200).end('ok');
    return;
  }
});

const io = new Server(http, {
  transports: ['websocket'],
  adapter: sharded ? createShardedAdapter(pub, sub) : createAdapter(pub, sub),
});
io.on('connection', (socket) => {
  const userId = socket.handshake.auth.userId as string;
  void socket.join(`user:${userId}`);
});

http.listen(port, '127.0.0.1');
