// The frames a client may send on its connection, parsed and dispatched in
// one place: `ping`, `auth` (a fresh ticket that moves the session's expiry
// on; features/sessions.ts) and `ack` (the client has every event up to an id:
// inbox receipts; features/inbox.ts). A feature adds a frame in its `frames`. Every
// connection has a budget: frames over MAX_CLIENT_FRAME_BYTES close it with
// 1009, more than MAX_INVALID_CLIENT_FRAMES that are not understood or more
// than CLIENT_FRAME_RATE a second with 1008, so a client cannot make the actor
// answer (or, on Cloudflare, wake) without end.

import {
  CLIENT_FRAME_RATE,
  CloseCode,
  HUB_ERROR,
  MAX_CLIENT_FRAME_BYTES,
  MAX_INVALID_CLIENT_FRAMES,
} from '../../protocol/wire.ts';
import { encode } from '../json.ts';
import { ControlMessage } from './frames.ts';
import type { Connection } from './ports.ts';
import { TokenBucket } from './rate-limit.ts';

/** Answers one client frame type on a connection; `context` is the actor's (kernel.ts, whose features add frames). */
export type ClientFrameHandler<C> = (context: C, connection: Connection, frame: Record<string, unknown>) => unknown;

/** The answer to `{"type":"ping"}` (Cloudflare's auto-response gives the same without waking the actor). */
const PONG = new ControlMessage('pong');

/** Every connection answers `ping`; the features' frames come after it. */
const ping = (_context: unknown, connection: Connection) => connection.send(PONG);

interface Budget {
  invalid: number;
  rate: TokenBucket;
}

/**
 * Per connection, for as long as the actor holds it in memory (a Durable
 * Object that hibernates starts again with a fresh budget, after being idle).
 */
const budgets = new WeakMap<object, Budget>();

function budgetOf(connection: Connection): Budget {
  const key = connection.identity;
  let budget = budgets.get(key);
  if (!budget) budgets.set(key, (budget = { invalid: 0, rate: new TokenBucket(CLIENT_FRAME_RATE.perSecond, CLIENT_FRAME_RATE.burst) }));
  return budget;
}

const utf8 = new TextEncoder();

/** A frame's size in bytes; text is measured as UTF-8 only when it could be over the limit. */
function frameBytes(message: string | ArrayBuffer): number {
  if (typeof message !== 'string') return message.byteLength;
  if (message.length > MAX_CLIENT_FRAME_BYTES || message.length * 3 <= MAX_CLIENT_FRAME_BYTES) return message.length;
  return utf8.encode(message).byteLength;
}

function parse(message: string): Record<string, unknown> | null {
  try {
    const frame: unknown = JSON.parse(message);
    return frame !== null && typeof frame === 'object' && !Array.isArray(frame) ? (frame as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

/**
 * Handles one client frame: too large closes the connection (1009), too many
 * too fast or too many not understood close it (1008); anything else not
 * understood gets a `hub.error` frame and the connection stays open.
 */
export async function receiveClientFrame<C>(
  context: C,
  connection: Connection,
  message: string | ArrayBuffer,
  frames: Readonly<Record<string, ClientFrameHandler<C>>>,
  now = Date.now(),
): Promise<void> {
  if (frameBytes(message) > MAX_CLIENT_FRAME_BYTES) return connection.close(CloseCode.messageTooBig, 'frame too large');
  const budget = budgetOf(connection);
  if (budget.rate.take(now) > 0) return connection.close(CloseCode.policyViolation, 'too many frames');
  const frame = typeof message === 'string' ? parse(message) : null;
  const type = frame?.type;
  const handler = type === 'ping' ? ping : typeof type === 'string' && Object.hasOwn(frames, type) ? frames[type] : undefined;
  if (handler) return void (await handler(context, connection, frame!));
  if (++budget.invalid > MAX_INVALID_CLIENT_FRAMES) return connection.close(CloseCode.policyViolation, 'too many invalid frames');
  const error =
    typeof message !== 'string'
      ? { code: 'binary_frame', message: 'Frames must be JSON text.' }
      : frame?.type === undefined
        ? { code: 'invalid_frame', message: 'Frames must be JSON objects with a "type".' }
        : { code: 'unknown_frame', message: `Unknown frame type; client frames are ${['ping', ...Object.keys(frames)].map((type) => encode({ type })).join(', ')}.` };
  connection.send(new ControlMessage(HUB_ERROR, error));
}
