// Publisher authentication: every publisher route, reads included, is signed
// per Standard Webhooks with WEBHOOK_SECRET (a GET signs an empty body). One
// secret, one check, and a 5-minute replay window for everything.

import { bodyLimit } from 'hono/body-limit';
import { createMiddleware } from 'hono/factory';
import type { HubEnv } from '../context.ts';
import { HubError, badRequest } from '../errors.ts';
import { isUserId } from '../protocol.ts';
import { verifyWebhook } from './webhook-signature.ts';

export type SignedEnv = HubEnv & { Variables: { webhookId: string } };

const signatureFailed = () =>
  new HubError(401, 'unauthorized', 'Missing, stale or invalid webhook signature.', {
    headers: { 'WWW-Authenticate': 'Webhook-Signature' },
  });

/** Verifies the signature over the raw body (empty for GET); sets `webhookId`. */
export const requireSignature = createMiddleware<SignedEnv>(async (c, next) => {
  const body = c.req.method === 'GET' ? '' : await c.req.text();
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
});

/** Body size and media type for JSON bodies, checked before anything is read. */
export const jsonBody = createMiddleware<HubEnv>(async (c, next) => {
  const type = c.req.header('Content-Type') ?? '';
  if (!/^application\/json\s*(;|$)/i.test(type)) {
    throw new HubError(415, 'unsupported_media_type', 'Send the body as application/json.');
  }
  const maxSize = c.var.config.maxEventBytes;
  return bodyLimit({
    maxSize,
    onError: () => {
      throw new HubError(413, 'payload_too_large', `Request bodies are limited to ${maxSize} bytes.`);
    },
  })(c, next);
});

/** The `:userId` path parameter, checked against the charset. */
export const validUserId = createMiddleware<HubEnv>(async (c, next) => {
  if (!isUserId(c.req.param('userId') ?? '')) {
    throw badRequest('userId: 1-128 characters of A-Z a-z 0-9 _ . : @ | + = -, not starting with punctuation.');
  }
  await next();
});
