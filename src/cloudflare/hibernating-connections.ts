// ConnectionSet over a Durable Object's hibernatable WebSockets. Sockets are
// tagged with their transport (and, for job long polls, their job) when
// accepted, so after hibernation, when the object's memory is gone, the
// runtime still tells us which is which.
// https://developers.cloudflare.com/durable-objects/best-practices/websockets/

import type { Connection, ConnectionSet, Transport } from '../core/actor/ports.ts';

/** Transports that receive every event. */
const EVENT_TRANSPORTS = ['websocket', 'sse', 'poll'] as const;
const TRANSPORTS: readonly string[] = [...EVENT_TRANSPORTS, 'job'];

/** Tags are limited to 256 characters; job ids are at most 128. */
const jobTag = (jobId: string) => `job:${jobId}`;

export class HibernatingConnection implements Connection {
  readonly socket: WebSocket;
  readonly transport: Transport;

  constructor(socket: WebSocket, transport: Transport) {
    this.socket = socket;
    this.transport = transport;
  }

  send(frame: string): boolean {
    try {
      this.socket.send(frame);
      return true;
    } catch {
      return false; // closed or closing: the close handler cleans up
    }
  }

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

  /** Accepts a socket with the hibernation API and tags it with its transport. */
  accept(socket: WebSocket, transport: Transport, jobId?: string): HibernatingConnection {
    this.#ctx.acceptWebSocket(socket, jobId === undefined ? [transport] : [transport, jobTag(jobId)]);
    return new HibernatingConnection(socket, transport);
  }

  wrap(socket: WebSocket): HibernatingConnection {
    const transport = this.#ctx.getTags(socket).find((tag) => TRANSPORTS.includes(tag)) ?? 'websocket';
    return new HibernatingConnection(socket, transport as Transport);
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

  count(): number {
    return this.#ctx.getWebSockets().length;
  }

  countBy(transport: Transport): number {
    return this.#ctx.getWebSockets(transport).length;
  }
}
