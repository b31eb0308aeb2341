// GET /v1/events: an SSE stream (sse-stream.ts) as a connection of the actor.
// A client that goes away is noticed two ways: the request's abort signal
// (workerd fires it only with the enable_request_signal flag) and the first
// failed write (events and heartbeats), whichever comes first.

import { Hono } from 'hono';
import { generateCookie } from 'hono/cookie';
import { authenticateStream, checkOrigin, nowSeconds } from '../auth/authenticate.ts';
import { SSE_COOKIE_PATH, sseCookieName, sseSessionCookie } from '../auth/tickets.ts';
import type { Credential } from '../auth/client-token.ts';
import type { Outgoing } from '../actor/frames.ts';
import type { Config } from '../config.ts';
import type { HubContext, HubEnv } from '../context.ts';
import { SSE_HEADERS } from '../sse.ts';
import { SseStream, type SseStreamOptions } from '../sse-stream.ts';
import { connect, LinkedSink } from './sink.ts';
import { errors, POLL_DESCRIPTIONS, queryParameters, STREAM, type JsonSchema } from '../openapi-schemas.ts';
import { pollQuery } from '../schemas.ts';
import { resumePoint } from './resume-point.ts';

/** An SSE stream carries each message's SSE event. */
export const frame = (message: Outgoing): string => message.sse;

export class SseSink extends LinkedSink {
  get transport(): 'sse' {
    return 'sse';
  }

  readonly #stream: SseStream;

  constructor(options: SseStreamOptions, signal: AbortSignal) {
    super();
    const onAbort = () => this.#stream.end();
    this.#stream = new SseStream(options, () => {
      signal.removeEventListener('abort', onAbort);
      this.leave();
    });
    signal.addEventListener('abort', onAbort);
  }

  get body(): ReadableStream<Uint8Array> {
    return this.#stream.body;
  }

  write(text: string): boolean {
    return this.#stream.write(text);
  }

  /** The actor's code (4401 expired, 4009 resume, 4503 ended) reaches the reader as hub.closed. */
  end(code: number, reason: string): void {
    this.#stream.end(code, reason);
  }
}

/** The cookie EventSource reconnects with after a ticket: as long as the session, never longer than SSE_SESSION_TTL_SECONDS; one per user. */
async function sessionCookie(config: Config, credential: Credential): Promise<string> {
  const now = nowSeconds();
  const session = { ...credential, expiresAt: Math.min(credential.expiresAt, now + config.sseSessionTtlSeconds) };
  return generateCookie(sseCookieName(credential.userId), await sseSessionCookie(config.jwtSecret, session), {
    path: SSE_COOKIE_PATH,
    httpOnly: true,
    secure: true,
    sameSite: 'None',
    maxAge: Math.max(1, session.expiresAt - now),
  });
}

/** GET /v1/events: an SSE stream; a ticket also sets the cookie EventSource reconnects with. */
async function openEventStream(c: HubContext) {
  checkOrigin(c);
  const { credential, redeem } = await authenticateStream(c, 'sse');
  // Last-Event-ID wins over ?after=: an EventSource reconnects to its first URL.
  const after = resumePoint(c, c.req.header('Last-Event-ID'));
  const { config } = c.var;
  const options = { heartbeatMs: config.heartbeatSeconds * 1000, retryMs: config.sseRetryMs, maxStreamMs: config.sseMaxStreamSeconds * 1000 };
  // Made before the stream opens: nothing may fail between the open and the response.
  const cookie = redeem ? await sessionCookie(config, credential) : undefined;
  const sink = new SseSink(options, c.req.raw.signal);
  await connect(c, credential.userId, sink, { after, redeem, credential });
  const headers = new Headers(SSE_HEADERS);
  if (cookie) headers.append('Set-Cookie', cookie);
  return new Response(sink.body, { headers });
}

export const routes = new Hono<HubEnv>().get('/v1/events', openEventStream);

/** Its description in /openapi.json. */
export const paths: Record<string, Record<string, JsonSchema>> = {
  '/v1/events': {
  get: {
    summary: 'Open a Server-Sent-Events stream (Last-Event-ID or ?after= resumes).',
    security: STREAM,
    parameters: [
      ...queryParameters(pollQuery.pick({ after: true }), POLL_DESCRIPTIONS),
      { name: 'Last-Event-ID', in: 'header', required: false, schema: { type: 'string' } },
    ],
    responses: { 200: { description: 'An event stream.', content: { 'text/event-stream': {} } }, ...errors(400, 401, 403, 429) },
  },
},
};
