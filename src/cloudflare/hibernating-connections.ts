// ConnectionSet over a Durable Object's hibernatable WebSockets. Sockets are
// tagged with their transport when accepted, so after hibernation (when the
// object's memory is gone) the runtime still tells us which is which.
// https://developers.cloudflare.com/durable-objects/best-practices/websockets/

import type { Connection, ConnectionSet, StreamTransport } from '../core/actor/ports.ts';

const TRANSPORTS: readonly StreamTransport[] = ['websocket', 'sse'];

export class HibernatingConnection implements Connection {
  readonly socket: WebSocket;
  readonly transport: StreamTransport;

  constructor(socket: WebSocket, transport: StreamTransport) {
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
  accept(socket: WebSocket, transport: StreamTransport): HibernatingConnection {
    this.#ctx.acceptWebSocket(socket, [transport]);
    return new HibernatingConnection(socket, transport);
  }

  wrap(socket: WebSocket): HibernatingConnection {
    const transport = this.#ctx.getTags(socket).includes('sse') ? 'sse' : 'websocket';
    return new HibernatingConnection(socket, transport);
  }

  *list(): Iterable<Connection> {
    for (const transport of TRANSPORTS) {
      for (const socket of this.#ctx.getWebSockets(transport)) yield new HibernatingConnection(socket, transport);
    }
  }

  count(): number {
    return this.#ctx.getWebSockets().length;
  }

  countBy(transport: StreamTransport): number {
    return this.#ctx.getWebSockets(transport).length;
  }
}
