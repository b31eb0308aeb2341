// Holds an SSE response in the Worker and feeds it from the actor over an
// internal hibernatable WebSocket. A response held open inside a Durable Object
// would keep it awake (and billed) for as long as the client stays.
//
// A client that goes away is noticed two ways: the request's abort signal
// (which workerd fires only with the enable_request_signal flag) and the
// first failed write (events and heartbeats), whichever comes first. Either
// closes the bridge, and the actor's connection count drops.

import { CloseCode, SLOW_CONSUMER_BYTES } from '../protocol/wire.ts';
import { sseHeartbeat, sseRetry } from '../core/sse.ts';
import type { SseOptions } from '../core/backend.ts';


export function bridgeToSse(socket: WebSocket, options: SseOptions, signal: AbortSignal): Response {
  const { readable, writable } = new TransformStream<Uint8Array, Uint8Array>();
  const writer = writable.getWriter();
  const encoder = new TextEncoder();
  let heartbeat: ReturnType<typeof setInterval> | undefined;
  let lifetime: ReturnType<typeof setTimeout> | undefined;
  let buffered = 0;
  let closed = false;

  const close = (code: number = CloseCode.normal) => {
    if (closed) return;
    closed = true;
    clearInterval(heartbeat);
    clearTimeout(lifetime);
    signal.removeEventListener('abort', onAbort);
    try {
      socket.close(code, 'stream closed');
    } catch {
      // already closed
    }
    writer.close().catch(() => {});
  };
  const onAbort = () => close();

  const write = (text: string) => {
    if (closed) return;
    const bytes = encoder.encode(text);
    buffered += bytes.length;
    if (buffered > SLOW_CONSUMER_BYTES) {
      // A slow reader: end the stream; EventSource resumes from Last-Event-ID.
      close(CloseCode.slowConsumer);
      return;
    }
    writer.write(bytes).then(
      () => (buffered -= bytes.length),
      () => close(),
    );
  };

  signal.addEventListener('abort', onAbort);
  socket.accept();
  socket.addEventListener('message', (event) => write(event.data as string));
  socket.addEventListener('close', () => close());
  socket.addEventListener('error', () => close());
  write(sseRetry(options.retryMs));
  heartbeat = setInterval(() => write(sseHeartbeat()), options.heartbeatMs);
  if (options.maxStreamMs > 0) lifetime = setTimeout(() => close(), options.maxStreamMs);

  return new Response(readable, { headers: options.headers });
}
