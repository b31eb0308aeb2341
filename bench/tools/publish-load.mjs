// Closed-loop publish load for profiling one standalone host: signs with the
// test webhook secret and keeps 64 requests in flight.
//   node bench/tools/publish-load.mjs http://127.0.0.1:8787 10000
import { createHmac } from 'node:crypto';
import { Agent, request } from 'undici';

const [url, count = '10000'] = process.argv.slice(2);
const key = Buffer.from('dGVzdC13ZWJob29rLXNlY3JldC0wMTIzNDU2Nzg5', 'base64');
const agent = new Agent({ connections: 64 });
const started = Date.now();
let inflight = [];
for (let i = 0; i < Number(count); i++) {
  const body = `{"type":"n","data":{"s":${i}}}`;
  const id = `p${started}-${i}`;
  const timestamp = String(Math.floor(Date.now() / 1000));
  const signature = `v1,${createHmac('sha256', key).update(`${id}.${timestamp}.${body}`).digest('base64')}`;
  const headers = { 'content-type': 'application/json', 'webhook-id': id, 'webhook-timestamp': timestamp, 'webhook-signature': signature };
  inflight.push(request(`${url}/v1/users/u${i % 500}/events`, { method: 'POST', dispatcher: agent, headers, body }).then((r) => r.body.dump()));
  if (inflight.length >= 64) {
    await Promise.all(inflight);
    inflight = [];
  }
}
await Promise.all(inflight);
console.log(`${count} publishes in ${Date.now() - started} ms`);
process.exit(0);
