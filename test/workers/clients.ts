// Real clients inside workerd: WebSockets and SSE streams opened through the
// Worker's own fetch handler.

import { exports } from 'cloudflare:workers';
import { createInbox, type Inbox } from '../helpers/inbox.ts';
import { publishRequest, tokenFor, type PublishOptions } from '../helpers/requests.ts';
import { createSseParser, type SseFrame } from '../helpers/sse-parser.ts';
export { eventually, type Frame } from '../helpers/wire.ts';
import type { Frame } from '../helpers/wire.ts';

export const BASE = 'https://hub.test';

export const call = (input: string | Request, init?: RequestInit): Promise<Response> =>
  exports.default.fetch(typeof input === 'string' ? new Request(`${BASE}${input}`, init) : input);

export async function publish(userId: string, type: string, data: unknown, options?: PublishOptions) {
  return call(await publishRequest(BASE, userId, type, data, options));
}


export interface SocketClient {
  ws: WebSocket;
  frames: Inbox<Frame>;
  closed: Promise<CloseEvent>;
  /** Frames until (and including) `hub.ready`. */
  untilReady(): Promise<Frame[]>;
}

export async function openSocket(
  userId: string,
  options: { after?: string; headers?: Record<string, string>; query?: string } = {},
): Promise<SocketClient> {
  const headers: Record<string, string> = { Upgrade: 'websocket', ...options.headers };
  if (!options.headers) headers.Authorization = `Bearer ${await tokenFor(userId)}`;
  const query = options.query ?? (options.after ? `?after=${options.after}` : '');
  const response = await call(`/v1/connect${query}`, { headers });
  if (response.status !== 101 || !response.webSocket) {
    throw new Error(`upgrade refused: ${response.status} ${await response.text()}`);
  }
  return attach(response.webSocket);
}

function attach(ws: WebSocket): SocketClient {
  const frames = createInbox<Frame>();
  const closed = new Promise<CloseEvent>((resolve) => ws.addEventListener('close', resolve));
  ws.addEventListener('message', (event) => frames.push(JSON.parse(event.data as string) as Frame));
  ws.accept();
  return {
    ws,
    frames,
    closed,
    async untilReady() {
      const seen: Frame[] = [];
      for (;;) {
        const frame = await frames.next();
        seen.push(frame);
        if (frame.type === 'hub.ready') return seen;
      }
    },
  };
}

export interface SseClient {
  response: Response;
  frames: Inbox<SseFrame>;
  /** Event frames (no comments, no retry) until `hub.ready`. */
  untilReady(): Promise<SseFrame[]>;
  nextEvent(timeoutMs?: number): Promise<SseFrame>;
  cancel(): Promise<void>;
}

export async function openSse(path: string, init?: RequestInit): Promise<SseClient> {
  const response = await call(path, init);
  if (response.status !== 200 || !response.body) {
    throw new Error(`SSE refused: ${response.status} ${await response.text()}`);
  }
  const frames = createInbox<SseFrame>();
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  const feed = createSseParser((frame) => frames.push(frame));
  (async () => {
    for (;;) {
      const { done, value } = await reader.read().catch(() => ({ done: true, value: undefined }));
      if (done) return;
      feed(value!);
    }
  })();
  const nextEvent = async (timeoutMs?: number) => {
    for (;;) {
      const frame = await frames.next(timeoutMs);
      if (frame.event) return frame;
    }
  };
  return {
    response,
    frames,
    nextEvent,
    async untilReady() {
      const seen: SseFrame[] = [];
      for (;;) {
        const frame = await nextEvent();
        seen.push(frame);
        if (frame.event === 'hub.ready') return seen;
      }
    },
    cancel: () => reader.cancel(),
  };
}


/**
 * A signed publisher request with any method, bound to its target: a body
 * names its user and job, a bodyless request signs `METHOD path?query`.
 * `unbound`: the old forms (no target in the body, an empty GET body).
 */
export async function signedCall(method: string, path: string, body?: unknown, options: PublishOptions & { unbound?: boolean } = {}) {
  const { signWebhook } = await import('../../src/shared/webhook-signature.ts');
  const { TEST_VARS } = await import('../helpers/test-vars.ts');
  const { bindTarget, signedText } = await import('../helpers/requests.ts');
  const text = body === undefined ? undefined : JSON.stringify(options.unbound ? body : bindTarget(path, body));
  const content = options.unbound && text === undefined ? '' : signedText(method, `https://hub.test${path}`, text);
  const headers: Record<string, string> = await signWebhook(
    options.secret ?? TEST_VARS.WEBHOOK_SECRET,
    options.webhookId ?? `msg_${crypto.randomUUID()}`,
    content,
    options.timestamp,
  );
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  return call(path, { method, headers, body: text });
}

export const putJob = (user: string, jobId: string, update: unknown, options?: PublishOptions) =>
  signedCall('PUT', `/v1/users/${user}/jobs/${jobId}`, update, options);

/** A client GET with the user's Bearer token. */
export async function clientGet(user: string, path: string, init: RequestInit = {}) {
  return call(path, { ...init, headers: { Authorization: `Bearer ${await tokenFor(user)}`, ...init.headers } });
}
