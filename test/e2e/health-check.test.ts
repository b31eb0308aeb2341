// A load balancer's health check as haproxy sends it by default: HTTP/1.0,
// no Host header, on a raw socket. Every standalone host answers it 200 (Bun
// handed it over as a bare path, which the host refused as no URL, so a
// balancer took every Bun node for down).

import { connect } from 'node:net';
import { describe, expect, inject, it } from 'vitest';

/** The status line of one raw request's answer. */
function statusLine(base: string, request: string): Promise<string> {
  const { hostname, port } = new URL(base);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname, () => socket.end(request));
    let answer = '';
    socket.setTimeout(5000, () => socket.destroy(new Error('no answer in 5 s')));
    socket.on('data', (chunk) => (answer += chunk));
    socket.on('error', reject);
    socket.on('close', () => resolve(answer.split('\r\n')[0] ?? ''));
  });
}

describe.each(['node', 'bun', 'deno'])('a balancer health check on %s', (host) => {
  it('answers GET /v1/health over HTTP/1.0 without a Host header with 200', async () => {
    expect(await statusLine(inject('hostUrls')[host]!, 'GET /v1/health HTTP/1.0\r\n\r\n')).toMatch(/^HTTP\/1\.[01] 200/);
  });
});
