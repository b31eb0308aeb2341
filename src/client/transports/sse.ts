// Server-Sent Events over fetch streaming, so the token travels in a header
// on every runtime (the browser's EventSource cannot send one).

import { HUB_CLOSED, HUB_EXPIRING, HUB_READY, type ClosedInfo, type Frame } from '../frames.ts';
import { endKindOf, endpoint, fetchSession, type Transport } from './transport.ts';

/**
 * Splits an SSE byte stream into the JSON of each `data:` field. A stream
 * that sends nothing at all, not even a heartbeat, for `silenceMs` is stuck
 * somewhere on the way (a proxy, a half-open connection): it ends, and the
 * client reconnects and resumes.
 */
async function* sseData(body: ReadableStream<Uint8Array>, silenceMs: number): AsyncGenerator<string> {
  const reader = body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  for (;;) {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const silence = new Promise<{ done: true; value: undefined }>((resolve) => (timer = setTimeout(() => resolve({ done: true, value: undefined }), silenceMs)));
    const { done, value } = await Promise.race([reader.read(), silence]).finally(() => clearTimeout(timer));
    if (done) {
      void reader.cancel().catch(() => undefined);
      return;
    }
    buffer += value.replace(/\r\n?/g, '\n');
    let end: number;
    while ((end = buffer.indexOf('\n\n')) !== -1) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const data = block
        .split('\n')
        .filter((line) => line.startsWith('data:'))
        .map((line) => line.slice(line.startsWith('data: ') ? 6 : 5))
        .join('\n');
      if (data) yield data;
    }
  }
}

export const sseTransport: Transport = (context) =>
  fetchSession(context, async (signal, opened) => {
    const response = await context.fetch(endpoint(context.url, 'v1/events', { after: context.after }), {
      headers: { Authorization: `Bearer ${context.token}`, Accept: 'text/event-stream' },
      signal,
    });
    if (response.status === 401) return 'unauthorized';
    if (response.status === 403) return { kind: 'stop', error: 'origin_refused' };
    if (!response.ok || !response.body) return 'network';
    // After hub.expiring, a stream that ends is the session ending: reconnect with a fresh token.
    let expiring = false;
    for await (const data of sseData(response.body, context.silenceMs)) {
      const frame = JSON.parse(data) as Frame;
      if (frame.type === HUB_CLOSED) {
        const { code, reason } = frame.data as ClosedInfo;
        return { kind: endKindOf(code), code, reason };
      }
      if (frame.type === HUB_EXPIRING) expiring = true;
      context.onFrame(frame);
      if (frame.type === HUB_READY) opened();
    }
    return expiring ? 'expired' : 'network'; // the stream ended
  });
