// Client job routes: a user reads, lists and long-polls its own jobs. The user
// is the token's subject, so a client can never see another user's job.

import { Hono } from 'hono';
import { requireBearer } from '../auth/authenticate.ts';
import type { HubEnv } from '../context.ts';
import { HubError, badRequest } from '../errors.ts';
import { isJobId, TIMED_OUT_HEADER } from '../../protocol/wire.ts';
import { jobListQuery, jobQuery } from '../schemas.ts';
import { validate } from '../validate.ts';

const notFound = (jobId: string) => new HubError('job_not_found', `No job "${jobId}" for this user.`);
const versionOf = (json: string): number => (JSON.parse(json) as { version: number }).version;
const jsonHeaders = { 'Content-Type': 'application/json', 'Cache-Control': 'no-store' };

export const clientJobRoutes = new Hono<HubEnv>()
  .get('/v1/jobs', validate('query', jobListQuery), async (c) => {
    const userId = await requireBearer(c);
    const { status, limit = 20 } = c.req.valid('query');
    const jobs = await c.var.backend.actor(userId).listJobs(status, limit);
    return c.body(`{"jobs":[${jobs.join(',')}]}`, 200, jsonHeaders);
  })
  .get('/v1/jobs/:jobId', validate('query', jobQuery), async (c) => {
    const userId = await requireBearer(c);
    const jobId = c.req.param('jobId');
    if (!isJobId(jobId)) throw badRequest('jobId: 1-128 characters of A-Z a-z 0-9 _ . : @ | + = -.');
    const { wait = 0, version } = c.req.valid('query');
    const { backend } = c.var;

    const job = await backend.actor(userId).getJob(jobId);
    // Without ?version=, a long poll waits for the next change after the current one.
    const since = version ?? (job ? versionOf(job) : 0);
    if (wait === 0 || (job && versionOf(job) > since)) {
      if (!job) throw notFound(jobId);
      return c.body(job, 200, jsonHeaders);
    }
    const changed = await backend.waitForJob({ userId, waitMs: wait * 1000, signal: c.req.raw.signal }, jobId, since);
    if (changed) return c.body(changed, 200, jsonHeaders);
    if (!job) throw notFound(jobId);
    return c.body(job, 200, { ...jsonHeaders, [TIMED_OUT_HEADER]: 'true' });
  });
