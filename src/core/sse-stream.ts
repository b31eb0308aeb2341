// One SSE response stream, the same on every host: the retry hint first, then
// the frames it is given (already SSE text), a heartbeat comment every
// interval, and an end after the stream's lifetime when there is one. A reader
// more than SLOW_CONSUMER_BYTES behind, or gone (the first failed write), ends
// it: EventSource resumes from Last-Event-ID, so nothing is lost. A stream the
// server ends for a reason (a session that expired, a replay cut short, a kick)
// says so first in a `hub.closed` frame with the close code a WebSocket gets.

import { CloseCode, controlFrame, HUB_CLOSED, SLOW_CONSUMER_BYTES } from '../protocol/wire.ts';
import { sseFrame, sseHeartbeat, sseRetry } from './sse.ts';

export interface SseStreamOptions {
  retryMs: number;
  heartbeatMs: number;
  /** End the stream after this long; 0 for never. */
  maxStreamMs: number;
}

/** When a new stream is probed with its first heartbeat. */
const PROBE_MS = 1000;

export class SseStream {
  /** The response body. */
  readonly body: ReadableStream<Uint8Array>;
  readonly #writer: WritableStreamDefaultWriter<Uint8Array>;
  readonly #encoder = new TextEncoder();
  readonly #onEnd: (code: number) => void;
  readonly #timers: Array<ReturnType<typeof setTimeout>> = [];
  /** Bytes written that the reader has not taken yet. */
  #buffered = 0;
  #ended = false;

  /** `onEnd` runs once, with the close code that says why (1000, or 4008 for a slow reader). */
  constructor(options: SseStreamOptions, onEnd: (code: number) => void) {
    const { readable, writable } = new TransformStream<Uint8Array, Uint8Array>();
    this.body = readable;
    this.#writer = writable.getWriter();
    this.#onEnd = onEnd;
    this.write(sseRetry(options.retryMs));
    // One early heartbeat probes a new stream: a client that left at once (a
    // flapping network) fails this write and frees its place within a second,
    // not at the first regular heartbeat.
    this.#timers.push(setTimeout(() => this.write(sseHeartbeat()), Math.min(PROBE_MS, options.heartbeatMs)));
    this.#timers.push(setInterval(() => this.write(sseHeartbeat()), options.heartbeatMs));
    if (options.maxStreamMs > 0) this.#timers.push(setTimeout(() => this.end(), options.maxStreamMs));
  }

  get ended(): boolean {
    return this.#ended;
  }

  /** Writes SSE text; false once the stream has ended. */
  write(text: string): boolean {
    if (this.#ended) return false;
    const bytes = this.#encoder.encode(text);
    this.#buffered += bytes.length;
    if (this.#buffered > SLOW_CONSUMER_BYTES) {
      this.end(CloseCode.slowConsumer);
      return false;
    }
    this.#writer.write(bytes).then(
      () => (this.#buffered -= bytes.length),
      () => this.end(),
    );
    return true;
  }

  /** Ends the stream; a code other than 1000 (or 4008: the reader is behind) is told to the reader first. Idempotent. */
  end(code: number = CloseCode.normal, reason = ''): void {
    if (this.#ended) return;
    if (code !== CloseCode.normal && code !== CloseCode.slowConsumer) this.write(sseFrame(HUB_CLOSED, controlFrame(HUB_CLOSED, { code, reason })));
    this.#ended = true;
    for (const timer of this.#timers) clearTimeout(timer);
    this.#writer.close().catch(() => {});
    this.#onEnd(code);
  }
}
