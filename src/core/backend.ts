// What the HTTP layer needs from a host: a way to reach one user's actor.
// The Cloudflare host reaches a Durable Object; standalone hosts an in-process actor.

import type { PublishInput, PublishResult } from './actor/hub.ts';

export interface StreamOpen {
  userId: string;
  /** Resume point: deliver retained events after this id first. */
  after: number | undefined;
  /** A ticket to spend atomically with the open; refused if spent before. */
  redeem?: { nonce: string; exp: number };
  /** The subprotocol to echo, when the client offered it. */
  protocol?: string;
  /** The original request (the WebSocket upgrade, on hosts that need it). */
  request: Request;
}

export interface SseOptions {
  heartbeatMs: number;
  retryMs: number;
  /** End the stream after this long; 0 for never. */
  maxStreamMs: number;
  headers: Record<string, string>;
}

export interface HubBackend {
  publish(userId: string, input: PublishInput): Promise<PublishResult>;
  openWebSocket(open: StreamOpen): Promise<Response>;
  openSse(open: StreamOpen, options: SseOptions): Promise<Response>;
}
