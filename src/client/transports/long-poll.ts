// Long polling: works through anything that passes plain HTTP requests.

import { HUB_READY, type Frame } from '../frames.ts';
import { endpoint, type Transport } from './transport.ts';

/** Seconds each poll may park on the server (its cap is 30). */
const WAIT_SECONDS = 25;

interface PollAnswer {
  events: Frame[];
  lastId: string;
  more: boolean;
}

export const longPollTransport: Transport = (context) => {
  const controller = new AbortController();
  let closedByClient = false;
  let opened = false;

  (async () => {
    let after = context.after;
    let kind: 'unauthorized' | 'network' = 'network';
    try {
      for (;;) {
        const wait = after === undefined ? '0' : String(WAIT_SECONDS);
        const response = await context.fetch(endpoint(context.url, 'v1/poll', { after, wait }), {
          headers: { Authorization: `Bearer ${context.token}` },
          signal: controller.signal,
        });
        if (response.status === 401) {
          kind = 'unauthorized';
          break;
        }
        if (!response.ok) break;
        const answer = (await response.json()) as PollAnswer;
        for (const frame of answer.events) context.onFrame(frame);
        if (!opened) {
          opened = true;
          context.onFrame({ type: HUB_READY, data: { lastId: answer.lastId } });
          context.onOpen();
        }
        after = answer.lastId;
      }
    } catch {
      // network failure or abort
    }
    if (!closedByClient) context.onEnd({ kind, opened });
  })();

  return {
    close() {
      closedByClient = true;
      controller.abort();
    },
  };
};
