// Parks a long poll in the Worker, bridged to the actor over an internal
// hibernatable WebSocket like SSE: the actor sees a tagged socket it can wake
// for, and an idle long-poll client keeps no Durable Object awake.

import { HUB_READY } from '../protocol/wire.ts';

/**
 * Collects frames from the actor until `isDone` says so, the wait runs out, or
 * the client goes away; then closes the bridge and resolves with the frames.
 */
export function collectFrames(
  socket: WebSocket,
  waitMs: number,
  signal: AbortSignal,
  isDone: (frames: readonly string[], latest: string) => boolean,
): Promise<string[]> {
  return new Promise((resolve) => {
    const frames: string[] = [];
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
      resolve(frames);
    };
    const timer = setTimeout(finish, waitMs);
    signal.addEventListener('abort', finish);
    socket.accept();
    socket.addEventListener('message', (event) => {
      const frame = event.data as string;
      frames.push(frame);
      if (isDone(frames, frame)) finish();
    });
    socket.addEventListener('close', finish);
    socket.addEventListener('error', finish);
  });
}

// What the actor writes over the bridge is JSON text (HibernatingConnection
// sends the JSON form to poll sockets); the Worker recognizes an answer here.

const READY_PREFIX = `{"type":"${HUB_READY}"`;

/** Notification frames begin with their id; control frames with their type. */
const isNotificationFrame = (frame: string): boolean => frame.startsWith('{"id":');

/** For event long polls: done once the replay has ended (hub.ready) and at least one notification has arrived. */
export function createEventsArrived(): (frames: readonly string[], latest: string) => boolean {
  let ready = false;
  return (frames, latest) => {
    if (latest.startsWith(READY_PREFIX)) ready = true;
    return ready && frames.some(isNotificationFrame);
  };
}

/** Drops the hub.ready frame, which a poll answer does not carry. */
export const withoutReady = (frames: readonly string[]): string[] => frames.filter((f) => !f.startsWith(READY_PREFIX));
