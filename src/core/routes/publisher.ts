// Publisher routes (backends, job runners): signed, validated here, then routed
// by user id to that user's actor only. Nothing is broadcast.

import { Hono, type Context } from 'hono';
import type { z } from 'zod';
import type { PublishInput } from '../actor/hub.ts';
import { createMiddleware } from 'hono/factory';
import { checkTarget, fingerprint, jsonBody, requireSignature, validUserId, type SignedEnv } from '../auth/publisher.ts';
import { badRequest, HubError } from '../errors.ts';
import { isJobId, parseEventId, type PublishResult } from '../../protocol/wire.ts';
import { batchBody, jobUpdateBody, notificationBody, publishBody } from '../schemas.ts';

type PublishBody = z.infer<typeof publishBody>;
type JobUpdateBody = z.infer<typeof jobUpdateBody>;
type BatchBody = z.infer<typeof batchBody>;
type NotificationBody = z.infer<typeof notificationBody>;
import { canonicalJson, validate } from '../validate.ts';
import { encode, raw } from '../json.ts';

/** Users whose actors one batch reaches at a time. */
const BATCH_CONCURRENCY = 50;

const validJobId = createMiddleware<SignedEnv>(async (c, next) => {
  if (!isJobId(c.req.param('jobId') ?? '')) {
    throw badRequest('jobId: 1-128 characters of A-Z a-z 0-9 _ . : @ | + = -, not starting with punctuation.');
  }
  await next();
});

const validNotificationId = createMiddleware<SignedEnv>(async (c, next) => {
  if (typeof parseEventId(c.req.param('id')) !== 'number') throw badRequest('id: a notification id (a decimal integer).');
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

type SignedContext = Context<SignedEnv>;

/** One publish through the user's actor, observed once here whatever the host. */
async function publishTo(c: SignedContext, userId: string, input: PublishInput): Promise<PublishResult> {
  const result = await c.get('backend').actor(userId).publish(input);
  c.get('observer').published({ userId, eventId: result.id, delivered: result.delivered, duplicate: result.duplicate === true });
  return result;
}

/** POST /v1/users/:userId/events: one event, stored, then written to that user's connections. */
async function publishEvent(c: SignedContext, { userId: bodyUserId, type, data }: PublishBody) {
  const userId = c.req.param('userId')!;
  checkTarget(c, { userId: [bodyUserId, userId] });
  const result = await publishTo(c, userId, {
    type,
    data: canonicalJson(data),
    webhookId: c.get('webhookId'),
    fingerprint: await fingerprint('POST', `/v1/users/${userId}/events`, c.get('signedBody') ?? ''),
  });
  return c.json(result, 202);
}

/** POST /v1/users/:userId/notifications: an inbox item, stored and announced as `inbox.created`. */
async function notify(c: SignedContext, { userId: bodyUserId, data, ...content }: NotificationBody) {
  const userId = c.req.param('userId')!;
  checkTarget(c, { userId: [bodyUserId, userId] });
  const result = await c.get('backend').actor(userId).notify({
    ...content,
    data: data === undefined ? undefined : canonicalJson(data),
    webhookId: c.get('webhookId'),
    fingerprint: await fingerprint('POST', `/v1/users/${userId}/notifications`, c.get('signedBody') ?? ''),
  });
  c.get('observer').published({ userId, eventId: result.id, delivered: result.delivered, duplicate: result.duplicate === true });
  return c.json(result, result.duplicate ? 200 : 201);
}

/** GET /v1/users/:userId/notifications/:id: one item with its receipt times. */
async function getNotification(c: SignedContext) {
  const userId = c.req.param('userId')!;
  const id = parseEventId(c.req.param('id')) as number; // validNotificationId checked it
  const item = await c.get('backend').actor(userId).getNotification(id);
  if (item === null) throw new HubError('not_found', `No notification ${id} for this user.`);
  return c.body(item, 200, { 'Content-Type': 'application/json', 'Cache-Control': 'no-store' });
}

/** PUT /v1/users/:userId/jobs/:jobId: a job created or changed; each accepted change emits one event. */
async function updateJob(c: SignedContext, { userId: bodyUserId, jobId: bodyJobId, status, progress, result, error }: JobUpdateBody) {
  const [userId, jobId] = [c.req.param('userId')!, c.req.param('jobId')!];
  checkTarget(c, { userId: [bodyUserId, userId], jobId: [bodyJobId, jobId] });
  const update = {
    status,
    progress,
    result: result === undefined ? undefined : canonicalJson(result, 'result'),
    error: error === undefined ? undefined : canonicalJson(error, 'error'),
  };
  const key = { webhookId: c.get('webhookId'), fingerprint: await fingerprint('PUT', `/v1/users/${userId}/jobs/${jobId}`, c.get('signedBody') ?? '') };
  const outcome = await c.get('backend').actor(userId).updateJob(jobId, update, key);
  const { eventId, delivered } = outcome;
  c.get('observer').published({ userId, eventId, delivered, duplicate: outcome.duplicate === true, jobId });
  const body = encode({ job: raw(outcome.job), eventId, delivered, duplicate: outcome.duplicate });
  return c.body(body, outcome.created && !outcome.duplicate ? 201 : 200, { 'Content-Type': 'application/json' });
}

/** POST /v1/events:batch: one event to each named user, through that user's actor only. */
async function publishBatch(c: SignedContext, { userIds, type, data }: BatchBody) {
  const share = canonicalJson(data);
  // Each user's share of the batch: a retry split into other batches is still a duplicate for each user.
  const input = {
    type,
    data: share,
    webhookId: c.get('webhookId'),
    fingerprint: await fingerprint('POST', '/v1/events:batch', `${JSON.stringify(type)}\n${share}`),
  };
  const results = await mapConcurrent([...new Set(userIds)], BATCH_CONCURRENCY, async (userId) => {
    try {
      return { userId, ...(await publishTo(c, userId, input)) };
    } catch (err) {
      // The batch itself was accepted; each user's refusal is reported in its place.
      if (err instanceof HubError && err.status < 500) return { userId, error: err.toBody().error };
      return { userId, error: { code: 'internal', message: 'Not delivered to this user; retry the batch.' } };
    }
  });
  return c.json({ results }, 202);
}

/** The dedupe key of a signed request without a body: a replay inside the signature window is answered, not redone. */
async function bodylessKey(c: SignedContext) {
  const url = new URL(c.req.url);
  return { webhookId: c.get('webhookId'), fingerprint: await fingerprint(c.req.method, `${url.pathname}${url.search}`, '') };
}

/**
 * DELETE /v1/users/:userId/connections: closes every connection of the user
 * with 4503; `?revoke=true` also refuses every credential issued before now.
 */
async function endSessions(c: SignedContext) {
  const userId = c.req.param('userId')!;
  const revoke = c.req.query('revoke');
  if (revoke !== undefined && revoke !== 'true' && revoke !== 'false') throw badRequest('revoke: true or false.');
  return c.json(await c.get('backend').actor(userId).endSessions({ revoke: revoke === 'true' }, await bodylessKey(c)));
}

/** DELETE /v1/users/:userId: ends the user's connections and deletes everything the actor holds for them. */
async function eraseUser(c: SignedContext) {
  const userId = c.req.param('userId')!;
  return c.json(await c.get('backend').actor(userId).erase(await bodylessKey(c)));
}

export const publisherRoutes = new Hono<SignedEnv>()
  .delete('/v1/users/:userId/connections', validUserId, requireSignature, endSessions)
  .delete('/v1/users/:userId', validUserId, requireSignature, eraseUser)
  .post('/v1/users/:userId/events', validUserId, jsonBody, requireSignature, validate('json', publishBody), (c) => publishEvent(c, c.req.valid('json')))
  .post('/v1/users/:userId/notifications', validUserId, jsonBody, requireSignature, validate('json', notificationBody), (c) =>
    notify(c, c.req.valid('json')),
  )
  .get('/v1/users/:userId/notifications/:id', validUserId, validNotificationId, requireSignature, getNotification)
  .put('/v1/users/:userId/jobs/:jobId', validUserId, validJobId, jsonBody, requireSignature, validate('json', jobUpdateBody), (c) =>
    updateJob(c, c.req.valid('json')),
  )
  .get('/v1/users/:userId/presence', validUserId, requireSignature, async (c) => c.json(await c.get('backend').actor(c.req.param('userId')).presence()))
  .get('/v1/users/:userId/stats', validUserId, requireSignature, async (c) => c.json(await c.get('backend').actor(c.req.param('userId')).stats()))
  .post('/v1/events:batch', jsonBody, requireSignature, validate('json', batchBody), (c) => publishBatch(c, c.req.valid('json')));
