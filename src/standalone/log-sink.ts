// The standalone hosts' log writer: lines are gathered and written once per
// turn of the event loop, so a busy host makes one write for many publishes
// instead of one each. Errors are written at once, after anything pending.
// A process killed outright loses at most the lines of its last turn.

import type { LogSink } from '../core/observability/log.ts';

/** Lines gathered before a write regardless of the turn. */
const MAX_PENDING_LINES = 512;

const schedule: (fn: () => void) => void =
  typeof globalThis.setImmediate === 'function' ? (fn) => void setImmediate(fn) : (fn) => void setTimeout(fn, 0);

export interface BatchedLogSink {
  sink: LogSink;
  /** Writes whatever is pending now (on shutdown). */
  flush(): void;
}

export function createBatchedLogSink(
  write: (text: string) => void = (text) => console.log(text),
  writeError: (text: string) => void = (text) => console.error(text),
): BatchedLogSink {
  let pending: string[] = [];
  let scheduled = false;
  const flush = () => {
    scheduled = false;
    if (pending.length === 0) return;
    const lines = pending;
    pending = [];
    write(lines.join('\n'));
  };
  return {
    flush,
    sink(line, level) {
      if (level === 'error') {
        flush();
        writeError(line);
        return;
      }
      pending.push(line);
      if (pending.length >= MAX_PENDING_LINES) flush();
      else if (!scheduled) {
        scheduled = true;
        schedule(flush);
      }
    },
  };
}
