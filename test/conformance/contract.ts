// The public contract every host must keep, run with real clients over real
// sockets against a base URL. A behaviour that differs between hosts is a bug
// in that host's adapter.

import { describe, expect, it } from 'vitest';
import { tokenFor, uniqueUser } from '../helpers/requests.ts';
import { createHubClient, eventually } from './clients.ts';

export interface ContractOptions {
  /** The host ends SSE streams after this many seconds (SSE_MAX_STREAM_SECONDS). */
  sseMaxStreamSeconds: number;
}

export function describeContract(host: string, baseUrl: () => string, options: ContractOptions) {
  describe(`contract on ${host}`, () => {
    const hub = () => createHubClient(baseUrl());

    it('delivers a signed publish to a real WebSocket client of that user only', async () => {
      const client = hub();
      const [john, jane] = [uniqueUser('john'), uniqueUser('jane')];
      const johnSocket = await client.socket(john);
      const janeSocket = await client.socket(jane);
      await johnSocket.untilReady();
      await janeSocket.untilReady();
      const response = await client.publish(john, 'export.ready', { zip: 'z.zip' });
      expect(response.status).toBe(202);
      expect(await response.json()).toEqual({ id: '1', delivered: 1 });
      expect(await johnSocket.frames.next()).toMatchObject({ id: '1', type: 'export.ready', data: { zip: 'z.zip' } });
      await client.publish(jane, 'mine', 1);
      expect(await janeSocket.frames.next()).toMatchObject({ type: 'mine' });
      expect(janeSocket.frames.pending).toEqual([]);
      johnSocket.ws.close();
      janeSocket.ws.close();
    });

    it('resumes a killed WebSocket client by last id with nothing lost or doubled', async () => {
      const client = hub();
      const user = uniqueUser();
      const total = 60;
      let published = 0;
      const publisher = (async () => {
        for (; published < total; published++) {
          expect((await client.publish(user, 'tick', { n: published })).status).toBe(202);
        }
      })();

      const received: string[] = [];
      let after = '0';
      for (let round = 0; received.length < total && round < 20; round++) {
        const socket = await client.socket(user, { after });
        const take = round < 3 ? 7 : total; // kill the first clients mid-stream
        for (;;) {
          const frame = await socket.frames.next(10_000);
          if (frame.id) received.push(frame.id);
          if (received.length >= total || (frame.id && received.length % take === 0)) break;
        }
        after = received.at(-1) ?? after;
        socket.ws.terminate();
      }
      await publisher;
      expect(received).toEqual(Array.from({ length: total }, (_, i) => String(i + 1)));
    });

    it('takes the token from Sec-WebSocket-Protocol and echoes only the marker', async () => {
      const client = hub();
      const user = uniqueUser();
      const socket = await client.socket(user, { protocols: ['userhub.v1', `userhub.token.${await tokenFor(user)}`] });
      expect(socket.ws.protocol).toBe('userhub.v1');
      await socket.untilReady();
      socket.ws.close();
    });

    it('lets an EventSource reconnect by itself after the server ends the stream, losing nothing', async () => {
      const client = hub();
      const user = uniqueUser();
      const ticket = await client.ticket(user);
      const sse = client.eventSource(`${client.base}/v1/events?ticket=${ticket}`, { types: ['n', 'hub.ready'] });
      expect((await sse.events.next(10_000)).type).toBe('hub.ready');

      const ids: string[] = [];
      const waitMs = options.sseMaxStreamSeconds * 1000;
      for (let i = 0; i < 12; i++) {
        await client.publish(user, 'n', i);
        await new Promise((resolve) => setTimeout(resolve, (waitMs * 2.5) / 12));
      }
      while (ids.length < 12) {
        const event = await sse.events.next(10_000);
        if (event.type === 'n') ids.push(event.id);
      }
      expect(ids).toEqual(Array.from({ length: 12 }, (_, i) => String(i + 1)));
      expect(sse.opens()).toBeGreaterThanOrEqual(2); // it did reconnect, by itself
      expect([...sse.jar.keys()].some((name) => name.startsWith('hub_sse_'))).toBe(true);
      sse.source.close();
    });

    it('refuses the automatic reconnect of a client without the cookie: the ticket is spent', async () => {
      const client = hub();
      const user = uniqueUser();
      const ticket = await client.ticket(user);
      const sse = client.eventSource(`${client.base}/v1/events?ticket=${ticket}`, { cookies: false, types: ['hub.ready'] });
      expect((await sse.events.next(10_000)).type).toBe('hub.ready');
      await eventually(() => sse.source.readyState === 2, options.sseMaxStreamSeconds * 1000 + 5000);
      expect(sse.opens()).toBe(1);
    });

    it('tells a signed publisher a user’s stats: connections, the log, jobs by status, the inbox counts', async () => {
      const client = hub();
      const user = uniqueUser();
      const stats = async () => (await client.signed('GET', `/v1/users/${user}/stats`)).json();
      expect(await stats()).toEqual({
        online: false,
        connections: { websocket: 0, sse: 0, poll: 0 },
        lastEventId: '0',
        retainedEvents: 0,
        oldestRetainedId: null,
        jobs: { queued: 0, running: 0, succeeded: 0, failed: 0, canceled: 0 },
        inbox: { unread: 0, unseen: 0, total: 0 },
      });
      for (let i = 0; i < 2; i++) await client.publish(user, 'n', i);
      expect((await client.signed('POST', `/v1/users/${user}/notifications`, { type: 'n' })).status).toBe(201);
      await client.putJob(user, 'a', { status: 'running' });
      await client.putJob(user, 'b', { status: 'succeeded' });
      const socket = await client.socket(user);
      await socket.untilReady();
      expect(await stats()).toEqual({
        online: true,
        connections: { websocket: 1, sse: 0, poll: 0 },
        lastEventId: '5',
        retainedEvents: 5,
        oldestRetainedId: '1',
        jobs: { queued: 0, running: 1, succeeded: 1, failed: 0, canceled: 0 },
        inbox: { unread: 1, unseen: 1, total: 1 },
      });
      socket.ws.close();
      const unsigned = await client.get(user, `/v1/users/${user}/stats`);
      expect(unsigned.status).toBe(401);
    });

    it('answers errors as JSON with the right status', async () => {
      const base = baseUrl();
      const unauth = await fetch(`${base}/v1/events`);
      expect(unauth.status).toBe(401);
      expect(unauth.headers.get('WWW-Authenticate')).toMatch(/^Bearer/);
      expect(await unauth.json()).toMatchObject({ error: { code: 'unauthorized' } });
      expect((await fetch(`${base}/v1/nowhere`)).status).toBe(404);
      const wrong = await fetch(`${base}/v1/tickets`);
      expect(wrong.status).toBe(405);
      expect(await wrong.json()).toMatchObject({ error: { code: 'method_not_allowed' } });
    });
  });
}
