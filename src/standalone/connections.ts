// The standalone host's connections: a runtime's WebSocket, an SSE response
// stream, and a parked long poll, each behind the actor's Connection port.

import { closingFrame, type Outgoing } from '../core/actor/frames.ts';
import type { Connection, Session, StreamTransport } from '../core/actor/ports.ts';
import type { HubObserver } from '../core/observability/observer.ts';
import { log } from '../core/observability/log.ts';
import { SseStream, type SseStreamOptions } from '../core/sse-stream.ts';
import { CloseCode, SLOW_CONSUMER_BYTES } from '../protocol/wire.ts';

/** What each runtime's WebSocket server gives us for one accepted socket. */
export interface ServerSocket {
  send(text: string): void;
  /** Bytes queued for this socket that the client has not taken yet. */
  bufferedAmount(): number;
  close(code: number, reason: string): void;
}

/** What the host does with frames and the close of an accepted socket. */
export interface SocketHandlers {
  onMessage(message: string | ArrayBuffer): void;
  onClose(): void;
}

/**
 * Upgrades a request with the runtime's own WebSocket server. `onOpen` runs
 * once the socket is open and returns its handlers.
 */
export type WebSocketUpgrader = (
  request: Request,
  protocol: string | undefined,
  onOpen: (socket: ServerSocket) => SocketHandlers,
) => Response;

/** The actor's side of a socket: what its frames go to, and what it forgets once the socket is gone. */
export interface SocketOwner {
  receive(connection: Connection, message: string | ArrayBuffer): Promise<void>;
  closed(connection: Connection): void;
}

/**
 * A WebSocket registered with its actor the moment the upgrade is accepted,
 * as a Durable Object does: frames sent before the runtime opens the socket
 * are buffered and flushed in order on open. It is its socket's handlers too,
 * and reports its connect and disconnect: an idle socket keeps this object
 * and nothing else of its own.
 */
export class SocketConnection implements Connection, SocketHandlers {
  readonly transport: StreamTransport = 'websocket';
  readonly identity = this;
  session: Session | undefined;
  #socket: ServerSocket | null = null;
  #buffer: Outgoing[] | null = [];
  /** Closed by the actor before the runtime opened the socket: close it once the buffer is flushed. */
  #closeOnOpen: { code: number; reason: string } | null = null;
  #closed = false;
  /** Forgets a socket the runtime never opens (the client left mid-upgrade). */
  #unopened: ReturnType<typeof setTimeout> | undefined;
  readonly #owner: SocketOwner;
  readonly #userId: string;
  readonly #observer: HubObserver;
  readonly #since = Date.now();

  constructor(owner: SocketOwner, userId: string, observer: HubObserver, openTimeoutMs: number) {
    this.#owner = owner;
    this.#userId = userId;
    this.#observer = observer;
    this.#unopened = setTimeout(() => this.closed(), openTimeoutMs);
    observer.connected('websocket', userId);
  }

  open(socket: ServerSocket): SocketHandlers {
    clearTimeout(this.#unopened);
    this.#unopened = undefined;
    this.#socket = socket;
    for (const message of this.#buffer ?? []) socket.send(message.json);
    this.#buffer = null;
    if (this.#closeOnOpen) socket.close(this.#closeOnOpen.code, this.#closeOnOpen.reason);
    return this;
  }

  onMessage(message: string | ArrayBuffer): void {
    // A connection the actor closed hears nothing more (Deno reads a closing socket's frames for a moment).
    if (this.#closed) return;
    this.#owner.receive(this, message).catch((err: unknown) => log.error('frame_failed', { error: String(err) }));
  }

  onClose(): void {
    this.closed();
  }

  send(message: Outgoing): boolean {
    if (this.#closed) return false;
    if (this.#buffer) {
      this.#buffer.push(message);
      return true;
    }
    const socket = this.#socket!;
    if (socket.bufferedAmount() > SLOW_CONSUMER_BYTES) {
      this.close(CloseCode.slowConsumer, 'slow consumer');
      return false;
    }
    return this.#send(message.json);
  }

  #send(text: string): boolean {
    try {
      this.#socket!.send(text);
      return true;
    } catch {
      return false;
    }
  }

  /** Says why first (hub.closed), then closes: at once, or once the runtime opens the socket. */
  close(code: number, reason: string): void {
    if (this.#closed) return;
    const frame = closingFrame(code, reason);
    if (this.#buffer) {
      this.#buffer.push(frame);
      this.#closeOnOpen = { code, reason };
    } else {
      this.#send(frame.json);
      try {
        this.#socket!.close(code, reason);
      } catch {
        // already closed
      }
    }
    this.#forget();
  }

  /** The socket is gone (or never opened): forget it. Idempotent. */
  closed(): void {
    this.#buffer = null;
    this.#forget();
  }

  #forget(): void {
    if (this.#closed) return;
    this.#closed = true;
    clearTimeout(this.#unopened);
    this.#unopened = undefined;
    this.#owner.closed(this);
    this.#observer.disconnected('websocket', this.#userId, Date.now() - this.#since);
  }
}


/** An SSE response stream (core/sse-stream.ts) as one of the actor's connections. */
export class StreamConnection implements Connection {
  readonly transport: StreamTransport = 'sse';
  readonly identity = this;
  session: Session | undefined;
  readonly #stream: SseStream;

  constructor(options: SseStreamOptions, onClose: () => void) {
    this.#stream = new SseStream(options, onClose);
  }

  get body(): ReadableStream<Uint8Array> {
    return this.#stream.body;
  }

  send(message: Outgoing): boolean {
    return this.#stream.write(message.sse);
  }

  close(code?: number, reason?: string): void {
    this.#stream.end(code, reason);
  }
}
