// GET /v1/connect: a WebSocket. The sink holds the runtime's socket (the host's
// `upgrade`), registered with the actor the moment the upgrade is accepted, as
// a Durable Object does: frames sent before the runtime opens the socket wait
// in order and are flushed on open.

import { Hono } from 'hono';
import { authenticateStream, checkOrigin } from '../auth/authenticate.ts';
import type { HubContext, HubEnv } from '../context.ts';
import { HubError } from '../errors.ts';
import { closingFrame, type Outgoing } from '../actor/frames.ts';
import type { ServerSocket, SocketHandlers } from '../backend.ts';
import { CloseCode, SLOW_CONSUMER_BYTES } from '../../protocol/wire.ts';
import { connect, LinkedSink } from './sink.ts';
import { errors, POLL_DESCRIPTIONS, queryParameters, STREAM, type JsonSchema } from '../openapi-schemas.ts';
import { pollQuery } from '../schemas.ts';
import { resumePoint } from './resume-point.ts';

/** A WebSocket carries each message's JSON text. */
export const frame = (message: Outgoing): string => message.json;

/** A socket the runtime never opened (the client left mid-upgrade) is dropped after this. */
const OPEN_TIMEOUT_MS = 10_000;

/** A code `close()` may send: 1005, 1006 and 1015 describe a close, they are never sent. */
const sendable = (code: number) =>
  code === 1000 || (code >= 1001 && code <= 1014 && code !== 1005 && code !== 1006) || (code >= 3000 && code <= 4999) ? code : 1011;

export class WebSocketSink extends LinkedSink implements SocketHandlers {
  // A getter, not a field: an idle socket keeps as few fields as it can.
  get transport(): 'websocket' {
    return 'websocket';
  }

  #socket: ServerSocket | null = null;
  /** Until the runtime opens the socket: the frames written, the timer that drops a socket never opened, and the close, if it ended. */
  #pending: { frames: string[]; timer: ReturnType<typeof setTimeout>; close?: { code: number; reason: string } } | null = {
    frames: [],
    timer: setTimeout(() => this.onClose(), OPEN_TIMEOUT_MS),
  };

  /** The runtime opened the socket: flush what waited, and hand it these handlers. */
  open(socket: ServerSocket): SocketHandlers {
    const pending = this.#pending;
    this.#pending = null;
    this.#socket = socket;
    if (pending) {
      clearTimeout(pending.timer);
      for (const text of pending.frames) socket.send(text);
    }
    const close = pending?.close ?? (this.left ? { code: CloseCode.normal, reason: '' } : null);
    if (close) socket.close(sendable(close.code), close.reason);
    return this;
  }

  onMessage(message: string | ArrayBuffer): void {
    // A socket that ended hears nothing more (Deno reads a closing socket's frames for a moment).
    this.toActor(message);
  }

  /** The socket is gone (or never opened). */
  onClose(): void {
    if (this.#pending) clearTimeout(this.#pending.timer);
    this.#pending = null;
    this.leave();
  }

  write(text: string): boolean {
    if (this.left) return false;
    if (this.#pending) {
      this.#pending.frames.push(text);
      return true;
    }
    if (this.#socket!.bufferedAmount() > SLOW_CONSUMER_BYTES) {
      this.end(CloseCode.slowConsumer, 'slow consumer');
      return false;
    }
    return this.#send(text);
  }

  /** Says why first (hub.closed), then closes: at once, or once the runtime opens the socket. */
  end(code: number, reason: string): void {
    if (this.left) return;
    const text = closingFrame(code, reason).json;
    if (this.#pending) {
      this.#pending.frames.push(text);
      this.#pending.close = { code, reason };
      clearTimeout(this.#pending.timer);
    } else if (this.#socket) {
      this.#send(text);
      try {
        this.#socket.close(sendable(code), reason);
      } catch {
        // already closed
      }
    }
    this.leave();
  }

  #send(text: string): boolean {
    try {
      this.#socket!.send(text);
      return true;
    } catch {
      return false;
    }
  }
}

/** GET /v1/connect: a WebSocket, opened by the user's actor after its replay. */
async function connectWebSocket(c: HubContext) {
  if (c.req.header('Upgrade')?.toLowerCase() !== 'websocket') {
    throw new HubError('upgrade_required', 'GET /v1/connect expects a WebSocket upgrade.', {
      headers: { Upgrade: 'websocket' },
    });
  }
  checkOrigin(c);
  const { credential, redeem, protocol } = await authenticateStream(c, 'websocket');
  const after = resumePoint(c);
  const sink = new WebSocketSink();
  // Opened now, in this turn, like a Durable Object's accept; frames wait for the runtime's socket.
  await connect(c, credential.userId, sink, { after, redeem, credential });
  return c.var.backend.upgrade(c.req.raw, protocol, opener(sink));
}

/** Made outside the route: what the runtime keeps until the socket opens is the sink, not the request's context. */
const opener = (sink: WebSocketSink) => (socket: ServerSocket) => sink.open(socket);

export const routes = new Hono<HubEnv>().get('/v1/connect', connectWebSocket);

/** Its description in /openapi.json. */
export const paths: Record<string, Record<string, JsonSchema>> = {
  '/v1/connect': {
  get: {
    summary: 'Open a WebSocket: replay after the resume point, hub.ready, then live events.',
    security: STREAM,
    parameters: queryParameters(pollQuery.pick({ after: true }), POLL_DESCRIPTIONS),
    responses: { 101: { description: 'Switching protocols.' }, ...errors(400, 401, 403, 426, 429) },
  },
},
};
