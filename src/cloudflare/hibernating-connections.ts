// ConnectionSet over a Durable Object's hibernatable WebSockets. Sockets are
// tagged with their transport (and, for job long polls, their job) when
// accepted, so after hibernation, when the object's memory is gone, the
// runtime still tells us which is which. A stream's session (its expiry) is
// kept in the socket's attachment, which also survives hibernation.
// https://developers.cloudflare.com/durable-objects/best-practices/websockets/

import { closingFrame, type Outgoing } from '../core/actor/frames.ts';
import { itemOf } from '../core/actor/waiter.ts';
import { encode } from '../core/json.ts';
import {
  EVENT_TRANSPORTS,
  isTransport,
  type Connection,
  type ConnectionSet,
  type Session,
  type Transport,
} from '../core/actor/ports.ts';

/** Tags are limited to 256 characters (and 10 per socket); job ids are at most 128. */
const jobTag = (jobId: string) => `job:${jobId}`;

/** A socket's tags, built in one place: its transport, and its job for a job long poll. */
const tagsFor = (transport: Transport, jobId?: string): string[] => (jobId === undefined ? [transport] : [transport, jobTag(jobId)]);

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

  /**
   * A client's WebSocket carries the JSON form; an SSE bridge the SSE form,
   * which the Worker writes to the stream as is; a long poll's bridge the
   * poll's item (waiter.ts itemOf), which the Worker answers from.
   */
  send(message: Outgoing): boolean {
    const transport = this.transport;
    try {
      this.socket.send(transport === 'websocket' ? message.json : transport === 'sse' ? message.sse : encode(itemOf(message)));
      return true;
    } catch {
      return false; // closed or closing: the close handler cleans up
    }
  }

  /** A client's WebSocket hears why first (hub.closed); an SSE bridge passes the code on to its stream. */
  close(code: number, reason: string): void {
    if (this.transport === 'websocket') this.send(closingFrame(code, reason));
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

  /** Accepts the connection's socket with the hibernation API, tagged so it is found again after hibernation. */
  accept(connection: Connection, jobId?: string): void {
    if (!(connection instanceof HibernatingConnection)) throw new TypeError('A Durable Object accepts only its own sockets.');
    this.#ctx.acceptWebSocket(connection.socket, tagsFor(connection.transport, jobId));
  }

  /** Nothing to forget: the runtime drops a closed socket from getWebSockets() itself. */
  remove(): void {}

  /** An accepted socket as a connection again, its transport read back from its tags. */
  wrap(socket: WebSocket): HibernatingConnection {
    return new HibernatingConnection(socket, this.#ctx.getTags(socket).find(isTransport) ?? 'websocket');
  }

  *list(): Iterable<Connection> {
    for (const transport of EVENT_TRANSPORTS) {
      for (const socket of this.#ctx.getWebSockets(transport)) yield new HibernatingConnection(socket, transport);
    }
  }

  *jobWatchers(jobId: string): Iterable<Connection> {
    for (const socket of this.#ctx.getWebSockets(jobTag(jobId))) yield new HibernatingConnection(socket, 'job');
  }

  receivers(): number {
    let n = 0;
    for (const transport of EVENT_TRANSPORTS) n += this.#ctx.getWebSockets(transport).length;
    return n;
  }

  /** Sockets this side has not closed yet: one closed to make room or end a session no longer counts. */
  count(): number {
    let n = 0;
    for (const socket of this.#ctx.getWebSockets()) if (socket.readyState === WebSocket.OPEN) n++;
    return n;
  }

  countBy(transport: Transport): number {
    return this.#ctx.getWebSockets(transport).length;
  }

  *all(): Iterable<Connection> {
    for (const socket of this.#ctx.getWebSockets()) if (socket.readyState === WebSocket.OPEN) yield this.wrap(socket);
  }
}
