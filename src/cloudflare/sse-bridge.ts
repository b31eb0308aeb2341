// Holds an SSE response in the Worker and feeds it from the actor over an
// internal hibernatable WebSocket. A response held open inside a Durable Object
// would keep it awake (and billed) for as long as the client stays.
//
// A client that goes away is noticed two ways: the request's abort signal
// (which workerd fires only with the enable_request_signal flag) and the
// first failed write (events and heartbeats), whichever comes first. Either
// ends the stream and closes the bridge, and the actor's connection count drops.

import type { SseOptions } from '../core/backend.ts';
import { SseStream } from '../core/sse-stream.ts';

export function bridgeToSse(socket: WebSocket, options: SseOptions, signal: AbortSignal): Response {
  const onAbort = () => stream.end();
  const stream = new SseStream(options, (code) => {
    signal.removeEventListener('abort', onAbort);
    try {
      socket.close(code, 'stream closed');
    } catch {
      // already closed
    }
  });
  signal.addEventListener('abort', onAbort);
  socket.accept();
  // The actor sends each frame in its SSE form (HibernatingConnection).
  socket.addEventListener('message', (event) => stream.write(event.data as string));
  // The actor's close code (4401 expired, 4009 resume, 4503 ended) reaches the reader as hub.closed.
  socket.addEventListener('close', (event) => stream.end(event.code, event.reason));
  socket.addEventListener('error', () => stream.end());
  return new Response(stream.body, { headers: options.headers });
}
