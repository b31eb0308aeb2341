// Publisher routes: signed per Standard Webhooks, validated here, then routed
// by user id to that user's actor only.

import { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { createMiddleware } from 'hono/factory';
import { zValidator } from '@hono/zod-validator';
import { verifyWebhook } from '../auth/webhook-signature.ts';
import type { HubEnv } from '../context.ts';
import { HubError, badRequest } from '../errors.ts';
import { isUserId } from '../protocol.ts';
import { jsonDepth, MAX_JSON_DEPTH, publishBody } from '../schemas.ts';
import { oneLineJson } from '../sse.ts';

const signatureFailed = () =>
  new HubError(401, 'unauthorized', 'Missing, stale or invalid webhook signature.', {
    headers: { 'WWW-Authenticate': 'Webhook-Signature' },
  });

/** Body size, media type and Standard Webhooks signature; sets `webhookId`. */
export const signedJson = createMiddleware<HubEnv & { Variables: { webhookId: string } }>(async (c, next) =>
  bodyLimit({
    maxSize: c.var.config.maxEventBytes,
    onError: () => {
      throw new HubError(413, 'payload_too_large', `Request bodies are limited to ${c.var.config.maxEventBytes} bytes.`);
    },
  })(c, async () => {
    const type = c.req.header('Content-Type') ?? '';
    if (!/^application\/json\s*(;|$)/i.test(type)) {
      throw new HubError(415, 'unsupported_media_type', 'Send the body as application/json.');
    }
    const body = await c.req.text();
    const webhookId = await verifyWebhook(
      c.var.config.webhookSecrets,
      {
        id: c.req.header('webhook-id'),
        timestamp: c.req.header('webhook-timestamp'),
        signature: c.req.header('webhook-signature'),
      },
      body,
    );
    if (!webhookId) throw signatureFailed();
    c.set('webhookId', webhookId);
    await next();
  }),
);

const validUserId = createMiddleware<HubEnv>(async (c, next) => {
  if (!isUserId(c.req.param('userId') ?? '')) {
    throw badRequest('userId: 1-128 characters of A-Z a-z 0-9 _ . : @ | + = -, not starting with punctuation.');
  }
  await next();
});

const publishJson = zValidator('json', publishBody, (result) => {
  if (!result.success) {
    const issue = result.error.issues[0];
    throw badRequest(issue ? `${issue.path.join('.') || 'body'}: ${issue.message}` : 'Invalid body.');
  }
});

/** Canonical one-line JSON for an event's data; refuses absurd nesting. */
function canonicalData(data: unknown): string {
  if (jsonDepth(data) > MAX_JSON_DEPTH) throw badRequest(`data: nested deeper than ${MAX_JSON_DEPTH} levels.`);
  return oneLineJson(JSON.stringify(data ?? null));
}

export const publishRoutes = new Hono<HubEnv & { Variables: { webhookId: string } }>().post(
  '/v1/users/:userId/events',
  validUserId,
  signedJson,
  publishJson,
  async (c) => {
    const { type, data } = c.req.valid('json');
    const result = await c.var.backend.publish(c.req.param('userId'), {
      type,
      data: canonicalData(data),
      webhookId: c.var.webhookId,
    });
    return c.json(result, 202);
  },
);
