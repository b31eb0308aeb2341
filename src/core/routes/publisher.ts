// Publisher routes (backends, job runners): signed, validated here, then routed
// by user id to that user's actor only. Nothing is broadcast.

import { Hono } from 'hono';
import { createMiddleware } from 'hono/factory';
import { checkTarget, fingerprint, jsonBody, requireSignature, validUserId, type SignedEnv } from '../auth/publisher.ts';
import { badRequest, HubError } from '../errors.ts';
import { isJobId } from '../../protocol/wire.ts';
import { batchBody, jobUpdateBody, publishBody } from '../schemas.ts';
import { canonicalJson, validate } from '../validate.ts';

/** Users whose actors one batch reaches at a time. */
const BATCH_CONCURRENCY = 50;

const validJobId = createMiddleware<SignedEnv>(async (c, next) => {
  if (!isJobId(c.req.param('jobId') ?? '')) {
    throw badRequest('jobId: 1-128 characters of A-Z a-z 0-9 _ . : @ | + = -, not starting with punctuation.');
  }
  await next();
});

/** Runs `task` over `items`, at most `limit` at a time, keeping order. */
async function mapConcurrent<T, R>(items: readonly T[], limit: number, task: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await task(items[index]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

export const publisherRoutes = new Hono<SignedEnv>()
  .post('/v1/users/:userId/events', validUserId, jsonBody, requireSignature, validate('json', publishBody), async (c) => {
    const { userId: bodyUserId, type, data } = c.req.valid('json');
    const userId = c.req.param('userId');
    checkTarget(c, { userId: [bodyUserId, userId] });
    const result = await c.var.backend.publish(userId, {
      type,
      data: canonicalJson(data),
      webhookId: c.var.webhookId,
      fingerprint: await fingerprint('POST', `/v1/users/${userId}/events`, c.var.signedBody ?? ''),
    });
    return c.json(result, 202);
  })
  .put(
    '/v1/users/:userId/jobs/:jobId',
    validUserId,
    validJobId,
    jsonBody,
    requireSignature,
    validate('json', jobUpdateBody),
    async (c) => {
      const { userId: bodyUserId, jobId: bodyJobId, status, progress, result, error } = c.req.valid('json');
      const [userId, jobId] = [c.req.param('userId'), c.req.param('jobId')];
      checkTarget(c, { userId: [bodyUserId, userId], jobId: [bodyJobId, jobId] });
      const outcome = await c.var.backend.updateJob(
        userId,
        jobId,
        {
          status,
          progress,
          result: result === undefined ? undefined : canonicalJson(result, 'result'),
          error: error === undefined ? undefined : canonicalJson(error, 'error'),
        },
        { webhookId: c.var.webhookId, fingerprint: await fingerprint('PUT', `/v1/users/${userId}/jobs/${jobId}`, c.var.signedBody ?? '') },
      );
      const body = `{"job":${outcome.job},"eventId":${JSON.stringify(outcome.eventId)},"delivered":${outcome.delivered}${outcome.duplicate ? ',"duplicate":true' : ''}}`;
      return c.body(body, outcome.created && !outcome.duplicate ? 201 : 200, { 'Content-Type': 'application/json' });
    },
  )
  .get('/v1/users/:userId/presence', validUserId, requireSignature, async (c) =>
    c.json(await c.var.backend.presence(c.req.param('userId'))),
  )
  .get('/v1/users/:userId/stats', validUserId, requireSignature, async (c) =>
    c.json(await c.var.backend.stats(c.req.param('userId'))),
  )
  .post('/v1/events:batch', jsonBody, requireSignature, validate('json', batchBody), async (c) => {
    const { userIds, type, data } = c.req.valid('json');
    const share = canonicalJson(data);
    // Each user's share of the batch: a retry split into other batches is still a duplicate for each user.
    const input = {
      type,
      data: share,
      webhookId: c.var.webhookId,
      fingerprint: await fingerprint('POST', '/v1/events:batch', `${JSON.stringify(type)}\n${share}`),
    };
    const unique = [...new Set(userIds)];
    const results = await mapConcurrent(unique, BATCH_CONCURRENCY, async (userId) => {
      try {
        return { userId, ...(await c.var.backend.publish(userId, input)) };
      } catch (err) {
        // The batch itself was accepted; each user's refusal is reported in its place.
        if (err instanceof HubError && err.status < 500) return { userId, error: err.toBody().error };
        return { userId, error: { code: 'internal', message: 'Not delivered to this user; retry the batch.' } };
      }
    });
    return c.json({ results }, 202);
  });
