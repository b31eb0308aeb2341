// Long polling: works through anything that passes plain HTTP requests.

import { HUB_READY, type Frame } from '../frames.ts';
import { endpoint, fetchSession, type Transport } from './transport.ts';

/** Seconds each poll may park on the server (its cap is 30). */
const WAIT_SECONDS = 25;

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
      const response = await context.fetch(endpoint(context.url, 'v1/poll', { after, wait }), {
        headers: { Authorization: `Bearer ${context.token}` },
        signal,
      });
      if (response.status === 401) return 'unauthorized';
      if (!response.ok) return 'network';
      const answer = (await response.json()) as PollAnswer;
      for (const frame of answer.events) context.onFrame(frame);
      if (first) context.onFrame({ type: HUB_READY, data: { lastId: answer.lastId } });
      first = false;
      opened();
      after = answer.lastId;
    }
  });
