// Parks a long poll in the Worker, bridged to the actor over an internal
// hibernatable WebSocket like SSE: the actor sees a tagged socket it can wake
// for, and an idle long-poll client keeps no Durable Object awake. What comes
// over the bridge is JSON text; it is read into the same items, and answered
// by the same rules, as the in-process Waiter (core/actor/waiter.ts).

import type { JobWaitResult, Wait, WaitResult } from '../core/backend.ts';
import { isAnswered, jobAnswer, pollAnswer, type PollItem } from '../core/actor/waiter.ts';
import { HUB_READY, HUB_RESET } from '../protocol/wire.ts';

/** One frame off the bridge, as an item; the actor wrote it, so it is well formed. */
function itemOf(text: string, transport: 'poll' | 'job'): PollItem | null {
  if (transport === 'job') {
    // A job's JSON, or a JobSnapshot's {"snapshot": job | null}: a job has an "id", a snapshot never does.
    const frame = JSON.parse(text) as { id?: string; snapshot?: unknown };
    return frame.id !== undefined ? { kind: 'job', json: text } : { kind: 'snapshot', job: frame.snapshot ? JSON.stringify(frame.snapshot) : null };
  }
  const frame = JSON.parse(text) as { id?: string; type: string; data?: { lastId?: string; more?: boolean } };
  if (frame.id !== undefined) return { kind: 'event', id: frame.id, json: text };
  if (frame.type === HUB_READY) return { kind: 'ready', lastId: frame.data!.lastId!, more: frame.data!.more };
  if (frame.type === HUB_RESET) return { kind: 'reset', json: text };
  return null;
}

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
      const item = itemOf(event.data as string, transport);
      if (item) items.push(item);
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

