// A small SSE frame parser for tests that read raw response bodies.

export interface SseFrame {
  id?: string;
  event?: string;
  data?: string;
  retry?: string;
  comment?: boolean;
}

/** Feeds text chunks; calls `onFrame` for every complete frame. */
export function createSseParser(onFrame: (frame: SseFrame) => void): (chunk: string) => void {
  let buffer = '';
  return (chunk) => {
    buffer += chunk;
    let end: number;
    while ((end = buffer.indexOf('\n\n')) !== -1) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const frame: SseFrame = {};
      for (const line of block.split('\n')) {
        if (line.startsWith(':')) frame.comment = true;
        const colon = line.indexOf(': ');
        if (colon > 0) (frame as Record<string, string>)[line.slice(0, colon)] = line.slice(colon + 2);
      }
      onFrame(frame);
    }
  };
}
