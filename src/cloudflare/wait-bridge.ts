// Parks a long poll in the Worker, bridged to the actor over an internal
// hibernatable WebSocket like SSE: the actor sees a tagged socket it can wake
// for, and an idle long-poll client keeps no Durable Object awake. What comes
// over the bridge is JSON text; it is read into the same items, and answered
// by the same rules, as the in-process Waiter (core/actor/waiter.ts).

import type { Wait, WaitResult } from '../core/backend.ts';
import { isAnswered, pollAnswer, type PollItem } from '../core/actor/waiter.ts';
import { HUB_READY, HUB_RESET } from '../protocol/wire.ts';

/** One frame off the bridge, as an item; the actor wrote it, so it is well formed. */
function itemOf(text: string, transport: 'poll' | 'job'): PollItem | null {
  if (transport === 'job') return { kind: 'job', json: text };
  const frame = JSON.parse(text) as { id?: string; type: string; data?: { lastId?: string } };
  if (frame.id !== undefined) return { kind: 'event', id: frame.id, json: text };
  if (frame.type === HUB_READY) return { kind: 'ready', lastId: frame.data!.lastId! };
  if (frame.type === HUB_RESET) return { kind: 'reset', json: text };
  return null;
}

/**
 * Collects frames from the actor until the answer is complete, the wait runs
 * out, or the client goes away; then closes the bridge and answers.
 */
export function collectAnswer(socket: WebSocket, transport: 'poll' | 'job', wait: Wait, limit: number): Promise<WaitResult> {
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
      resolve(transport === 'job' ? jobAnswer(items) : pollAnswer(items, limit));
    };
    const timer = setTimeout(finish, waitMs);
    signal.addEventListener('abort', finish);
    socket.accept();
    socket.addEventListener('message', (event) => {
      const item = itemOf(event.data as string, transport);
      if (item) items.push(item);
      if (isAnswered(items, transport)) finish();
    });
    socket.addEventListener('close', finish);
    socket.addEventListener('error', finish);
  });
}

const jobAnswer = (items: readonly PollItem[]): WaitResult => {
  const job = items.find((item) => item.kind === 'job');
  return { frames: job ? [job.json] : [], lastId: '0', more: false, timedOut: !job };
};
