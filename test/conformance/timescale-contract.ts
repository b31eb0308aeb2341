// The contract at the protocol's own time scales, run against hosts started
// with the default heartbeat: a stream idle for longer than a heartbeat
// interval stays open and still delivers, and a long poll parked for the
// maximum `wait` answers 200 with Hub-Timed-Out. A runtime's idle timeout
// shorter than these (Bun's is 10 s) fails here, and only here: the quick
// contract runs with a one-second heartbeat.

import { describe, expect, it } from 'vitest';
import { MAX_WAIT_SECONDS, TIMED_OUT_HEADER } from '../../src/core/protocol.ts';
import { createInbox } from '../helpers/inbox.ts';
import { tokenFor, uniqueUser } from '../helpers/requests.ts';
import { createSseParser, type SseFrame } from '../helpers/sse-parser.ts';
import { createHubClient } from './clients.ts';

export interface TimescaleOptions {
  /** The host's HEARTBEAT_SECONDS. */
  heartbeatSeconds: number;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

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
  });
}
