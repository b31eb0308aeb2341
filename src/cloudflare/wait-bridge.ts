// Parks a long poll in the Worker, bridged to the actor over an internal
// hibernatable WebSocket like SSE: the actor sees a tagged socket it can wake
// for, and an idle long-poll client keeps no Durable Object awake. The actor
// sends each message as the item itemOf() makes of it (HibernatingConnection),
// answered here by the same rules as the in-process Waiter (core/actor/waiter.ts).

import type { JobWaitResult, Wait, WaitResult } from '../core/backend.ts';
import { isAnswered, jobAnswer, pollAnswer, type PollItem } from '../core/actor/waiter.ts';
import { decode } from '../core/json.ts';

/**
 * Collects frames from the actor until the answer is complete, the wait runs
 * out, or the client goes away; then closes the bridge and answers.
 */
export const collectPollAnswer = (socket: WebSocket, wait: Wait, limit: number): Promise<WaitResult> =>
  collect(socket, 'poll', wait).then((items) => pollAnswer(items, limit));

export const collectJobAnswer = (socket: WebSocket, wait: Wait): Promise<JobWaitResult> =>
  collect(socket, 'job', wait).then(jobAnswer);

function collect(socket: WebSocket, transport: 'poll' | 'job', wait: Wait): Promise<PollItem[]> {
  const { waitMs, signal } = wait;
  return new Promise((resolve) => {
    const items: PollItem[] = [];
    let settled = false;
    const finish = () => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      signal.removeEventListener('abort', finish);
      try {
        socket.close(1000, 'done');
      } catch {
        // already closed
      }
      resolve(items);
    };
    const timer = setTimeout(finish, waitMs);
    signal.addEventListener('abort', finish);
    socket.accept();
    socket.addEventListener('message', (event) => {
      items.push(decode<PollItem>(event.data as string));
      if (isAnswered(items, transport)) finish();
    });
    socket.addEventListener('close', (event) => {
      // The actor ended the poll with a code of its own (4503: the service ended the session).
      if (!settled && event.code >= 4000) items.push({ kind: 'closed', code: event.code, reason: event.reason });
      finish();
    });
    socket.addEventListener('error', finish);
  });
}

