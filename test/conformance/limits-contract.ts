// Limits every host must hold with real clients: the per-user connection cap
// under a burst of simultaneous connects, the per-user publish rate limit, and
// (where the host can see a socket's send buffer) the slow-consumer close.

import WebSocket from 'ws';
import { describe, expect, it } from 'vitest';
import { signWebhook } from '../../src/shared/webhook-signature.ts';
import { DEFAULT_LIMITS } from '../../src/core/config.ts';
import { publishRequest, tokenFor, uniqueUser } from '../helpers/requests.ts';
import { TEST_VARS } from '../helpers/test-vars.ts';
import { createHubClient, eventually } from './clients.ts';

export interface LimitsOptions {
  maxConnectionsPerUser: number;
  publishBurstPerUser: number;
  /** The host bounds each WebSocket's send buffer (standalone hosts). */
  slowConsumerClose: boolean;
}

/** Opens a WebSocket; resolves with it, or with the refusal's status. */
function tryConnect(base: string, token: string): Promise<WebSocket | number> {
  return new Promise((resolve) => {
    const ws = new WebSocket(`${base.replace(/^http/, 'ws')}/v1/connect`, { headers: { Authorization: `Bearer ${token}` } });
    ws.once('open', () => resolve(ws));
    ws.once('unexpected-response', (_req, res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    ws.once('error', () => resolve(0));
  });
}

/** Publishes, waiting out 429s with the same webhook-id, as the publisher library does. */
async function publishPaced(base: string, user: string, data: unknown, webhookId: string): Promise<string> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const response = await fetch(await publishRequest(base, user, 'big', data, { webhookId }));
    if (response.status === 202) return ((await response.json()) as { id: string }).id;
    await response.arrayBuffer();
    if (response.status !== 429) throw new Error(`publish refused: ${response.status}`);
    await new Promise((resolve) => setTimeout(resolve, Number(response.headers.get('Retry-After')) * 1000));
  }
  throw new Error('publish kept being refused');
}

export function describeLimitsContract(host: string, baseUrl: () => string, options: LimitsOptions) {
  describe(`limits on ${host}`, () => {
    it('holds the per-user connection cap under a burst of simultaneous connects', async () => {
      const base = baseUrl();
      const user = uniqueUser();
      const token = await tokenFor(user);
      const cap = options.maxConnectionsPerUser;
      const outcomes = await Promise.all(Array.from({ length: cap * 3 }, () => tryConnect(base, token)));
      const open = outcomes.filter((o): o is WebSocket => typeof o !== 'number');
      const refused = outcomes.filter((o) => typeof o === 'number');
      expect(open).toHaveLength(cap);
      expect(refused.every((status) => status === 429)).toBe(true);
      const client = createHubClient(base);
      expect((await client.presence(user)).connections.websocket).toBe(cap);
      for (const ws of open) ws.close();
      await eventually(async () => (await client.presence(user)).connections.websocket === 0, 10_000);
      const again = await tryConnect(base, token);
      expect(again).toBeInstanceOf(WebSocket);
      (again as WebSocket).close();
    });

    it('bounds a publish body by MAX_EVENT_BYTES whether its length is declared or it comes chunked, storing nothing over it', async () => {
      const base = baseUrl();
      const user = uniqueUser();
      const limit = DEFAULT_LIMITS.maxEventBytes;
      /** A signed body of exactly `size` bytes: the data string fills what the rest leaves. */
      const bodyOf = (size: number) => {
        const shell = JSON.stringify({ userId: user, type: 'big', data: '' }).length;
        return JSON.stringify({ userId: user, type: 'big', data: 'x'.repeat(size - shell) });
      };
      const send = async (body: string, chunked: boolean) => {
        const headers = { ...(await signWebhook(TEST_VARS.WEBHOOK_SECRET, `msg_${crypto.randomUUID()}`, body)), 'Content-Type': 'application/json' };
        const bytes = new TextEncoder().encode(body);
        // A stream body has no length to declare: it goes out chunked.
        const stream = new ReadableStream<Uint8Array>({
          start(controller) {
            for (let i = 0; i < bytes.length; i += 16 * 1024) controller.enqueue(bytes.subarray(i, i + 16 * 1024));
            controller.close();
          },
        });
        const init = { method: 'POST', headers, body: chunked ? stream : body, duplex: 'half' };
        const response = await fetch(`${base}/v1/users/${user}/events`, init as RequestInit);
        await response.arrayBuffer();
        return response.status;
      };
      expect(await send(bodyOf(limit), false)).toBe(202);
      expect(await send(bodyOf(limit + 1), false)).toBe(413);
      expect(await send(bodyOf(1000), true)).toBe(202);
      expect(await send(bodyOf(limit + 1), true)).toBe(413);
      const poll = await createHubClient(base).get(user, '/v1/poll?after=0');
      expect(((await poll.json()) as { events: unknown[] }).events).toHaveLength(2);
    });

    it('refuses publishes beyond the per-user burst with 429 and Retry-After, storing only what it accepted', async () => {
      const base = baseUrl();
      const user = uniqueUser();
      // Until refused: a slow host refills the bucket while the burst is sent.
      const maxAttempts = options.publishBurstPerUser * 5;
      const statuses: number[] = [];
      let retryAfter: string | null = null;
      for (let i = 0; i < maxAttempts && retryAfter === null; i += 20) {
        const chunk = await Promise.all(
          Array.from({ length: 20 }, async (_, j) => {
            const response = await fetch(await publishRequest(base, user, 'n', { i: i + j }));
            const body = (await response.json()) as { error?: { code: string } };
            if (response.status === 429) {
              expect(body.error?.code).toBe('rate_limited');
              retryAfter = response.headers.get('Retry-After');
            }
            return response.status;
          }),
        );
        statuses.push(...chunk);
      }
      const accepted = statuses.filter((s) => s === 202).length;
      expect(accepted).toBeGreaterThanOrEqual(options.publishBurstPerUser);
      expect(statuses.filter((s) => s === 429).length).toBe(statuses.length - accepted);
      expect(Number(retryAfter)).toBeGreaterThanOrEqual(1);
      const poll = await createHubClient(base).get(user, '/v1/poll?after=0&limit=100');
      const { lastId } = (await poll.json()) as { lastId: string };
      // Pages of 100: the last id is the count of accepted events when it fits.
      expect(Number(lastId)).toBe(Math.min(accepted, 100));
    });

    it.runIf(options.slowConsumerClose)(
      'closes a WebSocket that stops reading with 4008, and it resumes with nothing lost',
      { timeout: 60_000 },
      async () => {
        const base = baseUrl();
        const client = createHubClient(base);
        const user = uniqueUser();
        const socket = await client.socket(user);
        await socket.untilReady();
        // The client stops reading: frames pile up in the kernel, then in the server.
        (socket.ws as unknown as { _socket: { pause(): void } })._socket.pause();
        const payload = 'x'.repeat(60_000);
        let published = 0;
        for (; published < 400; published++) {
          await publishPaced(base, user, { n: published, payload }, `msg_slow_${user}_${published}`);
          if (published % 10 === 9 && (await client.presence(user)).connections.websocket === 0) break;
        }
        expect((await client.presence(user)).connections.websocket).toBe(0);
        // Reading again: the buffered frames, then the close with its resume hint.
        (socket.ws as unknown as { _socket: { resume(): void } })._socket.resume();
        expect(await socket.closed).toBe(4008);
        const seen = socket.frames.pending.filter((f) => f.id).map((f) => Number(f.id));
        const resumed = await client.socket(user, { after: String(seen.at(-1) ?? 0) });
        const replay = (await resumed.untilReady()).filter((f) => f.id).map((f) => Number(f.id));
        resumed.ws.close();
        const all = [...seen, ...replay];
        expect(all).toEqual(Array.from({ length: published + 1 }, (_, i) => i + 1));
      },
    );
  });
}
