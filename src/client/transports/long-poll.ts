// Long polling: works through anything that passes plain HTTP requests.

import { CLOSE_ENDED, HUB_READY, type Frame } from '../frames.ts';
import { endpoint, fetchSession, type Transport } from './transport.ts';

/** Seconds each poll may park on the server (its cap is 30). */
const WAIT_SECONDS = 25;
/** A poll still unanswered this long after its wait is stuck on the way: end the session and reconnect. */
const STALL_MS = (WAIT_SECONDS + 15) * 1000;

function stalled(): { promise: Promise<never>; clear(): void } {
  let timer: ReturnType<typeof setTimeout>;
  const promise = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error('stalled')), STALL_MS)));
  return { promise, clear: () => clearTimeout(timer) };
}

interface PollAnswer {
  events: Frame[];
  lastId: string;
  more: boolean;
}

export const longPollTransport: Transport = (context) =>
  fetchSession(context, async (signal, opened) => {
    let after = context.after;
    let first = true;
    for (;;) {
      const wait = after === undefined ? '0' : String(WAIT_SECONDS);
      const request = (async () => {
        const response = await context.fetch(endpoint(context.url, 'v1/poll', { after, wait }), {
          headers: { Authorization: `Bearer ${context.token}` },
          signal,
        });
        if (response.status === 401) return 'unauthorized';
        if (response.status === 403) return { kind: 'stop' as const, error: 'origin_refused' as const };
        // 410 session_ended: the service ended the session while the poll waited, as 4503 does a stream's.
        if (response.status === 410) return { kind: 'stop' as const, code: CLOSE_ENDED, reason: 'ended by the service' };
        if (!response.ok) return 'network';
        return (await response.json()) as PollAnswer;
      })();
      // An abort does not always end a request stuck in a proxy; the race does.
      const watchdog = stalled();
      const answer = await Promise.race([request, watchdog.promise]).finally(watchdog.clear);
      if (typeof answer === 'string' || !('events' in answer)) return answer;
      for (const frame of answer.events) context.onFrame(frame);
      if (first) context.onFrame({ type: HUB_READY, data: { lastId: answer.lastId } });
      first = false;
      opened();
      after = answer.lastId;
    }
  });
