import { describe, expect, it } from 'vitest';
import type { Job } from '../../src/protocol/wire.ts';
import { uniqueUser } from '../helpers/requests.ts';
import { clientGet, openSocket, putJob } from './clients.ts';

type JobBody = Job;

const body = async (response: Response) => (await response.json()) as { job: JobBody; eventId: string | null; delivered: number; duplicate?: boolean };

describe('jobs', () => {
  it('upserts a job, bumps its version on each change and emits one notification per change', async () => {
    const user = uniqueUser();
    const socket = await openSocket(user);
    await socket.untilReady();

    const created = await putJob(user, 'zip-1', { status: 'queued' });
    expect(created.status).toBe(201);
    expect(await body(created)).toMatchObject({ job: { id: 'zip-1', status: 'queued', version: 1 }, eventId: '1', delivered: 1 });
    expect(await socket.frames.next()).toMatchObject({ id: '1', type: 'job.queued', data: { id: 'zip-1', version: 1 } });

    expect((await putJob(user, 'zip-1', { status: 'running', progress: 0.1 })).status).toBe(200);
    expect(await socket.frames.next()).toMatchObject({ type: 'job.running', data: { progress: 0.1, version: 2 } });
    await putJob(user, 'zip-1', { status: 'running', progress: 0.5 });
    expect(await socket.frames.next()).toMatchObject({ type: 'job.progress', data: { progress: 0.5, version: 3 } });

    const done = await putJob(user, 'zip-1', { status: 'succeeded', result: { url: 'https://x/zip' } });
    const doneBody = await body(done);
    expect(doneBody.job).toMatchObject({ status: 'succeeded', result: { url: 'https://x/zip' }, version: 4, error: null });
    expect(await socket.frames.next()).toMatchObject({ type: 'job.succeeded', data: { version: 4 } });
    expect(Date.parse(doneBody.job.updatedAt)).toBeGreaterThanOrEqual(Date.parse(doneBody.job.createdAt));
  });

  it('keeps terminal states final: a later change is 409, the same terminal update is idempotent', async () => {
    const user = uniqueUser();
    await putJob(user, 'j', { status: 'running' });
    await putJob(user, 'j', { status: 'failed', error: { code: 'oom', message: 'out of memory' } });

    const again = await putJob(user, 'j', { status: 'failed', error: { code: 'oom', message: 'out of memory' } });
    expect(again.status).toBe(200);
    expect(await body(again)).toMatchObject({ eventId: null, job: { version: 2 } });

    for (const update of [{ status: 'running' }, { status: 'succeeded' }, { status: 'failed', error: { code: 'other' } }]) {
      const refused = await putJob(user, 'j', update);
      expect(refused.status).toBe(409);
      expect(await refused.json()).toMatchObject({ error: { code: 'job_final' } });
    }
    const job = (await (await clientGet(user, '/v1/jobs/j')).json()) as JobBody;
    expect(job).toMatchObject({ status: 'failed', version: 2 });
  });

  it('answers a repeated webhook-id with the first result and no second notification', async () => {
    const user = uniqueUser();
    const first = await body(await putJob(user, 'j', { status: 'queued' }, { webhookId: 'msg_job' }));
    const again = await putJob(user, 'j', { status: 'queued' }, { webhookId: 'msg_job' });
    expect(again.status).toBe(200);
    expect(await body(again)).toEqual({ ...first, duplicate: true });
    const poll = (await (await clientGet(user, '/v1/poll?after=0')).json()) as { events: unknown[] };
    expect(poll.events).toHaveLength(1);
  });

  it("lets a client read only its own jobs", async () => {
    const [john, jane] = [uniqueUser('john'), uniqueUser('jane')];
    await putJob(john, 'secret-job', { status: 'queued' });
    const own = await clientGet(john, '/v1/jobs/secret-job');
    expect(own.status).toBe(200);
    expect(await own.json()).toMatchObject({ id: 'secret-job', status: 'queued', progress: null, result: null, error: null, version: 1 });
    const other = await clientGet(jane, '/v1/jobs/secret-job');
    expect(other.status).toBe(404);
    expect(await other.json()).toMatchObject({ error: { code: 'job_not_found' } });
  });

  it('lists recent jobs newest first, filtered by status and limited', async () => {
    const user = uniqueUser();
    for (const id of ['a', 'b', 'c']) {
      await putJob(user, id, { status: 'queued' });
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    await putJob(user, 'b', { status: 'running' });
    const all = (await (await clientGet(user, '/v1/jobs')).json()) as { jobs: JobBody[] };
    expect(all.jobs.map((j) => j.id)).toEqual(['c', 'b', 'a']);
    const running = (await (await clientGet(user, '/v1/jobs?status=running')).json()) as { jobs: JobBody[] };
    expect(running.jobs.map((j) => j.id)).toEqual(['b']);
    const limited = (await (await clientGet(user, '/v1/jobs?limit=2')).json()) as { jobs: JobBody[] };
    expect(limited.jobs).toHaveLength(2);
  });

  it('refuses bad job input with 400 and stores nothing', async () => {
    const user = uniqueUser();
    const bad: unknown[] = [
      { status: 'done' },
      { status: 'running', progress: 1.5 },
      { status: 'running', progress: -0.1 },
      { status: 'running', progress: '0.5' },
      { status: 'running', result: 1 },
      { status: 'succeeded', error: { code: 'x' } },
      { status: 'failed', error: 'text' },
      { status: 'queued', extra: true },
      {},
    ];
    for (const update of bad) {
      const response = await putJob(user, 'j', update);
      expect(response.status, JSON.stringify(update)).toBe(400);
      expect(await response.json()).toMatchObject({ error: { code: 'invalid_request' } });
    }
    expect((await putJob(user, 'bad%20id', { status: 'queued' })).status).toBe(400);
    expect((await putJob(user, 'x'.repeat(129), { status: 'queued' })).status).toBe(400);
    expect((await putJob('bad%20user', 'j', { status: 'queued' })).status).toBe(400);
    expect((await clientGet(user, '/v1/jobs/j')).status).toBe(404);
    expect((await clientGet(user, '/v1/jobs?status=done')).status).toBe(400);
    expect((await clientGet(user, '/v1/jobs?limit=0')).status).toBe(400);
  });

  it('refuses unsigned job updates with 401', async () => {
    const user = uniqueUser();
    const response = await putJob(user, 'j', { status: 'queued' }, { secret: 'whsec_d3Jvbmctc2VjcmV0LXdyb25nLXNlY3JldA==' });
    expect(response.status).toBe(401);
    expect((await clientGet(user, '/v1/jobs/j')).status).toBe(404);
  });
});
