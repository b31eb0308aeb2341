// Publisher authentication: every publisher route, reads included, is signed
// per Standard Webhooks with WEBHOOK_SECRET, and what is signed names its
// target: a body names its user (and job), a request without a body signs
// `METHOD path?query`. So a captured request is worthless at any other URL.
// One secret, one check, and a 5-minute replay window for everything.

import { bodyLimit } from 'hono/body-limit';
import type { Context } from 'hono';
import { createMiddleware } from 'hono/factory';
import type { HubEnv } from '../context.ts';
import { HubError, badRequest } from '../errors.ts';
import { isUserId } from '../../protocol/wire.ts';
import { bytesToBase64 } from '../../shared/base64.ts';
import { sha256 } from '../../shared/crypto.ts';
import { signedContent, verifyWebhook } from '../../shared/webhook-signature.ts';

export type SignedEnv = HubEnv & {
  Variables: {
    webhookId: string;
    /** The body as signed (UTF-8 text), or null for a request without one. */
    signedBody: string | null;
  };
};

const signatureFailed = () =>
  new HubError('unauthorized', 'Missing, stale or invalid webhook signature.', {
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
    throw new HubError('invalid_json', 'The body is not valid UTF-8.');
  }
}

const BODYLESS = new Set(['GET', 'HEAD', 'DELETE']);

function pathAndQuery(url: string): string {
  const { pathname, search } = new URL(url);
  return `${pathname}${search}`;
}

/**
 * Verifies the signature over the raw body, or over `METHOD path?query` for a
 * request without one (with PUBLISH_REQUIRE_TARGET=false, an empty body too);
 * sets `webhookId` and `signedBody`.
 */
export const requireSignature = createMiddleware<SignedEnv>(async (c, next) => {
  const body = BODYLESS.has(c.req.method) ? null : utf8Body(await c.req.arrayBuffer());
  const contents = body ?? signedContent(c.req.method, pathAndQuery(c.req.url));
  const webhookId = await verifyWebhook(
    c.get('config').webhookSecrets,
    {
      id: c.req.header('webhook-id'),
      timestamp: c.req.header('webhook-timestamp'),
      signature: c.req.header('webhook-signature'),
    },
    body === null && !c.get('config').publishRequireTarget ? [contents, ''] : contents,
  );
  if (!webhookId) throw signatureFailed();
  c.set('webhookId', webhookId);
  c.set('signedBody', body);
  // The validator parses this very text (c.req.json() reads the text cache
  // first), so the body is decoded once; without it Hono turns the cached
  // bytes into text through a Response built for the purpose, a web Response
  // per publish on Node. A leading BOM is dropped there, as a Response's
  // text() drops it (RFC 8259 §8.1 lets a parser ignore it); the signature
  // covered it. (Hono keeps a promise there, though its type names the value.)
  if (body !== null) c.req.bodyCache.text = Promise.resolve(body.startsWith('\uFEFF') ? body.slice(1) : body) as unknown as string;
  await next();
});

/**
 * Checks that a signed body names the target of its path: each field, when
 * given, must equal the path's value; when missing it is refused too, unless
 * PUBLISH_REQUIRE_TARGET=false. Runs after the signature and validation.
 */
export function checkTarget(c: Context<SignedEnv>, fields: Record<string, [given: string | undefined, path: string]>): void {
  for (const [name, [given, path]] of Object.entries(fields)) {
    if (given === undefined && !c.get('config').publishRequireTarget) continue;
    if (given === undefined) {
      throw new HubError('target_mismatch', `"${name}" is required in the body: it must name the ${name === 'jobId' ? 'job' : 'user'} of the path.`);
    }
    if (given !== path) throw new HubError('target_mismatch', `"${name}" in the body does not name the ${name === 'jobId' ? 'job' : 'user'} of the path.`);
  }
}

/**
 * The fingerprint stored beside a webhook-id: SHA-256 over the method, what
 * the request addresses, and its signed body. The same id with another
 * fingerprint is another request: 409 idempotency_key_reused.
 */
export async function fingerprint(method: string, target: string, body: string): Promise<string> {
  return bytesToBase64(await sha256(`${method} ${target}\n${body}`));
}

/** Oversized bodies up to this size are read and dropped before the 413 (see jsonBody). */
const DRAIN_BYTES = 8 * 1024 * 1024;

/** Reads a body to its end without keeping it. */
async function drain(body: ReadableStream<Uint8Array> | null): Promise<void> {
  if (!body) return;
  const reader = body.getReader();
  try {
    while (!(await reader.read()).done);
  } catch {
    // the sender went away: nothing left to drain
  }
}

/** Body size and media type for JSON bodies, checked before anything is read. */
export const jsonBody = createMiddleware<HubEnv>(async (c, next) => {
  const type = c.req.header('Content-Type') ?? '';
  if (!/^application\/json\s*(;|$)/i.test(type)) {
    throw new HubError('unsupported_media_type', 'Send the body as application/json.');
  }
  const maxSize = c.get('config').maxEventBytes;
  const tooLarge = () => new HubError('payload_too_large', `Request bodies are limited to ${maxSize} bytes.`);
  // A declared length over the limit is refused before validation. Up to
  // DRAIN_BYTES the body is read and dropped first, so the sender receives the
  // 413 on a connection that stays usable: left unread, @hono/node-server and
  // wrangler's local proxy close the connection while the body is still being
  // sent, and the sender sees a network error instead of the answer.
  const declared = c.req.header('Content-Length');
  if (declared !== undefined && c.req.header('Transfer-Encoding') === undefined && Number(declared) > maxSize) {
    if (Number(declared) <= DRAIN_BYTES) await drain(c.req.raw.body);
    throw tooLarge();
  }
  // A declared length within the limit is the body's length (the runtime's
  // HTTP parser reads exactly that many bytes), so there is nothing to count:
  // bodyLimit would pass it on too, but only after touching `c.req.raw.body`,
  // which makes @hono/node-server build a web Request and a stream for every
  // request instead of reading the body straight from the socket. Only a body
  // without a length (chunked) is counted as it is read.
  if (declared !== undefined && c.req.header('Transfer-Encoding') === undefined) return next();
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
