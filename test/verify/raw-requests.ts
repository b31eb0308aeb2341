// Guarantee: no request, however malformed, takes a host down. A corpus of
// request lines, headers and upgrade requests that no HTTP client would send is
// written over raw TCP; each must be answered with a 4xx (or the socket closed)
// within a few seconds, never a 2xx upgrade or a 5xx, and the host must still
// serve /v1/health afterwards. Plain Node, so `npm run verify` can use it.

import { connect } from 'node:net';
import { isHealthy } from './hub-wire.ts';
import { Tally, type SuiteReport } from './suite.ts';

export interface RawCase {
  name: string;
  /** The exact bytes written; `{host}` becomes the host's own `127.0.0.1:port`. */
  bytes: string;
  /** A lenient but lawful reading of the request may serve it (200 for /v1/health). */
  mayServe?: boolean;
}

export interface RawOptions {
  /**
   * The host is wrangler dev, whose local development proxy parses requests
   * before workerd or the Worker sees them and answers what it cannot parse
   * (a Host that is not an authority, `*`, CONNECT, a bad chunk) with 500, or
   * forgives it. Cloudflare's edge refuses such requests itself. There the
   * checks are that the proxy never upgrades, never hangs and keeps serving;
   * its 5xx are counted as `proxyErrors`.
   */
  devProxy?: boolean;
}

export interface RawAnswer {
  /** The status of the first response, or null when the socket closed (or timed out) without one. */
  status: number | null;
  /** The connection was still open when the wait ran out with no HTTP/1 response head. */
  timedOut: boolean;
  /** Bytes came back (an HTTP/2 reply to the preface has no HTTP/1 head). */
  replied: boolean;
  head: string;
}

const UPGRADE = 'Connection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n';
const BAD_HOSTS = ['exa mple', '[', 'a:b:c', '%%', 'h:99999', '', 'a/b', '[::1', 'x\tx', '@', 'h:-1', 'h:'];
const PATHS = ['/v1/connect', '/v1/events', '/v1/poll?wait=30', '/', '/nope', '/metrics'];

/** Every case, in a fixed order. */
export function rawCorpus(): RawCase[] {
  const cases: RawCase[] = [];
  const add = (name: string, bytes: string, mayServe = false) => cases.push({ name, bytes, mayServe });

  for (const host of BAD_HOSTS) {
    // An empty Host is lawful (RFC 9112 §3.2) and names no one: the health check may answer it.
    // The front door (/) answers a lawful empty Host as the plain GET the request also is.
    for (const path of PATHS) add(`upgrade ${path} with Host ${JSON.stringify(host)}`, `GET ${path} HTTP/1.1\r\nHost: ${host}\r\n${UPGRADE}\r\n`, host === '' && path === '/');
    add(`GET /v1/health with Host ${JSON.stringify(host)}`, `GET /v1/health HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`, host === '');
  }
  for (const path of PATHS.slice(1)) {
    // Served as the plain GET it also is, or refused; /metrics answers on a loopback host, / is the front door.
    const mayServe = path === '/metrics' || path === '/';
    add(`WebSocket upgrade of ${path}`, `GET ${path} HTTP/1.1\r\nHost: {host}\r\n${UPGRADE}\r\n`, mayServe);
    add(`h2c upgrade of ${path}`, `GET ${path} HTTP/1.1\r\nHost: {host}\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA\r\n\r\n`, mayServe);
    add(`unknown upgrade of ${path}`, `GET ${path} HTTP/1.1\r\nHost: {host}\r\nConnection: Upgrade\r\nUpgrade: x-unknown/1\r\n\r\n`, mayServe);
  }
  add('WebSocket upgrade without credentials', `GET /v1/connect HTTP/1.1\r\nHost: {host}\r\n${UPGRADE}\r\n`);
  add('WebSocket upgrade with a junk bearer', `GET /v1/connect HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer x.y.z\r\n${UPGRADE}\r\n`);
  add('WebSocket upgrade without a key', `GET /v1/connect HTTP/1.1\r\nHost: {host}\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\n\r\n`);
  add('WebSocket upgrade of version 8', `GET /v1/connect HTTP/1.1\r\nHost: {host}\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 8\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n`);
  add('WebSocket upgrade by POST', `POST /v1/connect HTTP/1.1\r\nHost: {host}\r\nContent-Length: 0\r\n${UPGRADE}\r\n`);
  add('WebSocket upgrade with a bad query', `GET /v1/connect?after=%%&ticket=%zz HTTP/1.1\r\nHost: {host}\r\n${UPGRADE}\r\n`);
  add('WebSocket upgrade with a huge protocol list', `GET /v1/connect HTTP/1.1\r\nHost: {host}\r\nSec-WebSocket-Protocol: ${'userhub.v1, '.repeat(600)}x\r\n${UPGRADE}\r\n`);
  add('WebSocket upgrade with a foreign Origin', `GET /v1/connect HTTP/1.1\r\nHost: {host}\r\nOrigin: https://evil.example\r\n${UPGRADE}\r\n`);

  // DNS rebinding: a page whose name was rebound to 127.0.0.1 sends that name as Host.
  add('GET /metrics addressed to a rebound name', 'GET /metrics HTTP/1.1\r\nHost: rebound.example:8787\r\nConnection: close\r\n\r\n');
  add('garbage request line', 'GARBAGE\r\n\r\n');
  add('method only', 'GET\r\n\r\n');
  add('no version', 'GET /v1/health\r\n\r\n', true);
  add('HTTP/9.9', 'GET /v1/health HTTP/9.9\r\nHost: {host}\r\n\r\n');
  add('HTTP/1.1 without Host', 'GET /v1/health HTTP/1.1\r\nConnection: close\r\n\r\n', true);
  add('two Host headers', 'GET /v1/health HTTP/1.1\r\nHost: {host}\r\nHost: evil.example\r\nConnection: close\r\n\r\n', true);
  add('absolute-form target to another host', 'GET http://evil.example/v1/health HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n', true);
  add('asterisk target', 'OPTIONS * HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n', true);
  add('CONNECT', 'CONNECT evil.example:443 HTTP/1.1\r\nHost: evil.example:443\r\n\r\n');
  add('lower-case method', 'get /v1/health HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n', true);
  add('space in the target', 'GET /v1/ health HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n');
  add('control byte in the target', 'GET /v1/\x01health HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n');
  add('bare percent in the path', 'GET /v1/%/x HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n');
  add('overlong percent-encoded dot segments', 'GET /v1/%2e%2e/%2e%2e/etc/passwd HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n', true);
  add('NUL in a header value', 'GET /v1/health HTTP/1.1\r\nHost: {host}\r\nX-A: a\x00b\r\nConnection: close\r\n\r\n', true);
  add('header without a colon', 'GET /v1/health HTTP/1.1\r\nHost: {host}\r\nNoColonHere\r\nConnection: close\r\n\r\n');
  add('space before the colon', 'GET /v1/health HTTP/1.1\r\nHost : {host}\r\nConnection: close\r\n\r\n', true);
  add('obsolete line folding', 'GET /v1/health HTTP/1.1\r\nHost: {host}\r\nX-A: a\r\n  folded\r\nConnection: close\r\n\r\n', true);
  add('bare LF line ends', 'GET /v1/health HTTP/1.1\nHost: {host}\nConnection: close\n\n', true);
  add('a 100 KiB target', `GET /v1/health?${'a'.repeat(100 * 1024)} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n`, true);
  add('a 100 KiB header', `GET /v1/health HTTP/1.1\r\nHost: {host}\r\nX-Big: ${'b'.repeat(100 * 1024)}\r\nConnection: close\r\n\r\n`, true);
  add('2,000 headers', `GET /v1/health HTTP/1.1\r\nHost: {host}\r\n${Array.from({ length: 2000 }, (_, i) => `X-H${i}: v`).join('\r\n')}\r\nConnection: close\r\n\r\n`, true);
  add('negative Content-Length', 'POST /v1/users/u/events HTTP/1.1\r\nHost: {host}\r\nContent-Length: -1\r\n\r\n');
  add('non-numeric Content-Length', 'POST /v1/users/u/events HTTP/1.1\r\nHost: {host}\r\nContent-Length: abc\r\n\r\n');
  add('two different Content-Lengths', 'POST /v1/users/u/events HTTP/1.1\r\nHost: {host}\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n{}');
  add('Content-Length with Transfer-Encoding', 'POST /v1/users/u/events HTTP/1.1\r\nHost: {host}\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n');
  add('unknown Transfer-Encoding', 'POST /v1/users/u/events HTTP/1.1\r\nHost: {host}\r\nTransfer-Encoding: gzip, identity\r\n\r\n');
  add('bad chunk size', 'POST /v1/users/u/events HTTP/1.1\r\nHost: {host}\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nab\r\n0\r\n\r\n');
  add('chunk size overflow', 'POST /v1/users/u/events HTTP/1.1\r\nHost: {host}\r\nTransfer-Encoding: chunked\r\n\r\nffffffffffffffffff\r\nab\r\n0\r\n\r\n');
  add('a huge declared body', 'POST /v1/users/u/events HTTP/1.1\r\nHost: {host}\r\nContent-Length: 99999999999999999999\r\n\r\n');
  add('binary noise', '\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03' + '\xff'.repeat(64) + '\r\n\r\n');
  // A host may speak HTTP/2 with prior knowledge (Deno does): any reply, or a close, is fine.
  add('HTTP/2 preface', 'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', true);
  add('request smuggling: CL.TE', 'POST /v1/health HTTP/1.1\r\nHost: {host}\r\nContent-Length: 6\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nG');
  add('Transfer-Encoding with a space before the colon', 'POST /v1/health HTTP/1.1\r\nHost: {host}\r\nTransfer-Encoding : chunked\r\n\r\n0\r\n\r\n');
  add('Upgrade header on an SSE stream with a bad Host', 'GET /v1/events HTTP/1.1\r\nHost: exa mple\r\nConnection: Upgrade\r\nUpgrade: foo\r\n\r\n');
  return cases;
}

/** Writes `bytes` and reads until the response head arrives, the socket closes, or `waitMs` runs out. */
export function sendRaw(base: string, bytes: string, waitMs = 4000): Promise<RawAnswer> {
  const url = new URL(base);
  return new Promise((resolve) => {
    const socket = connect(Number(url.port), url.hostname);
    let received = '';
    let settled = false;
    const finish = (timedOut: boolean) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      const match = /^HTTP\/\d(?:\.\d)? (\d{3})/.exec(received);
      resolve({ status: match ? Number(match[1]) : null, timedOut, replied: received.length > 0, head: received.split('\r\n\r\n', 1)[0]!.slice(0, 300) });
    };
    const timer = setTimeout(() => finish(true), waitMs);
    socket.setEncoding('latin1');
    socket.on('connect', () => socket.write(Buffer.from(bytes.replaceAll('{host}', url.host), 'latin1')));
    socket.on('data', (chunk: string) => {
      received += chunk;
      if (received.includes('\r\n\r\n')) finish(false);
    });
    socket.on('error', () => finish(false));
    socket.on('close', () => finish(false));
  });
}

/** True when the answer is acceptable: a 4xx (505 for a version), a closed socket, or 200 where the case allows it. */
export function isRefusal(answer: RawAnswer, entry: RawCase, options: RawOptions = {}): boolean {
  if (answer.timedOut) return entry.mayServe === true && answer.replied;
  if (options.devProxy) return answer.status !== 101;
  if (answer.status === null) return true;
  if (entry.mayServe && answer.status === 200) return true;
  return (answer.status >= 400 && answer.status < 500) || answer.status === 505;
}

/** Sends the whole corpus (a few at a time) and checks every answer and the host's health after it. */
export async function runRawRequests(base: string, options: RawOptions = {}): Promise<SuiteReport> {
  const tally = new Tally();
  const names = ['rawRequests', 'refused', 'served', 'closedSilently', 'upgraded', 'serverErrors', 'hung'];
  for (const name of options.devProxy ? [...names, 'proxyErrors'] : names) tally.set(name, 0);
  const cases = rawCorpus();
  const queue = [...cases];
  await Promise.all(
    Array.from({ length: 6 }, async () => {
      for (let entry = queue.shift(); entry; entry = queue.shift()) {
        const answer = await sendRaw(base, entry.bytes);
        tally.add('rawRequests');
        const serverError = answer.status !== null && answer.status >= 500 && answer.status !== 505;
        if (answer.status === 101) tally.add('upgraded');
        else if (serverError) tally.add(options.devProxy ? 'proxyErrors' : 'serverErrors');
        else if (answer.timedOut) tally.add(isRefusal(answer, entry, options) ? 'served' : 'hung');
        else if (answer.status === null) tally.add('closedSilently');
        else if (answer.status < 400) tally.add('served');
        else tally.add('refused');
        tally.expect(isRefusal(answer, entry, options), `${entry.name}: ${answer.timedOut ? 'no answer within 4 s' : answer.head.split('\r\n')[0]}`);
      }
    }),
  );
  const up = await isHealthy(base);
  tally.set('hostUp', up ? 1 : 0);
  tally.expect(up, '/v1/health did not answer 200 after the raw corpus');
  return tally.report();
}
