// Client job routes: a user reads, lists and long-polls its own jobs. The user
// is the token's subject, so a client can never see another user's job.

import { Hono } from 'hono';
import { requireBearer } from '../auth/authenticate.ts';
import type { z } from 'zod';
import type { HubContext, HubEnv } from '../context.ts';
import { HubError, badRequest, sessionEnded } from '../errors.ts';
import { isJobId, TIMED_OUT_HEADER } from '../../protocol/wire.ts';
import { jobListQuery, jobQuery } from '../schemas.ts';
import { validate } from '../validate.ts';
import { encode, raw } from '../json.ts';
import { waitForJob } from '../transports/poll.ts';

const notFound = (jobId: string) => new HubError('job_not_found', `No job "${jobId}" for this user.`);
const jsonHeaders = { 'Content-Type': 'application/json', 'Cache-Control': 'no-store' };

/**
 * GET /v1/jobs/:jobId. A short poll reads the job; a long poll is one call to
 * the actor: the job once it passes `version` (absent: its current one), else
 * the job as it stood when the wait ran out. With `missing=null` a short poll
 * answers `200 null` for a job that does not exist (yet): a browser logs
 * every 404 in the console, and "no such job yet" is a state, not a failure.
 */
async function readJob(c: HubContext, { wait = 0, version, missing }: z.infer<typeof jobQuery>) {
  const credential = await requireBearer(c);
  const { userId } = credential;
  const jobId = c.req.param('jobId')!;
  if (!isJobId(jobId)) throw badRequest('jobId: 1-128 characters of A-Z a-z 0-9 _ . : @ | + = -.');
  if (wait === 0) {
    const job = await c.get('backend').actor(userId).getJob(jobId, credential);
    if (!job && missing === 'null') return c.body('null', 200, jsonHeaders);
    if (!job) throw notFound(jobId);
    return c.body(job, 200, jsonHeaders);
  }
  const answer = await waitForJob(c, credential, wait * 1000, jobId, version);
  if (answer.ended) throw sessionEnded(answer.ended);
  if (!answer.job) throw notFound(jobId);
  return c.body(answer.job, 200, answer.changed ? jsonHeaders : { ...jsonHeaders, [TIMED_OUT_HEADER]: 'true' });
}

export const clientJobRoutes = new Hono<HubEnv>()
  .get('/v1/jobs', validate('query', jobListQuery), async (c) => {
    const credential = await requireBearer(c);
    const { status, limit = 20 } = c.req.valid('query');
    const jobs = await c.get('backend').actor(credential.userId).listJobs(status, limit, credential);
    return c.body(encode({ jobs: jobs.map(raw) }), 200, jsonHeaders);
  })
  .get('/v1/jobs/:jobId', validate('query', jobQuery), (c) => readJob(c, c.req.valid('query')));
