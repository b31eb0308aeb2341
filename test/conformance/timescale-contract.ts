// The contract at the protocol's own time scales, run against hosts started
// with the default heartbeat and no stream lifetime: a stream idle for longer
// than a heartbeat interval stays open and still delivers, a long poll parked
// for the maximum `wait` answers 200 with Hub-Timed-Out, and a stream or poll
// ends the moment its socket closes. A runtime's idle timeout shorter than
// these (Bun's is 10 s), or a stream nothing ends, fails here, and only here:
// the quick contract runs with a one-second heartbeat and two-second streams.

import { connect, type Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import { MAX_WAIT_SECONDS, TIMED_OUT_HEADER } from '../../src/protocol/wire.ts';
import { createInbox } from '../helpers/inbox.ts';
import { tokenFor, uniqueUser } from '../helpers/requests.ts';
import { createSseParser, type SseFrame } from '../helpers/sse-parser.ts';
import { createHubClient, eventually } from './clients.ts';

export interface TimescaleOptions {
  /** The host's HEARTBEAT_SECONDS. */
  heartbeatSeconds: number;
  /**
   * The host learns at once that a client left. Not under wrangler dev, whose
   * local proxy neither passes the disconnect on to `request.signal` nor fails
   * the first write after it: there a parked poll ends with its `wait` and a
   * stream at its second or third heartbeat (README, Guarantees).
   */
  seesDisconnects: boolean;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Opens a raw connection and writes `bytes`; `received()` is what came back so far. */
function openRaw(base: string, bytes: string): { socket: Socket; received: () => string } {
  const url = new URL(base);
  const socket = connect(Number(url.port), url.hostname, () => socket.write(bytes));
  let received = '';
  socket.setEncoding('latin1');
  socket.on('data', (chunk: string) => (received += chunk));
  socket.on('error', () => {});
  return { socket, received: () => received };
}

export function describeTimescaleContract(host: string, baseUrl: () => string, options: TimescaleOptions) {
  const idleMs = (options.heartbeatSeconds + 5) * 1000;
  const waitMs = MAX_WAIT_SECONDS * 1000;

  describe.concurrent(`protocol time scales on ${host}`, () => {
    it(`keeps an SSE stream idle for ${idleMs / 1000} s open and delivers on it`, { timeout: idleMs + 20_000 }, async () => {
      const client = createHubClient(baseUrl());
      const user = uniqueUser('idle-sse');
      const response = await fetch(`${client.base}/v1/events`, { headers: { Authorization: `Bearer ${await tokenFor(user)}` } });
      expect(response.status).toBe(200);
      const frames = createInbox<SseFrame>();
      const parse = createSseParser((frame) => frames.push(frame));
      const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
      let ended = false;
      const pump = (async () => {
        for (;;) {
          const { done, value } = await reader.read().catch(() => ({ done: true, value: undefined }));
          if (done) return void (ended = true);
          parse(value!);
        }
      })();
      await sleep(idleMs);
      expect(ended).toBe(false);
      const seen: SseFrame[] = [...frames.pending.splice(0)];
      expect(seen.some((frame) => frame.comment)).toBe(true); // the heartbeat came, and the stream is still the same one
      const published = await client.publish(user, 'after.idle', { ok: true });
      expect(await published.json()).toMatchObject({ delivered: 1 });
      let frame = await frames.next(10_000);
      while (frame.comment) frame = await frames.next(10_000);
      expect(frame).toMatchObject({ event: 'after.idle' });
      await reader.cancel();
      await pump;
    });

    it(`keeps a WebSocket idle for ${idleMs / 1000} s open and delivers on it`, { timeout: idleMs + 20_000 }, async () => {
      const client = createHubClient(baseUrl());
      const user = uniqueUser('idle-ws');
      const socket = await client.socket(user);
      await socket.untilReady();
      let closed = false;
      void socket.closed.then(() => (closed = true));
      await sleep(idleMs);
      expect(closed).toBe(false);
      expect(await (await client.publish(user, 'after.idle', 1)).json()).toMatchObject({ delivered: 1 });
      expect(await socket.frames.next(10_000)).toMatchObject({ type: 'after.idle' });
      socket.ws.close();
    });

    it(`answers a long poll at the maximum wait (${MAX_WAIT_SECONDS} s) with 200 and ${TIMED_OUT_HEADER}`, { timeout: waitMs + 20_000 }, async () => {
      const client = createHubClient(baseUrl());
      const user = uniqueUser('max-wait');
      const started = Date.now();
      const response = await client.get(user, `/v1/poll?after=0&wait=${MAX_WAIT_SECONDS}`);
      expect(response.status).toBe(200);
      expect(response.headers.get(TIMED_OUT_HEADER)).toBe('true');
      expect(await response.json()).toMatchObject({ events: [], more: false });
      expect(Date.now() - started).toBeGreaterThanOrEqual(waitMs - 1000);
    });

    it(`answers a job long poll at the maximum wait with 200 and ${TIMED_OUT_HEADER}`, { timeout: waitMs + 20_000 }, async () => {
      const client = createHubClient(baseUrl());
      const user = uniqueUser('max-wait-job');
      expect((await client.putJob(user, 'slow-1', { status: 'running' })).status).toBeLessThan(300);
      const started = Date.now();
      const response = await client.get(user, `/v1/jobs/slow-1?wait=${MAX_WAIT_SECONDS}`);
      expect(response.status).toBe(200);
      expect(response.headers.get(TIMED_OUT_HEADER)).toBe('true');
      expect(await response.json()).toMatchObject({ id: 'slow-1', status: 'running' });
      expect(Date.now() - started).toBeGreaterThanOrEqual(waitMs - 1000);
    });

    it('ends SSE streams and long polls that carry an Upgrade header when their sockets close', { timeout: 3 * options.heartbeatSeconds * 1000 + 30_000 }, async () => {
      const client = createHubClient(baseUrl());
      const user = uniqueUser('upgrade-header');
      const authority = new URL(baseUrl()).host;
      const token = await tokenFor(user);
      const requests = ['websocket', 'h2c', 'x-unknown'].flatMap((protocol) =>
        ['/v1/events', '/v1/poll?after=0&wait=30'].map(
          (path) => `GET ${path} HTTP/1.1\r\nHost: ${authority}\r\nAuthorization: Bearer ${token}\r\nConnection: Upgrade\r\nUpgrade: ${protocol}\r\n\r\n`,
        ),
      );
      const opened = requests.map((bytes) => openRaw(baseUrl(), bytes));
      // Each is served as the stream or long poll it also is...
      await eventually(async () => {
        const { connections } = await client.presence(user);
        return connections.sse === 3 && connections.poll === 3;
      }, 10_000);
      for (const { received } of opened) expect(received()).not.toMatch(/^HTTP\/1\.1 (101|5\d\d)/);
      // ...and ends when its socket closes.
      for (const { socket } of opened) socket.destroy();
      const heartbeatMs = options.heartbeatSeconds * 1000;
      const sseEnds = eventually(
        async () => (await client.presence(user)).connections.sse === 0,
        options.seesDisconnects ? heartbeatMs + 5000 : 3 * heartbeatMs + 5000,
      );
      const pollEnds = eventually(
        async () => (await client.presence(user)).connections.poll === 0,
        options.seesDisconnects ? 10_000 : waitMs + 5000,
      );
      await Promise.all([sseEnds, pollEnds]);
      // The user is not locked out: a fresh stream is accepted.
      const socket = await client.socket(user);
      await socket.untilReady();
      socket.ws.close();
    });

    it('frees the place of an SSE client that reset its connection right after opening, well before a heartbeat', { timeout: 30_000 }, async () => {
      const client = createHubClient(baseUrl());
      const user = uniqueUser('sse-reset');
      const authority = new URL(baseUrl()).host;
      const raw = openRaw(baseUrl(), `GET /v1/events HTTP/1.1\r\nHost: ${authority}\r\nAuthorization: Bearer ${await tokenFor(user)}\r\n\r\n`);
      await eventually(() => raw.received().includes('hub.ready'), 10_000);
      raw.socket.resetAndDestroy(); // a flapping network: gone without a goodbye
      const started = Date.now();
      // A new stream is probed by an early heartbeat (one second), so its bridge ends long before the first regular one.
      await eventually(async () => (await client.presence(user)).connections.sse === 0, options.heartbeatSeconds * 1000 - 5000);
      expect(Date.now() - started).toBeLessThan(options.heartbeatSeconds * 1000 - 5000);
    });
  });
}
