// The frames a client receives, and the control types among them. Mirrors
// src/core/protocol.ts, which the server is written against.

/** An event as the application sees it. */
export interface HubEvent<Data = unknown> {
  /** Per-user, strictly increasing, as a decimal string. */
  id: string;
  type: string;
  data: Data;
  /** ISO 8601 time the event was accepted. */
  time: string;
}

/** Why the server could not resume from the client's last id. */
export interface ResetInfo {
  reason: 'not_retained' | 'unknown_id';
  after: string;
  lastId: string;
}

/** Any frame: a notification (has `id`) or a control frame (`hub.*`). */
export interface Frame {
  id?: string;
  type: string;
  data?: unknown;
  time?: string;
}

export const HUB_READY = 'hub.ready';
export const HUB_RESET = 'hub.reset';
/** Subprotocol the server echoes on WebSockets. */
export const WS_PROTOCOL = 'userhub.v1';
/** WebSocket close codes 4500-4999 mean: do not reconnect as is. */
export const isStopCode = (code: number): boolean => code >= 4500 && code <= 4999;
export const CLOSE_UNAUTHORIZED = 4401;
