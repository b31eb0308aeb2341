// Real clients over real sockets for the conformance suite: the `ws` package,
// the `eventsource` package and fetch, against any host's base URL.

import { EventSource, type FetchLike } from 'eventsource';
import WebSocket from 'ws';
import { createInbox, type Inbox } from '../helpers/inbox.ts';
import { signWebhook } from '../../src/shared/webhook-signature.ts';
import { bindTarget, publishRequest, signedText, tokenFor, type PublishOptions } from '../helpers/requests.ts';
import { TEST_VARS } from '../helpers/test-vars.ts';
export { eventually, type Frame } from '../helpers/wire.ts';
import type { Frame } from '../helpers/wire.ts';


export function createHubClient(base: string) {
  const publish = async (userId: string, type: string, data: unknown, options?: PublishOptions) =>
    fetch(await publishRequest(base, userId, type, data, options));

  async function ticket(userId: string): Promise<string> {
    const response = await fetch(`${base}/v1/tickets`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${await tokenFor(userId)}` },
    });
    if (response.status !== 201) throw new Error(`ticket refused: ${response.status}`);
    return ((await response.json()) as { ticket: string }).ticket;
  }

  async function socket(
    userId: string,
    options: { after?: string; protocols?: string[]; headers?: Record<string, string> } = {},
  ) {
    const url = `${base.replace(/^http/, 'ws')}/v1/connect${options.after ? `?after=${options.after}` : ''}`;
    const headers = options.headers ?? (options.protocols ? {} : { Authorization: `Bearer ${await tokenFor(userId)}` });
    const ws = new WebSocket(url, options.protocols ?? [], { headers });
    const frames = createInbox<Frame>();
    ws.on('message', (data) => frames.push(JSON.parse(String(data)) as Frame));
    const closed = new Promise<number>((resolve) => ws.on('close', (code) => resolve(code)));
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('unexpected-response', (_req, res) => reject(new Error(`upgrade refused: ${res.statusCode}`)));
      ws.once('error', reject);
    });
    return {
      ws,
      frames,
      closed,
      async untilReady(): Promise<Frame[]> {
        const seen: Frame[] = [];
        for (;;) {
          const frame = await frames.next();
          seen.push(frame);
          if (frame.type === 'hub.ready') return seen;
        }
      },
    };
  }

  /** A fetch with a cookie jar, as a browser's EventSource has. */
  function cookieFetch(jar: Map<string, string>): FetchLike {
    return async (url, init) => {
      const headers = new Headers(init.headers as HeadersInit);
      if (jar.size > 0) headers.set('Cookie', [...jar].map(([k, v]) => `${k}=${v}`).join('; '));
      const response = await fetch(url, { ...init, headers } as RequestInit);
      for (const line of response.headers.getSetCookie()) {
        const [pair] = line.split(';');
        const eq = pair!.indexOf('=');
        jar.set(pair!.slice(0, eq), pair!.slice(eq + 1));
      }
      return response;
    };
  }

  /** An EventSource from the `eventsource` package; events land in an inbox. */
  function eventSource(url: string, options: { cookies?: boolean; types?: string[] } = {}) {
    const jar = new Map<string, string>();
    const source = new EventSource(url, options.cookies === false ? {} : { fetch: cookieFetch(jar) });
    const events = createInbox<{ id: string; type: string; data: string }>();
    const errors: unknown[] = [];
    let opens = 0;
    source.addEventListener('open', () => opens++);
    source.addEventListener('error', (err) => errors.push(err));
    for (const type of options.types ?? []) {
      source.addEventListener(type, (event) => events.push({ id: event.lastEventId, type, data: event.data }));
    }
    return { source, events, errors, jar, opens: () => opens };
  }

  /**
   * A signed publisher request with any method, bound to its target: a body
   * names its user and job (bindTarget), a GET signs `GET path?query`.
   */
  async function signed(method: string, path: string, body?: unknown, options: { webhookId?: string; unbound?: boolean } = {}) {
    const text = body === undefined ? undefined : JSON.stringify(options.unbound ? body : bindTarget(path, body));
    const content = options.unbound && text === undefined ? '' : signedText(method, `${base}${path}`, text);
    const headers: Record<string, string> = await signWebhook(TEST_VARS.WEBHOOK_SECRET, options.webhookId ?? `msg_${crypto.randomUUID()}`, content);
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    return fetch(`${base}${path}`, { method, headers, body: text });
  }

  const putJob = (userId: string, jobId: string, update: unknown) =>
    signed('PUT', `/v1/users/${encodeURIComponent(userId)}/jobs/${encodeURIComponent(jobId)}`, update);

  const presence = async (userId: string) =>
    (await (await signed('GET', `/v1/users/${encodeURIComponent(userId)}/presence`)).json()) as {
      online: boolean;
      connections: { websocket: number; sse: number; poll: number };
    };

  /** A client GET with the user's Bearer token. */
  const get = async (userId: string, path: string, init: RequestInit = {}) =>
    fetch(`${base}${path}`, { ...init, headers: { Authorization: `Bearer ${await tokenFor(userId)}` } });

  return { base, publish, ticket, socket, eventSource, signed, putJob, presence, get };
}

export type HubClient = ReturnType<typeof createHubClient>;

