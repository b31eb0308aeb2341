// A round-robin TCP splitter: each new connection goes to the next backend,
// as a load balancer in front of several Socket.IO nodes would do.
//   PORT, BACKENDS=port,port,…

import { connect, createServer } from 'node:net';

const backends = String(process.env.BACKENDS).split(',').map(Number);
let next = 0;

createServer((client) => {
  const upstream = connect(backends[next++ % backends.length]!, '127.0.0.1');
  client.pipe(upstream).pipe(client);
  const close = () => {
    client.destroy();
    upstream.destroy();
  };
  client.on('error', close);
  upstream.on('error', close);
  client.on('close', close);
  upstream.on('close', close);
}).listen(Number(process.env.PORT), '127.0.0.1');
