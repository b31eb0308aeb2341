// Sessions and retention on any host, at the scale of a credential's life:
// a stream opened with a token that expires is warned and then closed (4401),
// an in-band refresh keeps the same socket open past the old expiry, the
// publisher can end (4503) and revoke sessions and erase a user, a replay is
// cut at REPLAY_MAX_BYTES and resumed (4009) with every event once, SSE
// cookies do not pile up, a full user makes room by ending its oldest stream,
// client frames are budgeted, and a pruned job never goes back a version.
//
// The hosts run with SESSION_VARS (below). Tokens live SESSION_SECONDS: the
// warning comes a tenth of that before the end, which is longer than a
// standalone host's one-second schedule tick.

import { describe, expect, it } from 'vitest';
import { connect, type HubEvent, type Status } from '../../src/client/index.ts';
import { createPublisher } from '../../src/publisher/index.ts';
import { createInbox, type Inbox } from '../helpers/inbox.ts';
import { tokenFor, uniqueUser } from '../helpers/requests.ts';
import { createSseParser, type SseFrame } from '../helpers/sse-parser.ts';
import { TEST_VARS } from '../helpers/test-vars.ts';
import { createHubClient, eventually, type Frame, type HubClient } from './clients.ts';

export const SESSION_VARS = {
  ...TEST_VARS,
  REPLAY_MAX_BYTES: '8192',
  MAX_CONNECTIONS_PER_USER: '4',
  RETENTION_MAX_AGE_SECONDS: '8',
  PRUNE_DELAY_SECONDS: '1',
};

const SESSION_SECONDS = 15;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** An SSE stream read with fetch: its frames (data parsed), and whether it ended. */
async function openSse(base: string, init: RequestInit & { query?: string } = {}) {
  const response = await fetch(`${base}/v1/events${init.query ?? ''}`, init);
  const frames = createInbox<Frame & { sseId?: string }>();
  let ended = false;
  const done = (async () => {
    if (!response.ok) return;
    const parse = createSseParser((frame: SseFrame) => {
      if (frame.data) frames.push({ ...(JSON.parse(frame.data) as Frame), sseId: frame.id });
    });
    const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
    for (;;) {
      const { done, value } = await reader.read().catch(() => ({ done: true, value: undefined }));
      if (done) break;
      parse(value!);
    }
    ended = true;
  })();
  return { response, frames, done, ended: () => ended, cancel: () => response.body?.cancel().catch(() => {}) };
}

/** Takes frames until one of `type` arrives; returns it and what came before. */
async function until(frames: Inbox<Frame>, type: string, timeoutMs = 10_000): Promise<{ frame: Frame; before: Frame[] }> {
  const before: Frame[] = [];
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const frame = await frames.next(Math.max(1, deadline - Date.now()));
    if (frame.type === type) return { frame, before };
    before.push(frame);
  }
}

const bearer = async (user: string, ttlSeconds = 600) => ({ Authorization: `Bearer ${await tokenFor(user, ttlSeconds)}` });

async function ticketWith(client: HubClient, user: string, ttlSeconds: number): Promise<string> {
  const response = await fetch(`${client.base}/v1/tickets`, { method: 'POST', headers: await bearer(user, ttlSeconds) });
  expect(response.status).toBe(201);
  return ((await response.json()) as { ticket: string }).ticket;
}

export function describeSessionContract(host: string, baseUrl: () => string) {
  describe.concurrent(`sessions and retention on ${host}`, () => {
    const timeout = (SESSION_SECONDS + 15) * 1000;

    it('warns a WebSocket before its token expires, then closes it with 4401', { timeout }, async () => {
      const client = createHubClient(baseUrl());
      const user = uniqueUser('ws-expiry');
      const opened = Date.now();
      const socket = await client.socket(user, { headers: await bearer(user, SESSION_SECONDS) });
      await socket.untilReady();
      const { frame } = await until(socket.frames, 'hub.expiring', (SESSION_SECONDS + 5) * 1000);
      const expiresAt = Date.parse((frame.data as { expiresAt: string }).expiresAt);
      expect(Math.abs(expiresAt - (opened + SESSION_SECONDS * 1000))).toBeLessThan(2000);
      expect(expiresAt - Date.now()).toBeGreaterThan(0); // warned before the end
      expect(await socket.closed).toBe(4401);
      expect(Date.now()).toBeGreaterThanOrEqual(expiresAt - 100);
      // The close handshake completes right at the end (workerd once held it until the object hibernated).
      expect(Date.now() - expiresAt).toBeLessThan(1500);
    });

    it('ends an SSE stream when its token expires, saying hub.closed 4401 first', { timeout }, async () => {
      const client = createHubClient(baseUrl());
      const user = uniqueUser('sse-expiry');
      const sse = await openSse(client.base, { headers: await bearer(user, SESSION_SECONDS) });
      expect(sse.response.status).toBe(200);
      await until(sse.frames, 'hub.ready');
      await until(sse.frames, 'hub.expiring', (SESSION_SECONDS + 5) * 1000);
      const { frame } = await until(sse.frames, 'hub.closed', 5000);
      expect(frame.data).toMatchObject({ code: 4401 });
      await sse.done;
      expect(sse.ended()).toBe(true);
    });

    it('keeps the same socket open past the old expiry after an in-band refresh', { timeout: timeout + 10_000 }, async () => {
      const client = createHubClient(baseUrl());
      const user = uniqueUser('ws-refresh');
      const socket = await client.socket(user, { headers: await bearer(user, SESSION_SECONDS) });
      await socket.untilReady();
      await until(socket.frames, 'hub.expiring', (SESSION_SECONDS + 5) * 1000);
      socket.ws.send(JSON.stringify({ type: 'auth', ticket: await ticketWith(client, user, 120) }));
      const { frame } = await until(socket.frames, 'hub.auth');
      expect(Date.parse((frame.data as { expiresAt: string }).expiresAt)).toBeGreaterThan(Date.now() + 100_000);
      await sleep(4000); // past the first token's expiry
      expect(await (await client.publish(user, 'still.here', { ok: true })).json()).toMatchObject({ delivered: 1 });
      expect((await until(socket.frames, 'still.here')).frame).toMatchObject({ type: 'still.here' });
      socket.ws.close();
    });

    it('closes with 4401 a refresh with another user\'s ticket, a spent one, or none', async () => {
      const client = createHubClient(baseUrl());
      const user = uniqueUser('ws-bad-refresh');
      const foreign = await client.socket(user);
      await foreign.untilReady();
      foreign.ws.send(JSON.stringify({ type: 'auth', ticket: await ticketWith(client, uniqueUser('other'), 120) }));
      expect(await foreign.closed).toBe(4401);

      const ticket = await ticketWith(client, user, 120);
      const first = await client.socket(user);
      await first.untilReady();
      first.ws.send(JSON.stringify({ type: 'auth', ticket }));
      await until(first.frames, 'hub.auth');
      first.ws.send(JSON.stringify({ type: 'auth', ticket })); // the same ticket again: spent
      expect(await first.closed).toBe(4401);

      const none = await client.socket(user);
      await none.untilReady();
      none.ws.send(JSON.stringify({ type: 'auth' }));
      expect(await none.closed).toBe(4401);
    });

    it('ends every connection of a user with 4503 on a kick; the same token connects again', async () => {
      const client = createHubClient(baseUrl());
      const user = uniqueUser('kick');
      const socket = await client.socket(user);
      await socket.untilReady();
      const sse = await openSse(client.base, { headers: await bearer(user) });
      await until(sse.frames, 'hub.ready');
      const kicked = await client.signed('DELETE', `/v1/users/${user}/connections`);
      expect(kicked.status).toBe(200);
      expect(await kicked.json()).toEqual({ closed: 2 });
      // The close handshake completes at once, on workerd too (the TCP close, not only hub.closed).
      const answered = Date.now();
      expect(await socket.closed).toBe(4503);
      expect(Date.now() - answered).toBeLessThan(1000);

      expect((await until(sse.frames, 'hub.closed')).frame.data).toMatchObject({ code: 4503 });
      const again = await client.socket(user);
      await again.untilReady();
      again.ws.close();
    });

    it('ends parked long polls on a kick with 410 session_ended, for events and for a job', async () => {
      const client = createHubClient(baseUrl());
      const user = uniqueUser('kick-poll');
      expect((await client.putJob(user, 'zip-1', { status: 'running' })).status).toBeLessThan(300);
      const headers = await bearer(user);
      const { lastId } = (await (await fetch(`${client.base}/v1/poll`, { headers })).json()) as { lastId: string };
      const events = fetch(`${client.base}/v1/poll?after=${lastId}&wait=20`, { headers });
      const job = fetch(`${client.base}/v1/jobs/zip-1?wait=20&version=1`, { headers });
      await eventually(async () => (await client.presence(user)).connections.poll === 2, 5000);
      const kicked = await client.signed('DELETE', `/v1/users/${user}/connections`);
      expect(await kicked.json()).toEqual({ closed: 2 });
      for (const answer of await Promise.all([events, job])) {
        expect(answer.status).toBe(410);
        expect(((await answer.json()) as { error: { code: string } }).error.code).toBe('session_ended');
      }
    });

    it('refuses a token minted in the same second as a revoke, even before it, and gives a revoked token no ticket', async () => {
      const client = createHubClient(baseUrl());
      const user = uniqueUser('revoke-second');
      // Early in a second: the token and the revoke 300 ms later share it.
      while (Date.now() % 1000 > 400) await sleep(20);
      const token = await tokenFor(user);
      await sleep(300);
      expect(await (await client.signed('DELETE', `/v1/users/${user}/connections?revoke=true`)).json()).toEqual({ closed: 0 });
      const old = { Authorization: `Bearer ${token}` };
      expect((await fetch(`${client.base}/v1/tickets`, { method: 'POST', headers: old })).status).toBe(401);
      expect((await fetch(`${client.base}/v1/poll`, { headers: old })).status).toBe(401);
      await expect(client.socket(user, { headers: old })).rejects.toThrow(/401/);
      await sleep(1000); // a token from a later second is admitted
      expect((await fetch(`${client.base}/v1/tickets`, { method: 'POST', headers: await bearer(user) })).status).toBe(201);
    });

    it('refuses, after a revoke, every token, ticket and cookie issued before it, and admits newer ones', async () => {
      const client = createHubClient(baseUrl());
      const user = uniqueUser('revoke');
      const oldToken = await tokenFor(user);
      const oldTicket = await ticketWith(client, user, 600);
      const cookieSse = await openSse(client.base, { query: `?ticket=${oldTicket}` });
      const cookie = cookieSse.response.headers.get('Set-Cookie')!.split(';')[0]!;
      await until(cookieSse.frames, 'hub.ready');
      const unusedTicket = await ticketWith(client, user, 600);
      await sleep(1100); // credentials carry their issue time in seconds
      const revoked = await client.signed('DELETE', `/v1/users/${user}/connections?revoke=true`);
      expect(await revoked.json()).toEqual({ closed: 1 });
      expect((await until(cookieSse.frames, 'hub.closed')).frame.data).toMatchObject({ code: 4503 });

      const old = { Authorization: `Bearer ${oldToken}` };
      expect((await fetch(`${client.base}/v1/poll`, { headers: old })).status).toBe(401);
      expect((await fetch(`${client.base}/v1/poll?after=0&wait=1`, { headers: old })).status).toBe(401);
      expect((await fetch(`${client.base}/v1/jobs`, { headers: old })).status).toBe(401);
      expect((await fetch(`${client.base}/v1/events`, { headers: old })).status).toBe(401);
      await expect(client.socket(user, { headers: old })).rejects.toThrow(/401/);
      expect((await fetch(`${client.base}/v1/events?ticket=${unusedTicket}`)).status).toBe(401);
      expect((await fetch(`${client.base}/v1/events?ticket=${oldTicket}`, { headers: { Cookie: cookie } })).status).toBe(401);

      await sleep(1000); // a token from a second after the revoke's
      const fresh = await client.socket(user);
      await fresh.untilReady();
      fresh.ws.close();
    });

    it('cuts a replay at REPLAY_MAX_BYTES with 4009 and resumes it on WebSocket, SSE and polls with every event once', async () => {
      const client = createHubClient(baseUrl());
      const user = uniqueUser('replay');
      const padding = 'x'.repeat(1000);
      for (let n = 1; n <= 20; n++) expect((await client.publish(user, 'big', { n, padding })).status).toBe(202);
      const all = Array.from({ length: 20 }, (_, i) => String(i + 1));

      // WebSocket: each connection replays what fits, then closes with 4009; the next resumes from its last id.
      const wsIds: string[] = [];
      let after = '0';
      let cuts = 0;
      for (let round = 0; round < 10 && wsIds.length < 20; round++) {
        const socket = await client.socket(user, { after });
        // Every frame lands in the inbox (nothing takes them). A cut says hub.closed 4009 before its close frame
        // (which wrangler dev's proxy may hold back), so the frame is what counts.
        const said = (type: string) => socket.frames.pending.find((frame) => frame.type === type);
        let closed = false;
        void socket.closed.then(() => (closed = true));
        await eventually(() => closed || said('hub.ready') !== undefined || said('hub.closed') !== undefined, 5000);
        const closing = said('hub.closed');
        const frames = socket.frames.pending.splice(0);
        for (const frame of frames) if (frame.id) wsIds.push(frame.id);
        if (closing) {
          expect(closing.data).toMatchObject({ code: 4009 });
          cuts++;
        }
        socket.ws.close();
        after = wsIds.at(-1) ?? after;
      }
      expect(wsIds).toEqual(all);
      expect(cuts).toBeGreaterThanOrEqual(2);

      // SSE: the stream says hub.closed 4009 and ends; Last-Event-ID resumes it.
      const sseIds: string[] = [];
      let lastEventId = '0';
      for (let round = 0; round < 10 && sseIds.length < 20; round++) {
        const sse = await openSse(client.base, { headers: { ...(await bearer(user)), 'Last-Event-ID': lastEventId } });
        const seen: Frame[] = [];
        for (;;) {
          const frame = await sse.frames.next();
          seen.push(frame);
          if (frame.type === 'hub.ready' || frame.type === 'hub.closed') break;
        }
        for (const frame of seen) if (frame.id) sseIds.push(frame.id);
        if (seen.at(-1)!.type === 'hub.closed') expect(seen.at(-1)!.data).toMatchObject({ code: 4009 });
        await sse.cancel();
        lastEventId = sseIds.at(-1) ?? lastEventId;
      }
      expect(sseIds).toEqual(all);

      // Polls: a page stops at the byte bound and says more.
      const page = (await (await fetch(`${client.base}/v1/poll?after=0`, { headers: await bearer(user) })).json()) as {
        events: Frame[];
        more: boolean;
        lastId: string;
      };
      expect(page.more).toBe(true);
      expect(page.events.length).toBeGreaterThan(0);
      expect(page.events.length).toBeLessThan(20);
      expect(page.lastId).toBe(page.events.at(-1)!.id);
      const long = (await (await fetch(`${client.base}/v1/poll?after=${page.lastId}&wait=5`, { headers: await bearer(user) })).json()) as {
        events: Frame[];
        more: boolean;
      };
      expect(long.events[0]!.id).toBe(String(Number(page.lastId) + 1));
      expect(long.more).toBe(true);
    });

    it('keeps one SSE cookie per user however often a browser reconnects with new tickets', async () => {
      const client = createHubClient(baseUrl());
      const user = uniqueUser('cookies');
      const jar = new Map<string, string>();
      for (let i = 0; i < 5; i++) {
        const headers = jar.size ? { Cookie: [...jar].map(([k, v]) => `${k}=${v}`).join('; ') } : undefined;
        const sse = await openSse(client.base, { query: `?ticket=${await ticketWith(client, user, 600)}`, headers });
        for (const line of sse.response.headers.getSetCookie()) {
          const [pair] = line.split(';');
          jar.set(pair!.slice(0, pair!.indexOf('=')), pair!.slice(pair!.indexOf('=') + 1));
        }
        await until(sse.frames, 'hub.ready');
        await sse.cancel();
      }
      expect([...jar.keys()].filter((name) => name.startsWith('hub_sse_'))).toHaveLength(1);
    });

    it('makes room at the connection cap by ending the oldest SSE stream; with only WebSockets, refuses', async () => {
      const client = createHubClient(baseUrl());
      const user = uniqueUser('cap');
      const oldest = await openSse(client.base, { headers: await bearer(user) });
      await until(oldest.frames, 'hub.ready');
      const sockets = [];
      for (let i = 0; i < 3; i++) {
        const socket = await client.socket(user);
        await socket.untilReady();
        sockets.push(socket);
      }
      const fifth = await client.socket(user); // the cap is 4
      await fifth.untilReady();
      expect((await until(oldest.frames, 'hub.closed')).frame.data).toMatchObject({ code: 4000 });
      await expect(client.socket(user)).rejects.toThrow(/429/);
      for (const socket of [...sockets, fifth]) socket.ws.close();
    });

    it('closes with 1008 a connection that sends too many invalid frames, or frames too fast', async () => {
      const client = createHubClient(baseUrl());
      const user = uniqueUser('frames');
      const noisy = await client.socket(user);
      await noisy.untilReady();
      for (let i = 0; i < 11; i++) noisy.ws.send(JSON.stringify({ type: 'nonsense' }));
      expect(await noisy.closed).toBe(1008);
      expect(noisy.frames.pending.filter((frame) => frame.type === 'hub.error')).toHaveLength(10);

      const fast = await client.socket(user);
      await fast.untilReady();
      // Not the exact ping text, so Cloudflare's auto-response does not answer it: every one reaches the actor.
      // It stops when told why it is being closed (hub.closed comes before the close frame), as a client would.
      let sent = 0;
      const told = () => fast.frames.pending.some((frame) => frame.type === 'hub.closed');
      while (fast.ws.readyState === fast.ws.OPEN && sent < 200 && !told()) {
        fast.ws.send('{"type":"ping", "n":1}');
        sent++;
        await sleep(2);
      }
      expect(await fast.closed).toBe(1008);
      expect(sent).toBeGreaterThan(20); // the burst passes
      expect(sent).toBeLessThan(200);

      // Frames written in one go, still unread when the server decides: the close frame and its code still arrive.
      const burst = await client.socket(user);
      await burst.untilReady();
      for (let i = 0; i < 200; i++) burst.ws.send('{"type":"ping", "n":1}');
      expect(await burst.closed).toBe(1008);
    });

    it('never takes a job back a version after it is pruned, and erases a user down to a reset', { timeout: 30_000 }, async () => {
      const client = createHubClient(baseUrl());
      const user = uniqueUser('prune-erase');
      for (const status of ['queued', 'running', 'succeeded']) {
        expect((await client.putJob(user, 'zip', { status })).status).toBeLessThan(300);
      }
      const before = (await (await client.get(user, '/v1/jobs/zip')).json()) as { version: number };
      expect(before.version).toBe(3);
      await eventually(async () => (await client.get(user, '/v1/jobs/zip')).status === 404, 20_000); // aged out (8 s)
      const again = (await (await client.putJob(user, 'zip', { status: 'queued' })).json()) as { job: { version: number } };
      expect(again.job.version).toBeGreaterThan(before.version);

      for (let n = 0; n < 3; n++) await client.publish(user, 'n', { n });
      const stats = (await (await client.signed('GET', `/v1/users/${user}/stats`)).json()) as { lastEventId: string };
      const socket = await client.socket(user);
      await socket.untilReady();
      const erased = await client.signed('DELETE', `/v1/users/${user}`);
      expect(erased.status).toBe(200);
      expect(await erased.json()).toMatchObject({ closed: 1, jobs: 1 });
      expect(await socket.closed).toBe(4503);
      await sleep(1100); // the erase revoked every credential issued before it
      const after = (await (await client.get(user, `/v1/poll?after=${stats.lastEventId}`)).json()) as { events: Frame[] };
      expect(after.events[0]).toMatchObject({ type: 'hub.reset' });
      expect((await client.get(user, '/v1/jobs/zip')).status).toBe(404);
      const fresh = (await (await client.signed('GET', `/v1/users/${user}/stats`)).json()) as { retainedEvents: number };
      expect(fresh.retainedEvents).toBe(0);
      const next = (await (await client.publish(user, 'n', { n: 'after' })).json()) as { id: string };
      expect(Number(next.id)).toBeGreaterThan(Number(stats.lastEventId));
    });

    for (const transport of ['websocket', 'sse'] as const) {
      it(`carries the client library over expiring tokens on ${transport}: every event once, in order`, { timeout: 60_000 }, async () => {
        const publisher = createPublisher({ url: baseUrl(), secret: TEST_VARS.WEBHOOK_SECRET });
        const user = uniqueUser(`lib-${transport}`);
        const events: HubEvent[] = [];
        const statuses: Status[] = [];
        let tokens = 0;
        const hub = connect({
          url: baseUrl(),
          transports: [transport],
          lastId: '0',
          backoff: { baseMs: 50, capMs: 400 },
          getToken: () => (tokens++, tokenFor(user, 15)),
          onEvent: (event) => events.push(event),
          onStatus: (status) => statuses.push(status),
        });
        try {
          await eventually(() => hub.status.state === 'open', 10_000);
          const deadline = Date.now() + 25_000; // more than a token lifetime and a half
          let n = 0;
          while (Date.now() < deadline) {
            await publisher.publish(user, 'n', { n: n++ });
            await sleep(250);
          }
          await eventually(() => events.length === n, 15_000);
          expect(events.map((event) => (event.data as { n: number }).n)).toEqual(Array.from({ length: n }, (_, i) => i));
          expect(tokens).toBeGreaterThanOrEqual(2); // it outlived its first token (at least once; the run spans 1.7 lifetimes; a 15 s token is warned 1.5 s before its end, time for a refresh on a loaded wrangler dev)
          if (transport === 'websocket') {
            // Refreshed in band: one socket the whole time.
            expect(statuses.filter((status) => status.state === 'open')).toHaveLength(1);
          }
          expect(statuses.some((status) => status.state === 'unauthorized' || status.state === 'closed')).toBe(false);
        } finally {
          hub.close();
        }
      });
    }

    it('stops the client library, and reports it, when the service ends the session', async () => {
      const user = uniqueUser('lib-ended');
      const statuses: Status[] = [];
      const hub = connect({ url: baseUrl(), getToken: () => tokenFor(user), onStatus: (status) => statuses.push(status) });
      await eventually(() => hub.status.state === 'open', 10_000);
      const client = createHubClient(baseUrl());
      await client.signed('DELETE', `/v1/users/${user}/connections`);
      await eventually(() => hub.status.state === 'ended', 5000);
      expect(hub.status).toMatchObject({ state: 'ended', code: 4503 });
      await sleep(1000);
      expect((await client.presence(user)).online).toBe(false); // it did not reconnect
    });
  });
}
