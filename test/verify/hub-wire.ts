// Raw requests for the guarantee suites, with every part under the caller's
// control: publisher requests signed over exact bytes, WebSocket upgrades that
// report a refusal's status and body, and WebSocket / SSE replays read up to
// `hub.ready`. Plain Node (no test framework), so `npm run verify` can use it.

import WebSocket from 'ws';
import { base64ToBytes, bytesToBase64, utf8 } from '../../src/shared/base64.ts';
import { createInbox, type Inbox } from '../helpers/inbox.ts';
import { createSseParser } from '../helpers/sse-parser.ts';
import { bindTarget, signedText } from '../helpers/requests.ts';
import { TEST_VARS } from '../helpers/test-vars.ts';
export type { Frame } from '../helpers/wire.ts';
import type { Frame } from '../helpers/wire.ts';


/** Every request a suite makes gives up after this long. */
export const REQUEST_TIMEOUT_MS = 15_000;

/** True when `text` is the documented error body `{"error":{"code","message"}}` sent as JSON. */
export function isErrorBody(contentType: string | null, text: string): boolean {
  if (!/^application\/json\b/i.test(contentType ?? '')) return false;
  try {
    const body = JSON.parse(text) as { error?: { code?: unknown; message?: unknown } };
    return typeof body.error?.code === 'string' && typeof body.error.message === 'string';
  } catch {
    return false;
  }
}

/** The error code of an error body, if it is one. */
export function errorCode(text: string): string | undefined {
  try {
    const code = (JSON.parse(text) as { error?: { code?: unknown } }).error?.code;
    return typeof code === 'string' ? code : undefined;
  } catch {
    return undefined;
  }
}

/** Standard Webhooks headers for exact body bytes. */
export async function webhookHeaders(
  body: string | Uint8Array,
  options: { secret?: string; webhookId?: string; timestamp?: number | string } = {},
): Promise<Record<'webhook-id' | 'webhook-timestamp' | 'webhook-signature', string>> {
  const secret = options.secret ?? TEST_VARS.WEBHOOK_SECRET;
  const id = options.webhookId ?? `msg_${crypto.randomUUID()}`;
  const timestamp = String(options.timestamp ?? Math.floor(Date.now() / 1000));
  const raw = base64ToBytes(secret.slice('whsec_'.length))!;
  const key = await crypto.subtle.importKey('raw', raw as BufferSource, { name: 'HMAC', hash: 'SHA-256' }, false, [
    'sign',
  ]);
  const prefix = utf8.encode(`${id}.${timestamp}.`);
  const bytes = typeof body === 'string' ? utf8.encode(body) : body;
  const content = new Uint8Array(prefix.length + bytes.length);
  content.set(prefix);
  content.set(bytes, prefix.length);
  const mac = new Uint8Array(await crypto.subtle.sign('HMAC', key, content));
  return { 'webhook-id': id, 'webhook-timestamp': timestamp, 'webhook-signature': `v1,${bytesToBase64(mac)}` };
}

/** A signed JSON request from a publisher, bound to its target (a GET signs `GET path?query`). */
export async function signedFetch(base: string, method: string, path: string, body?: unknown): Promise<Response> {
  const text = body === undefined ? undefined : JSON.stringify(bindTarget(path, body));
  const headers: Record<string, string> = await webhookHeaders(signedText(method, `${base}${path}`, text));
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  return fetch(`${base}${path}`, {
    method,
    headers,
    body: text,
    signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
  });
}

/** A client GET with a Bearer token. */
export const bearerFetch = (base: string, path: string, token: string, init: RequestInit = {}): Promise<Response> =>
  fetch(`${base}${path}`, {
    ...init,
    headers: { ...(init.headers as Record<string, string> | undefined), Authorization: `Bearer ${token}` },
    signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
  });

export interface OpenSocket {
  ws: WebSocket;
  /** Text and binary messages as strings, in arrival order. */
  messages: Inbox<string>;
  /** Resolves with the close code once the socket is closed. */
  closed: Promise<number>;
  /** The subprotocol the server echoed. */
  protocol: string;
}

export type Upgrade =
  | { kind: 'open'; socket: OpenSocket }
  | { kind: 'refused'; status: number; contentType: string | null; body: string }
  | { kind: 'failed'; error: string };

/** Opens `GET path` as a WebSocket; a refused upgrade resolves with its HTTP answer. */
export function upgrade(
  base: string,
  path: string,
  options: { headers?: Record<string, string>; protocols?: string[]; timeoutMs?: number } = {},
): Promise<Upgrade> {
  const timeoutMs = options.timeoutMs ?? REQUEST_TIMEOUT_MS;
  let ws: WebSocket;
  try {
    ws = new WebSocket(`${base.replace(/^http/, 'ws')}${path}`, options.protocols ?? [], {
      headers: options.headers,
      handshakeTimeout: timeoutMs,
    });
  } catch (error) {
    return Promise.resolve({ kind: 'failed', error: String(error) });
  }
  const messages = createInbox<string>();
  ws.on('message', (data) => messages.push(String(data)));
  const closed = new Promise<number>((resolve) => ws.on('close', (code) => resolve(code)));
  return new Promise<Upgrade>((resolve) => {
    const timer = setTimeout(() => {
      ws.terminate();
      resolve({ kind: 'failed', error: `no answer to the upgrade within ${timeoutMs} ms` });
    }, timeoutMs + 1000);
    const settle = (result: Upgrade) => {
      clearTimeout(timer);
      resolve(result);
    };
    ws.once('open', () => settle({ kind: 'open', socket: { ws, messages, closed, protocol: ws.protocol } }));
    ws.once('unexpected-response', (request, response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (body += chunk));
      const finish = () => {
        request.destroy();
        settle({
          kind: 'refused',
          status: response.statusCode ?? 0,
          contentType: String(response.headers['content-type'] ?? '') || null,
          body,
        });
      };
      response.once('end', finish);
      response.once('error', finish);
    });
    ws.once('error', (error) => settle({ kind: 'failed', error: error.message }));
  });
}

/** Reads frames until `hub.ready` (included). */
export async function readUntilReady(socket: OpenSocket, timeoutMs = REQUEST_TIMEOUT_MS): Promise<Frame[]> {
  const deadline = Date.now() + timeoutMs;
  const frames: Frame[] = [];
  for (;;) {
    const frame = JSON.parse(await socket.messages.next(Math.max(1, deadline - Date.now()))) as Frame;
    frames.push(frame);
    if (frame.type === 'hub.ready') return frames;
  }
}

/** Closes a socket and waits for the close to finish (bounded). */
export async function closeSocket(socket: OpenSocket): Promise<void> {
  if (socket.ws.readyState === WebSocket.OPEN) socket.ws.close(1000);
  const timer = new Promise<void>((resolve) => setTimeout(() => resolve(), 2000).unref());
  await Promise.race([socket.closed.then(() => undefined), timer]);
  if (socket.ws.readyState !== WebSocket.CLOSED) socket.ws.terminate();
}

export type SseReplay =
  | { kind: 'stream'; frames: Frame[] }
  | { kind: 'refused'; status: number; contentType: string | null; body: string };

/** Opens an SSE stream and reads it up to `hub.ready`, then leaves. */
export async function readSseReplay(
  base: string,
  path: string,
  headers: Record<string, string>,
  timeoutMs = REQUEST_TIMEOUT_MS,
): Promise<SseReplay> {
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(new Error(`no hub.ready within ${timeoutMs} ms`)), timeoutMs);
  try {
    const response = await fetch(`${base}${path}`, { headers, signal: abort.signal });
    if (response.status !== 200 || !response.body) {
      return {
        kind: 'refused',
        status: response.status,
        contentType: response.headers.get('Content-Type'),
        body: await response.text(),
      };
    }
    const frames: Frame[] = [];
    let ready = false;
    const feed = createSseParser((frame) => {
      if (frame.data === undefined || ready) return;
      const parsed = JSON.parse(frame.data) as Frame;
      frames.push(parsed);
      if (parsed.type === 'hub.ready') ready = true;
    });
    const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
    while (!ready) {
      const { value, done } = await reader.read();
      if (done) throw new Error('SSE stream ended before hub.ready');
      feed(value);
    }
    await reader.cancel().catch(() => undefined);
    return { kind: 'stream', frames };
  } finally {
    clearTimeout(timer);
    abort.abort();
  }
}

/** True when `GET /v1/health` answers 200 within a few seconds. */
export async function isHealthy(base: string): Promise<boolean> {
  try {
    const response = await fetch(`${base}/v1/health`, { signal: AbortSignal.timeout(5000) });
    await response.body?.cancel();
    return response.status === 200;
  } catch {
    return false;
  }
}
