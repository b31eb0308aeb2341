// Holds a client's WebSocket in the Worker and relays it, frame for frame, to
// the actor's internal hibernatable WebSocket, as the SSE bridge does for SSE.
//
// Handing the actor's socket straight to the client would be one hop shorter,
// but workerd releases the TCP connection of a hibernatable socket the actor
// closes only when the object next hibernates: a kick reached a bare client
// ~10 s late. A close on the Worker's own socket completes at once, and the
// actor's socket stays hibernatable, so an idle client still keeps no Durable
// Object awake. The Worker is billed for CPU, not for the time it holds a socket.

/** A code `close()` may send: 1005, 1006 and 1015 describe a close, they are never sent. */
const sendable = (code: number, otherwise: number) =>
  code === 1000 || (code >= 1001 && code <= 1014 && code !== 1005 && code !== 1006) || (code >= 3000 && code <= 4999) ? code : otherwise;

function closeQuietly(socket: WebSocket, code: number, reason: string): void {
  try {
    socket.close(code, reason);
  } catch {
    // already closed
  }
}

/** Relays between `actor` (the actor's end) and a new pair whose client end is returned. */
export function bridgeWebSocket(actor: WebSocket): WebSocket {
  const [client, server] = Object.values(new WebSocketPair()) as [WebSocket, WebSocket];
  actor.accept();
  server.accept();
  // Binary frames cross as they came (the actor refuses them with binary_frame), not as Blobs.
  actor.binaryType = server.binaryType = 'arraybuffer';
  actor.addEventListener('message', (event) => {
    try {
      server.send(event.data);
    } catch {
      closeQuietly(actor, 1000, 'client gone');
    }
  });
  server.addEventListener('message', (event) => {
    try {
      actor.send(event.data);
    } catch {
      closeQuietly(server, 1011, 'actor gone');
    }
  });
  // The actor's code (4401, 4009, 4503, 1008, …) and reason reach the client as they are.
  actor.addEventListener('close', (event) => closeQuietly(server, sendable(event.code, 1011), event.reason));
  actor.addEventListener('error', () => closeQuietly(server, 1011, 'actor gone'));
  server.addEventListener('close', (event) => closeQuietly(actor, sendable(event.code, 1000), event.reason));
  server.addEventListener('error', () => closeQuietly(actor, 1000, 'client gone'));
  return client;
}
