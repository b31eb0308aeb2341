// Server-Sent Events framing. Every frame carries one JSON object on one line.

import { oneLineJson } from './json.ts';

export { oneLineJson };

/** An SSE message. `id` is omitted for control frames so Last-Event-ID stays put. */
export function sseFrame(event: string, json: string, id?: string): string {
  const idLine = id === undefined ? '' : `id: ${id}\n`;
  return `${idLine}event: ${event}\ndata: ${oneLineJson(json)}\n\n`;
}

/** A comment line: ignored by clients, keeps idle proxies from closing the stream. */
export const sseHeartbeat = (): string => `: heartbeat ${Date.now()}\n\n`;

/** Sent first: how long EventSource waits before reconnecting by itself. */
export const sseRetry = (ms: number): string => `retry: ${ms}\n\n`;

export const SSE_HEADERS: Record<string, string> = {
  'Content-Type': 'text/event-stream; charset=utf-8',
  'Cache-Control': 'no-cache, no-transform',
  'X-Accel-Buffering': 'no',
};
