// WebSocket transport. The browser's WebSocket cannot send headers, so the
// client first trades its token for a single-use ticket over fetch (which also
// tells a refused token apart from a network failure), then connects. When the
// server says the session is expiring, a ticket minted from a fresh token is
// sent on the same socket, which then stays open past the old expiry.

import { HUB_CLOSED, HUB_EXPIRING, HUB_READY, WS_PROTOCOL, type ClosedInfo, type Frame } from '../frames.ts';
import { endKindOf, endpoint, type EndKind, type SessionContext, type Transport } from './transport.ts';

/** Keeps idle proxies from closing the socket; answered without waking the server's actor. */
const PING_INTERVAL_MS = 25_000;

export const websocketTransport: Transport = (context) => {
  let socket: WebSocket | undefined;
  let ping: ReturnType<typeof setInterval> | undefined;
  let opened = false;
  let done = false;
  const controller = new AbortController();

  const end = (kind: EndKind, code?: number, reason?: string) => {
    if (done) return;
    done = true;
    clearInterval(ping);
    context.onEnd({ kind, opened, code, reason });
  };

  /** Renews the session in band; if that fails, the server closes with 4401 at expiry and the client reconnects. */
  const renew = async () => {
    const ticket = await context
      .freshToken()
      .then((token) => context.takeTicket?.(token) ?? ticketFor(context, token, controller.signal))
      .catch(() => null);
    if (typeof ticket === 'string' && socket?.readyState === 1) socket.send(JSON.stringify({ type: 'auth', ticket }));
  };

  (async () => {
    let ticket: string | 'unauthorized' | 'network';
    try {
      ticket = context.takeTicket?.(context.token) ?? (await ticketFor(context, context.token, controller.signal));
    } catch {
      return end('network');
    }
    if (ticket === 'unauthorized' || ticket === 'network') return end(ticket);
    if (done) return;
    const url = endpoint(context.url, 'v1/connect', { ticket, after: context.after }).replace(/^http/, 'ws');
    socket = new context.WebSocket(url, [WS_PROTOCOL]);
    let lastMessageAt = Date.now();
    socket.addEventListener('message', (event) => {
      lastMessageAt = Date.now();
      let frame: Frame;
      try {
        frame = JSON.parse(String(event.data)) as Frame;
      } catch {
        return;
      }
      if (frame.type === HUB_CLOSED) {
        // Why the server is closing, ahead of a close frame a proxy may swallow or rewrite.
        const { code, reason } = frame.data as ClosedInfo;
        end(endKindOf(code), code, reason);
        return socket?.close();
      }
      if (frame.type === HUB_EXPIRING) void renew();
      context.onFrame(frame);
      if (frame.type === HUB_READY && !opened) {
        opened = true;
        context.onOpen();
      }
    });
    socket.addEventListener('close', (event) => end(endKindOf(event.code), event.code, event.reason));
    // An error is always followed by close; a refused upgrade only errors in some runtimes.
    socket.addEventListener('error', () => end('network'));
    // Pings go out often enough that an answering server is never silent for silenceMs; one that is, is gone.
    ping = setInterval(() => {
      if (socket?.readyState !== 1) return;
      if (Date.now() - lastMessageAt > context.silenceMs) {
        end('network');
        return socket.close();
      }
      socket.send('{"type":"ping"}');
    }, Math.min(PING_INTERVAL_MS, context.silenceMs / 3));
  })();

  return {
    ack(through) {
      if (socket?.readyState !== 1) return false;
      socket.send(JSON.stringify({ type: 'ack', through }));
      return true;
    },
    close() {
      done = true;
      clearInterval(ping);
      controller.abort();
      socket?.close(1000);
    },
  };
};

/** A connection ticket for `token`, or why there is none. */
async function ticketFor(context: SessionContext, token: string, signal: AbortSignal): Promise<string | 'unauthorized' | 'network'> {
  const response = await context.fetch(endpoint(context.url, 'v1/tickets', {}), {
    method: 'POST',
    headers: { Authorization: `Bearer ${token}` },
    signal,
  });
  if (response.status === 401) return 'unauthorized';
  if (!response.ok) return 'network';
  return ((await response.json()) as { ticket: string }).ticket;
}
