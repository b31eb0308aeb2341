// The frames a client may send on its connection, parsed and dispatched in
// one place. Today only `ping`; each new client frame is one entry in
// CLIENT_FRAMES. The size limit (MAX_CLIENT_FRAME_BYTES) is chosen for the
// largest legitimate frame.

import { CloseCode, HUB_ERROR, MAX_CLIENT_FRAME_BYTES } from '../../protocol/wire.ts';
import { ControlMessage } from './frames.ts';
import type { Connection } from './ports.ts';

/** The answer to `{"type":"ping"}` (Cloudflare's auto-response gives the same without waking the actor). */
const PONG = new ControlMessage('pong');

/** Each client frame type and what the actor does with it. */
const CLIENT_FRAMES: Record<string, (connection: Connection, frame: Record<string, unknown>) => void> = {
  ping: (connection) => void connection.send(PONG),
};

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
 * Handles one client frame: too large closes the connection (1009); anything
 * not understood gets a `hub.error` frame and the connection stays open.
 */
export function receiveClientFrame(connection: Connection, message: string | ArrayBuffer): void {
  if (frameBytes(message) > MAX_CLIENT_FRAME_BYTES) {
    connection.close(CloseCode.messageTooBig, 'frame too large');
    return;
  }
  const frame = typeof message === 'string' ? parse(message) : null;
  const handler = typeof frame?.type === 'string' && Object.hasOwn(CLIENT_FRAMES, frame.type) ? CLIENT_FRAMES[frame.type] : undefined;
  if (handler) return handler(connection, frame!);
  const error =
    typeof message !== 'string'
      ? { code: 'binary_frame', message: 'Frames must be JSON text.' }
      : frame?.type === undefined
        ? { code: 'invalid_frame', message: 'Frames must be JSON objects with a "type".' }
        : { code: 'unknown_frame', message: `Unknown frame type; client frames are ${Object.keys(CLIENT_FRAMES).map((t) => `{"type":"${t}"}`).join(', ')}.` };
  connection.send(new ControlMessage(HUB_ERROR, error));
}
