// The Worker holds every client connection (a WebSocket, an SSE stream, a
// long poll) in its transport's sink, fed from the actor over an internal
// hibernatable WebSocket: the actor sees a tagged socket it can wake for, and
// an idle client keeps no Durable Object awake. The Worker is billed for CPU,
// not for the time it holds a connection.
//
// Handing the actor's socket straight to a WebSocket client would be one hop
// shorter, but workerd releases the TCP connection of a hibernatable socket
// the actor closes only when the object next hibernates: a kick reached a bare
// client ~10 s late. A close on the Worker's own socket completes at once.

import type { ServerSocket, SocketHandlers, WebSocketUpgrader } from '../core/backend.ts';
import type { ActorLink, Sink } from '../core/transports/sink.ts';

function closeQuietly(socket: WebSocket, code: number, reason: string): void {
  try {
    socket.close(code, reason);
  } catch {
    // already closed
  }
}

/** Feeds `sink` from the actor's socket: each message is one frame, the actor's close code ends the sink. */
export function bridge(actor: WebSocket, sink: Sink): ActorLink {
  actor.accept();
  // A client's binary frames cross as they came (the actor refuses them with binary_frame), not as Blobs.
  actor.binaryType = 'arraybuffer';
  actor.addEventListener('message', (event) => {
    if (!sink.write(event.data as string)) closeQuietly(actor, 1000, 'client gone');
  });
  // The actor's code (4401, 4009, 4503, 1008, …) and reason reach the client as they are; a lost actor is 1011.
  actor.addEventListener('close', (event) => (event.code === 1005 || event.code === 1006 ? sink.end(1011, 'actor gone') : sink.end(event.code, event.reason)));
  actor.addEventListener('error', () => sink.end(1011, 'actor gone'));
  return {
    receive(message) {
      try {
        actor.send(message);
      } catch {
        sink.end(1011, 'actor gone');
      }
    },
    leave: () => closeQuietly(actor, 1000, 'client gone'),
  };
}

/** The Worker's end of a new WebSocketPair as the host's ServerSocket (workerd does not report buffered bytes). */
class PairSocket implements ServerSocket {
  readonly #socket: WebSocket;

  constructor(socket: WebSocket) {
    this.#socket = socket;
  }

  send(text: string): void {
    this.#socket.send(text);
  }

  bufferedAmount(): number {
    return 0;
  }

  close(code: number, reason: string): void {
    this.#socket.close(code, reason);
  }
}

/** A client's WebSocket upgrade, answered by the Worker with a pair whose server end is open at once. */
export const upgradeWebSocket: WebSocketUpgrader = (_request, protocol, onOpen) => {
  const [client, server] = Object.values(new WebSocketPair()) as [WebSocket, WebSocket];
  server.accept();
  server.binaryType = 'arraybuffer';
  const handlers: SocketHandlers = onOpen(new PairSocket(server));
  server.addEventListener('message', (event) => handlers.onMessage(event.data as string | ArrayBuffer));
  server.addEventListener('close', () => handlers.onClose());
  server.addEventListener('error', () => handlers.onClose());
  const headers = protocol ? { 'Sec-WebSocket-Protocol': protocol } : undefined;
  return new Response(null, { status: 101, webSocket: client, headers });
};
