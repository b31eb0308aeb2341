// The four ways a client learns that a job finished — short poll, long poll,
// SSE and WebSocket — each driven by a real client and a signed PUT.

import { describe, expect, it } from 'vitest';
import { tokenFor, uniqueUser } from '../helpers/requests.ts';
import { createHubClient, eventually } from './clients.ts';

interface JobBody {
  id: string;
  status: string;
  result: unknown;
  version: number;
}

export function describeJobsContract(host: string, baseUrl: () => string) {
  describe(`learning that a job finished, on ${host}`, () => {
    const hub = () => createHubClient(baseUrl());

    /** The job runner: queued, running with progress, then succeeded. */
    async function runJob(client: ReturnType<typeof hub>, user: string, jobId: string) {
      expect((await client.putJob(user, jobId, { status: 'queued' })).status).toBe(201);
      expect((await client.putJob(user, jobId, { status: 'running', progress: 0.5 })).status).toBe(200);
      expect((await client.putJob(user, jobId, { status: 'succeeded', result: { zip: `${jobId}.zip` } })).status).toBe(200);
    }

    it('by short polling GET /v1/jobs/:id', async () => {
      const client = hub();
      const user = uniqueUser();
      expect((await client.get(user, '/v1/jobs/zip-1')).status).toBe(404);
      // Asked so (what watchJob asks), "no such job yet" is an answer, not a 404 a browser logs.
      const none = await client.get(user, '/v1/jobs/zip-1?missing=null');
      expect([none.status, await none.json()]).toEqual([200, null]);
      await runJob(client, user, 'zip-1');
      const job = (await (await client.get(user, '/v1/jobs/zip-1?wait=0')).json()) as JobBody;
      expect(job).toMatchObject({ id: 'zip-1', status: 'succeeded', result: { zip: 'zip-1.zip' }, version: 3 });
    });

    it('by long polling GET /v1/jobs/:id?wait=&version=, released by the change', async () => {
      const client = hub();
      const user = uniqueUser();
      await client.putJob(user, 'zip-2', { status: 'running' });
      let version = 1;
      const started = Date.now();
      const seen: string[] = [];
      const polling = (async () => {
        while (!seen.includes('succeeded')) {
          const response = await client.get(user, `/v1/jobs/zip-2?wait=20&version=${version}`);
          const job = (await response.json()) as JobBody;
          version = job.version;
          seen.push(job.status);
        }
      })();
      await eventually(async () => (await client.presence(user)).connections.poll === 1);
      await client.putJob(user, 'zip-2', { status: 'succeeded', result: { zip: 'z' } });
      await polling;
      expect(seen).toEqual(['succeeded']);
      expect(Date.now() - started).toBeLessThan(10_000);
    });

    it('by long polling GET /v1/poll, released by the job event', async () => {
      const client = hub();
      const user = uniqueUser();
      const parked = client.get(user, '/v1/poll?after=0&wait=20');
      await eventually(async () => (await client.presence(user)).connections.poll === 1);
      await client.putJob(user, 'zip-3', { status: 'succeeded', result: { zip: 'z' } });
      const body = (await (await parked).json()) as { events: Array<{ id: string; type: string; data: JobBody }>; lastId: string };
      expect(body.events).toMatchObject([{ id: '1', type: 'job.succeeded', data: { id: 'zip-3', status: 'succeeded' } }]);
      expect(body.lastId).toBe('1');
    });

    it('by SSE', async () => {
      const client = hub();
      const user = uniqueUser();
      const sse = client.eventSource(`${client.base}/v1/events?ticket=${await client.ticket(user)}`, {
        types: ['hub.ready', 'job.queued', 'job.running', 'job.succeeded'],
      });
      expect((await sse.events.next(10_000)).type).toBe('hub.ready');
      await runJob(client, user, 'zip-4');
      const types = [];
      for (let i = 0; i < 3; i++) types.push((await sse.events.next(10_000)).type);
      expect(types).toEqual(['job.queued', 'job.running', 'job.succeeded']);
      sse.source.close();
    });

    it('by WebSocket', async () => {
      const client = hub();
      const user = uniqueUser();
      const socket = await client.socket(user, { protocols: ['userhub.v1', `userhub.token.${await tokenFor(user)}`] });
      await socket.untilReady();
      await runJob(client, user, 'zip-5');
      const frames = [await socket.frames.next(), await socket.frames.next(), await socket.frames.next()];
      expect(frames.map((f) => f.type)).toEqual(['job.queued', 'job.running', 'job.succeeded']);
      expect(frames[2]!.data).toMatchObject({ id: 'zip-5', status: 'succeeded', version: 3, result: { zip: 'zip-5.zip' } });
      socket.ws.close();
    });

    it('leaves nothing behind: SSE writers and parked polls go to zero when clients leave', async () => {
      const client = hub();
      const user = uniqueUser();
      const sse = client.eventSource(`${client.base}/v1/events?ticket=${await client.ticket(user)}`, { types: ['hub.ready'] });
      await sse.events.next(10_000);
      const controller = new AbortController();
      const waitSeconds = 4;
      const parked = fetch(`${client.base}/v1/poll?after=0&wait=${waitSeconds}`, {
        headers: { Authorization: `Bearer ${await tokenFor(user)}` },
        signal: controller.signal,
      }).catch(() => null);
      await eventually(async () => {
        const { connections } = await client.presence(user);
        return connections.sse === 1 && connections.poll === 1;
      });
      sse.source.close();
      controller.abort();
      await parked;
      // SSE: the next heartbeat write fails. A parked poll is released when the
      // client's abort reaches the Worker (at once on Cloudflare and in workerd;
      // wrangler dev's local proxy does not pass it on), and at the latest when
      // its wait runs out: never later.
      await eventually(async () => (await client.presence(user)).connections.sse === 0, 5000);
      await eventually(async () => !(await client.presence(user)).online, waitSeconds * 1000 + 3000);
    });

    it('fans one event out to many users with a batch, each through its own actor', async () => {
      const client = hub();
      const users = [uniqueUser(), uniqueUser(), uniqueUser()];
      const socket = await client.socket(users[0]!);
      await socket.untilReady();
      const response = await client.signed('POST', '/v1/events:batch', { userIds: users, type: 'maintenance', data: { at: 'noon' } });
      expect(response.status).toBe(202);
      const { results } = (await response.json()) as { results: Array<{ userId: string; id: string; delivered: number }> };
      expect(results.map((r) => [r.userId, r.id, r.delivered])).toEqual([
        [users[0], '1', 1],
        [users[1], '1', 0],
        [users[2], '1', 0],
      ]);
      expect(await socket.frames.next()).toMatchObject({ type: 'maintenance', data: { at: 'noon' } });
      socket.ws.close();
    });
  });
}
