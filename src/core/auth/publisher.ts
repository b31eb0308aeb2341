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

/**
 * Decodes a body that must be UTF-8 (RFC 8259 §8.1), refusing anything else
 * rather than replacing bad bytes with U+FFFD: a lenient decoder would let a
 * signature over the replaced text vouch for bytes nobody signed. The BOM is
 * kept, so the text encodes back to exactly the bytes received.
 */
function utf8Body(bytes: ArrayBuffer): string {
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch {
    throw new HubError(400, 'invalid_json', 'The body is not valid UTF-8.');
  }
}

/** Verifies the signature over the raw body (empty for GET); sets `webhookId`. */
export const requireSignature = createMiddleware<SignedEnv>(async (c, next) => {
  const body = c.req.method === 'GET' ? '' : utf8Body(await c.req.arrayBuffer());
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
  const tooLarge = () => new HubError(413, 'payload_too_large', `Request bodies are limited to ${maxSize} bytes.`);
  // A declared length over the limit is refused without touching the body
  // stream: a host can then discard the unread body and keep the connection
  // (@hono/node-server cannot drain a body once it is a web stream nobody reads).
  const declared = c.req.header('Content-Length');
  if (declared !== undefined && c.req.header('Transfer-Encoding') === undefined && Number(declared) > maxSize) throw tooLarge();
  return bodyLimit({
    maxSize,
    onError: () => {
      throw tooLarge();
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
