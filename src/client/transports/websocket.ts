// WebSocket transport. The browser's WebSocket cannot send headers, so the
// client first trades its token for a single-use ticket over fetch (which also
// tells a refused token apart from a network failure), then connects.

import { CLOSE_UNAUTHORIZED, HUB_READY, isStopCode, WS_PROTOCOL, type Frame } from '../frames.ts';
import { endpoint, type Transport } from './transport.ts';

/** Keeps idle proxies from closing the socket; answered without waking the server's actor. */
const PING_INTERVAL_MS = 25_000;

export const websocketTransport: Transport = (context) => {
  let socket: WebSocket | undefined;
  let ping: ReturnType<typeof setInterval> | undefined;
  let opened = false;
  let done = false;
  const controller = new AbortController();

  const end = (kind: 'unauthorized' | 'network' | 'stop') => {
    if (done) return;
    done = true;
    clearInterval(ping);
    context.onEnd({ kind, opened });
  };

  (async () => {
    let ticket: string;
    try {
      const response = await context.fetch(endpoint(context.url, 'v1/tickets', {}), {
        method: 'POST',
        headers: { Authorization: `Bearer ${context.token}` },
        signal: controller.signal,
      });
      if (response.status === 401) return end('unauthorized');
      if (!response.ok) return end('network');
      ticket = ((await response.json()) as { ticket: string }).ticket;
    } catch {
      return end('network');
    }
    if (done) return;
    const url = endpoint(context.url, 'v1/connect', { ticket, after: context.after }).replace(/^http/, 'ws');
    socket = new context.WebSocket(url, [WS_PROTOCOL]);
    socket.addEventListener('message', (event) => {
      let frame: Frame;
      try {
        frame = JSON.parse(String(event.data)) as Frame;
      } catch {
        return;
      }
      context.onFrame(frame);
      if (frame.type === HUB_READY && !opened) {
        opened = true;
        context.onOpen();
      }
    });
    socket.addEventListener('close', (event) =>
      end(event.code === CLOSE_UNAUTHORIZED ? 'unauthorized' : isStopCode(event.code) ? 'stop' : 'network'),
    );
    // An error is always followed by close; a refused upgrade only errors in some runtimes.
    socket.addEventListener('error', () => end('network'));
    ping = setInterval(() => socket?.readyState === 1 && socket.send('{"type":"ping"}'), PING_INTERVAL_MS);
  })();

  return {
    close() {
      done = true;
      clearInterval(ping);
      controller.abort();
      socket?.close(1000);
    },
  };
};
