// Server-Sent Events framing. Every frame carries one JSON object on one line.

/**
 * JSON.stringify escapes CR and LF inside strings but leaves U+2028 and U+2029
 * raw. Neither ends an SSE line, but some JavaScript-era parsers and proxies
 * treat them as line breaks; escaping them keeps every frame one line anywhere.
 */
export function oneLineJson(text: string): string {
  return text.replace(/[\u2028\u2029]/g, (c) => (c === '\u2028' ? '\\u2028' : '\\u2029'));
}

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
