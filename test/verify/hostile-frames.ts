// Hostile WebSocket frames, what each must get, and how a case is sent and
// judged: frames over MAX_CLIENT_FRAME_BYTES close the socket with 1009;
// frames that are not JSON objects with a known type get a `hub.error` frame
// and the socket stays open (a ping after it is still answered).

import { CloseCode, MAX_CLIENT_FRAME_BYTES } from '../../src/protocol/wire.ts';
import { closeSocket, readUntilReady, upgrade, type OpenSocket } from './hub-wire.ts';
import type { Random } from './seeded-random.ts';
import type { Tally } from './suite.ts';

export type FrameOutcome =
  /** The socket is closed with one of these codes. */
  | { close: readonly number[] }
  /** A `hub.error` frame with this code, then the socket still answers a ping. */
  | { hubError: string };

export interface FrameCase {
  name: string;
  /** Text frames are strings; binary frames and raw (non-UTF-8) text are bytes. */
  frames: Array<string | { binary: Uint8Array } | { rawText: Uint8Array }>;
  expect: FrameOutcome | FrameOutcome[];
}

const tooBig = { close: [CloseCode.messageTooBig] };

export function hostileFrames(random: Random): FrameCase[] {
  const cases: FrameCase[] = [];
  for (const size of [MAX_CLIENT_FRAME_BYTES + 1, 8192, 64 * 1024 + 1, 200_000]) {
    cases.push({ name: `a text frame of ${size} bytes`, frames: ['x'.repeat(size)], expect: tooBig });
  }
  for (let i = 0; i < 4; i++) {
    const size = MAX_CLIENT_FRAME_BYTES + 1 + random.int(300_000);
    cases.push({ name: `a text frame of ${size} bytes`, frames: ['y'.repeat(size)], expect: tooBig });
  }
  cases.push({
    name: `a JSON ping padded to ${MAX_CLIENT_FRAME_BYTES + 1} bytes`,
    frames: [`{"type":"ping","pad":"${'p'.repeat(MAX_CLIENT_FRAME_BYTES + 1 - 24)}"}`],
    expect: tooBig,
  });
  cases.push({ name: `a binary frame of ${MAX_CLIENT_FRAME_BYTES + 1} bytes`, frames: [{ binary: new Uint8Array(MAX_CLIENT_FRAME_BYTES + 1) }], expect: tooBig });
  // Frames are measured in UTF-8 bytes: 6,000 bytes of "€" are 2,000 characters.
  cases.push({ name: 'a text frame of 6,000 bytes in 2,000 characters', frames: ['€'.repeat(2000)], expect: tooBig });
  cases.push({ name: 'a text frame of 4,095 bytes in 1,365 characters', frames: ['€'.repeat(1365)], expect: { hubError: 'invalid_frame' } });

  const invalid: string[] = ['hello', '', '{', '42', 'null', '[]', '"ping"', '{"Type":"ping"}', '\u0000', 'x'.repeat(MAX_CLIENT_FRAME_BYTES)];
  for (const text of invalid) {
    cases.push({ name: `text ${JSON.stringify(text.slice(0, 20))}`, frames: [text], expect: { hubError: 'invalid_frame' } });
  }
  const unknown = ['{"type":1}', '{"type":"publish","data":{}}', '{"type":"hub.ready"}', '{"type":"PING"}', '{"type":"subscribe","user":"someone-else"}'];
  for (const text of unknown) cases.push({ name: `frame ${text}`, frames: [text], expect: { hubError: 'unknown_frame' } });
  for (const size of [0, 3, MAX_CLIENT_FRAME_BYTES]) {
    cases.push({ name: `a binary frame of ${size} bytes`, frames: [{ binary: new Uint8Array(size).fill(0x7b) }], expect: { hubError: 'binary_frame' } });
  }
  // More than MAX_INVALID_CLIENT_FRAMES (10) not understood close the socket
  // with 1008, even with the rest of the frames still arriving.
  cases.push({
    name: '50 bad frames in a row',
    frames: Array.from({ length: 50 }, (_, i) => `bad ${i}`),
    expect: { close: [1008] },
  });
  // Invalid UTF-8 in a text frame breaks RFC 6455 (§8.1): the runtime's
  // WebSocket closes with 1007 (Node's ws, Bun) or drops the connection
  // (Deno: 1006); workerd decodes it leniently and the actor answers hub.error.
  for (const bytes of [[0xff], [0xc0, 0xaf], [0xed, 0xa0, 0x80]]) {
    cases.push({
      name: `a text frame of bytes ${bytes.map((b) => b.toString(16)).join(' ')}`,
      frames: [{ rawText: Uint8Array.from(bytes) }],
      expect: [{ close: [1007, 1006] }, { hubError: 'invalid_frame' }],
    });
  }
  return cases;
}

interface Observed {
  closeCode?: number;
  errors: string[];
  pong: boolean;
}

/**
 * Sends a case's frames and waits for the close, or for one hub.error per
 * frame; then sends a ping and waits for its pong. The ping waits for the
 * errors: a frame sent while the server closes can reset the connection
 * before the close frame is read (Deno closes without waiting for ours).
 */
async function observeFrames(socket: OpenSocket, entry: FrameCase): Promise<Observed> {
  for (const frame of entry.frames) {
    if (typeof frame === 'string') socket.ws.send(frame);
    else if ('binary' in frame) socket.ws.send(frame.binary, { binary: true });
    else socket.ws.send(Buffer.from(frame.rawText), { binary: false });
  }
  const observed: Observed = { errors: [], pong: false };
  const deadline = Date.now() + 5_000;
  const closed = socket.closed.then((code) => {
    observed.closeCode = code;
  });
  let pinged = false;
  while (!observed.pong && observed.closeCode === undefined && Date.now() < deadline) {
    const next = await Promise.race([
      socket.messages.next(Math.max(1, deadline - Date.now())).catch(() => undefined),
      closed.then(() => undefined),
    ]);
    if (next === undefined) continue;
    const frame = JSON.parse(next) as { type: string; data?: { code?: string } };
    if (frame.type === 'pong') observed.pong = true;
    else if (frame.type === 'hub.error') observed.errors.push(String(frame.data?.code));
    if (!pinged && observed.errors.length >= entry.frames.length) {
      pinged = true;
      socket.ws.send('{"type":"ping"}', () => {});
    }
  }
  return observed;
}

function matches(outcome: FrameOutcome, observed: Observed, sent: number): boolean {
  if ('close' in outcome) return observed.closeCode !== undefined && outcome.close.includes(observed.closeCode);
  return (
    observed.closeCode === undefined &&
    observed.pong &&
    observed.errors.length === sent &&
    observed.errors.every((code) => code === outcome.hubError)
  );
}

/** Opens a socket for `user`, sends one case and checks what came back. */
export async function sendFrames(base: string, user: string, token: string, entry: FrameCase, tally: Tally): Promise<void> {
  const opened = await upgrade(base, '/v1/connect', { headers: { Authorization: `Bearer ${token}` } });
  if (opened.kind !== 'open') return tally.expect(false, `WebSocket ${entry.name}: not opened: ${JSON.stringify(opened).slice(0, 160)}`);
  tally.add('wsCases');
  try {
    await readUntilReady(opened.socket);
    const observed = await observeFrames(opened.socket, entry);
    const outcomes = Array.isArray(entry.expect) ? entry.expect : [entry.expect];
    if (outcomes.some((outcome) => matches(outcome, observed, entry.frames.length))) return;
    tally.expect(false, `WebSocket ${entry.name} (${user}): expected ${JSON.stringify(outcomes)}, got ${JSON.stringify(observed)}`);
  } finally {
    await closeSocket(opened.socket);
  }
}
