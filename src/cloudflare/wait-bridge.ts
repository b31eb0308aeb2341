// Parks a long poll in the Worker, bridged to the actor over an internal
// hibernatable WebSocket like SSE: the actor sees a tagged socket it can wake
// for, and an idle long-poll client keeps no Durable Object awake.

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
