// ConnectionSet over a Durable Object's hibernatable WebSockets. Sockets are
// tagged with their transport (and, for job long polls, their job) when
// accepted, so after hibernation, when the object's memory is gone, the
// runtime still tells us which is which. A stream's session (its expiry) is
// kept in the socket's attachment, which also survives hibernation.
// https://developers.cloudflare.com/durable-objects/best-practices/websockets/

import type { Outgoing } from '../core/actor/frames.ts';
import { isTransport, type Connection, type ConnectionSet, type Session, type Transport } from '../core/actor/ports.ts';
import { FRAMES } from '../core/transports/index.ts';

interface Attachment {
  session?: Session;
}

export class HibernatingConnection implements Connection {
  readonly socket: WebSocket;
  readonly transport: Transport;

  constructor(socket: WebSocket, transport: Transport) {
    this.socket = socket;
    this.transport = transport;
  }

  get identity(): object {
    return this.socket;
  }

  /** The attachment as read once by this wrapper (a wrapper lives for one call of the actor). */
  #attachment: Attachment | null | undefined;

  get session(): Session | undefined {
    if (this.#attachment === undefined) this.#attachment = this.socket.deserializeAttachment() as Attachment | null;
    return this.#attachment?.session;
  }

  set session(session: Session | undefined) {
    this.#attachment = { session };
    this.socket.serializeAttachment(this.#attachment);
  }

  /** Each message crosses as its transport's frame (transports/index.ts), which the Worker's sink writes as it is. */
  send(message: Outgoing): boolean {
    try {
      this.socket.send(FRAMES[this.transport](message));
      return true;
    } catch {
      return false; // closed or closing: the close handler cleans up
    }
  }

  /** The code and reason reach the Worker's sink, which tells its client why (hub.closed). */
  close(code: number, reason: string): void {
    try {
      this.socket.close(code, reason);
    } catch {
      // already closed
    }
  }
}

export class HibernatingConnectionSet implements ConnectionSet {
  readonly #ctx: DurableObjectState;

  constructor(ctx: DurableObjectState) {
    this.#ctx = ctx;
  }

  /** Accepts the connection's socket with the hibernation API, tagged (tagsFor) so it is found again after hibernation. */
  accept(connection: Connection, tags: readonly string[]): void {
    if (!(connection instanceof HibernatingConnection)) throw new TypeError('A Durable Object accepts only its own sockets.');
    this.#ctx.acceptWebSocket(connection.socket, [...tags]);
  }

  /** Nothing to forget: the runtime drops a closed socket from getWebSockets() itself. */
  remove(): void {}

  /** An accepted socket as a connection again, its transport read back from its tags. */
  wrap(socket: WebSocket): HibernatingConnection {
    return new HibernatingConnection(socket, this.#ctx.getTags(socket).find(isTransport) ?? 'websocket');
  }

  /** Sockets this side has not closed yet: one closed to make room or end a session no longer counts. */
  *tagged(tag?: string): Iterable<Connection> {
    for (const socket of this.#ctx.getWebSockets(tag)) if (socket.readyState === WebSocket.OPEN) yield this.wrap(socket);
  }

  count(tag?: string): number {
    let n = 0;
    for (const socket of this.#ctx.getWebSockets(tag)) if (socket.readyState === WebSocket.OPEN) n++;
    return n;
  }
}
