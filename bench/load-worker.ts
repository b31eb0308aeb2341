// A load-generator process: holds a share of the client connections, records
// publish→deliver latency from each event's intended send time (so a late
// publisher cannot hide queueing: no coordinated omission), and counts lost
// and duplicated deliveries. Driven by the orchestrator over IPC.

import * as hdr from 'hdr-histogram-js';
import { io, type Socket } from 'socket.io-client';
import WebSocket from 'ws';
import { signClientToken } from '../src/core/auth/client-token.ts';
import type { Target } from './designs.ts';
import { now, sleep } from './lib.ts';

export interface Conn {
  userId: string;
  /** sse and poll for the hub and Nchan: the transport subsets. */
  transport: 'websocket' | 'sse' | 'poll';
  /** A node of a cluster to connect to directly, instead of the target's clientUrl (the balancer). */
  url?: string;
}

export type WorkerCommand =
  | { cmd: 'connect'; target: Target; conns: Conn[] }
  | { cmd: 'step' }
  | { cmd: 'report'; published: Array<[seq: number, userId: string]> }
  /** How many connections are still open; replied as `{ open }`. */
  | { cmd: 'count' }
  | { cmd: 'close' };

export interface ConnectReply {
  connected: number;
  failed: number;
  /** Open connections by transport. */
  byTransport: Record<Conn['transport'], number>;
}

interface Live {
  conn: Conn;
  seen: Set<number>;
  /** Set when the server or the network ended the connection. */
  ended: boolean;
  close(): void;
}

let live: Live[] = [];
const newHistogram = () => hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 120_000_000, numberOfSignificantValueDigits: 3 });

/** Latency and counts of one step, for all connections and for each transport. */
interface Tally {
  histogram: ReturnType<typeof newHistogram>;
  duplicates: number;
  received: number;
  expected: number;
  lost: number;
}
const newTally = (): Tally => ({ histogram: newHistogram(), duplicates: 0, received: 0, expected: 0, lost: 0 });
let tallies = { all: newTally(), websocket: newTally(), sse: newTally(), poll: newTally() };

/** What a worker reports for one tally. */
export interface TallyReport {
  histogram: string;
  expected: number;
  lost: number;
  duplicates: number;
  received: number;
}

function onPayload(entry: Live, payload: { s: number; t: number }) {
  const both = [tallies.all, tallies[entry.conn.transport]];
  if (entry.seen.has(payload.s)) {
    for (const tally of both) tally.duplicates++;
    return;
  }
  entry.seen.add(payload.s);
  const latency = Math.max(1, Math.round((now() - payload.t) * 1000)); // µs
  for (const tally of both) {
    tally.received++;
    tally.histogram.recordValue(latency);
  }
}

/** A connection not ready within this long counts as failed. */
const OPEN_TIMEOUT_MS = 20_000;

function withTimeout<T>(promise: Promise<T>, onTimeout: () => void): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      onTimeout();
      reject(new Error('connection not ready in time'));
    }, OPEN_TIMEOUT_MS);
    promise.then(
      (value) => (clearTimeout(timer), resolve(value)),
      (err) => (clearTimeout(timer), reject(err)),
    );
  });
}

async function open(target: Target, conn: Conn): Promise<Live> {
  const pending: { close(): void } = { close: () => {} };
  const entry = await withTimeout(openConnection(target, conn, pending), () => pending.close());
  return entry;
}

async function openConnection(target: Target, conn: Conn, pending: { close(): void }): Promise<Live> {
  const entry: Live = { conn, seen: new Set(), ended: false, close: () => {} };
  const ended = () => {
    entry.ended = true;
  };
  if (target.kind === 'socketio') {
    const socket: Socket = io(target.clientUrl, { transports: ['websocket'], auth: { userId: conn.userId }, reconnection: false, forceNew: true });
    pending.close = () => socket.close();
    socket.on('n', (data: string) => onPayload(entry, JSON.parse(data)));
    socket.on('disconnect', ended);
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', () => resolve());
      socket.once('connect_error', reject);
    });
    entry.close = () => socket.close();
    return entry;
  }
  if (target.kind === 'nchan' && conn.transport === 'sse') {
    const controller = new AbortController();
    pending.close = entry.close = () => controller.abort();
    const response = await fetch(`${target.clientUrl}/sub/${conn.userId}`, { headers: { Accept: 'text/event-stream' }, signal: controller.signal });
    if (!response.ok || !response.body) throw new Error(`nchan SSE refused: ${response.status}`);
    readSse(response.body, (data) => onPayload(entry, JSON.parse(data)), ended);
    return entry;
  }
  if (target.kind === 'nchan' && conn.transport === 'poll') {
    const controller = new AbortController();
    pending.close = entry.close = () => controller.abort();
    let position = await nchanPosition(target, conn.userId, controller.signal);
    void (async () => {
      while (!controller.signal.aborted) {
        try {
          const response = await fetch(`${target.clientUrl}/sub/${conn.userId}`, {
            headers: { 'If-Modified-Since': position.lastModified, 'If-None-Match': position.etag },
            signal: controller.signal,
          });
          const body = await response.text();
          if (response.status === 200) {
            onPayload(entry, JSON.parse(body));
            position = { lastModified: response.headers.get('last-modified')!, etag: response.headers.get('etag')! };
          } else if (response.status !== 304 && response.status !== 408) {
            // Anything else (an overloaded nginx): the position is kept, so retrying loses nothing.
            await sleep(NCHAN_RETRY_MS);
          }
        } catch {
          return ended();
        }
      }
    })();
    return entry;
  }
  if (target.kind === 'nchan') {
    const ws = new WebSocket(`${target.clientUrl.replace('http', 'ws')}/sub/${conn.userId}`);
    pending.close = () => ws.terminate();
    ws.on('message', (data) => onPayload(entry, JSON.parse(String(data))));
    ws.on('close', ended);
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    entry.close = () => ws.terminate();
    return entry;
  }
  const token = await signClientToken(target.jwtSecret!, conn.userId, 7200);
  if (conn.transport === 'websocket') {
    const ws = new WebSocket(`${target.clientUrl.replace('http', 'ws')}/v1/connect`, ['userhub.v1', `userhub.token.${token}`]);
    pending.close = () => ws.terminate();
    const ready = new Promise<void>((resolve, reject) => {
      ws.on('message', (data) => {
        const frame = JSON.parse(String(data)) as { type: string; data: { s: number; t: number } };
        if (frame.type === 'hub.ready') resolve();
        else if (frame.type === 'n') onPayload(entry, frame.data);
      });
      ws.once('error', reject);
      ws.once('close', () => (ended(), reject(new Error('closed before ready'))));
    });
    await ready;
    entry.close = () => ws.terminate();
    return entry;
  }
  const controller = new AbortController();
  entry.close = () => controller.abort();
  pending.close = () => controller.abort();
  if (conn.transport === 'sse') {
    const response = await fetch(`${target.clientUrl}/v1/events`, { headers: { Authorization: `Bearer ${token}` }, signal: controller.signal });
    let resolveReady!: () => void;
    const ready = new Promise<void>((resolve) => (resolveReady = resolve));
    readSse(response.body!, (data) => {
      const frame = JSON.parse(data) as { type: string; data: { s: number; t: number } };
      if (frame.type === 'hub.ready') resolveReady();
      else if (frame.type === 'n') onPayload(entry, frame.data);
    }, ended);
    await ready;
    return entry;
  }
  // long poll
  const first = (await (await fetch(`${target.clientUrl}/v1/poll`, { headers: { Authorization: `Bearer ${token}` } })).json()) as { lastId: string };
  void (async () => {
    let after = first.lastId;
    while (!controller.signal.aborted) {
      try {
        const response = await fetch(`${target.clientUrl}/v1/poll?after=${after}&wait=25`, {
          headers: { Authorization: `Bearer ${token}` },
          signal: controller.signal,
        });
        const answer = (await response.json()) as { events: Array<{ type: string; data: { s: number; t: number } }>; lastId: string };
        for (const frame of answer.events) if (frame.type === 'n') onPayload(entry, frame.data);
        after = answer.lastId;
      } catch {
        return ended();
      }
    }
  })();
  return entry;
}

/** Where an Nchan long poll resumes: the Last-Modified and Etag of the last message seen. */
interface NchanPosition {
  lastModified: string;
  etag: string;
}

const NCHAN_RETRY_MS = 250;

/** Before any message: Nchan gives the oldest buffered message to a poll that names none. */
const NCHAN_START: NchanPosition = { lastModified: new Date(0).toUTCString(), etag: '0' };

/**
 * The channel's current position, so the first long poll waits for the next
 * message instead of replaying the buffer (Nchan's default first message is the
 * oldest one). An application would render it into the page; the bench reads it
 * from the channel info on the publisher location. A message id is
 * `<unix seconds>:<tag>`, which a poll sends back as If-Modified-Since and
 * If-None-Match. No channel yet (404) means nothing to skip.
 */
async function nchanPosition(target: Target, userId: string, signal: AbortSignal): Promise<NchanPosition> {
  const response = await fetch(`${target.publishUrl}/pub/${userId}`, { headers: { Accept: 'text/json' }, signal });
  if (response.status === 404) {
    await response.body?.cancel();
    return NCHAN_START;
  }
  if (!response.ok) throw new Error(`nchan channel info refused: ${response.status}`);
  const { last_message_id: id } = (await response.json()) as { last_message_id: string };
  const [seconds, tag] = id.split(':');
  return { lastModified: new Date(Number(seconds) * 1000).toUTCString(), etag: tag! };
}

/** Calls `onData` with each SSE message's data line until the stream ends, then `onEnd`. */
function readSse(body: ReadableStream<Uint8Array>, onData: (data: string) => void, onEnd: () => void): void {
  const reader = body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  void (async () => {
    for (;;) {
      const { done, value } = await reader.read().catch(() => ({ done: true, value: '' }));
      if (done) return onEnd();
      buffer += value;
      let end: number;
      while ((end = buffer.indexOf('\n\n')) !== -1) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const data = /^data: ?(.*)$/m.exec(block)?.[1];
        if (data) onData(data);
      }
    }
  })();
}

process.on('message', async (message: WorkerCommand) => {
  switch (message.cmd) {
    case 'connect': {
      const opened: Live[] = [];
      let failed = 0;
      // Connect in small waves so the server's accept queue is not the bottleneck.
      for (let i = 0; i < message.conns.length; i += 50) {
        const wave = await Promise.allSettled(
          message.conns.slice(i, i + 50).map((conn) => open(conn.url ? { ...message.target, clientUrl: conn.url } : message.target, conn)),
        );
        for (const result of wave) {
          if (result.status === 'fulfilled') opened.push(result.value);
          else failed++;
        }
      }
      live = opened;
      const byTransport: Record<Conn['transport'], number> = { websocket: 0, sse: 0, poll: 0 };
      for (const entry of opened) byTransport[entry.conn.transport]++;
      process.send!({ connected: opened.length, failed, byTransport } satisfies ConnectReply);
      break;
    }
    case 'step':
      tallies = { all: newTally(), websocket: newTally(), sse: newTally(), poll: newTally() };
      for (const entry of live) entry.seen.clear();
      process.send!({ ok: true });
      break;
    case 'report': {
      const byUser = new Map<string, Live[]>();
      for (const entry of live) byUser.set(entry.conn.userId, [...(byUser.get(entry.conn.userId) ?? []), entry]);
      for (const [seq, userId] of message.published) {
        for (const entry of byUser.get(userId) ?? []) {
          const missed = entry.seen.has(seq) ? 0 : 1;
          for (const tally of [tallies.all, tallies[entry.conn.transport]]) {
            tally.expected++;
            tally.lost += missed;
          }
        }
      }
      const report = (t: Tally): TallyReport => ({ histogram: hdr.encodeIntoCompressedBase64(t.histogram), expected: t.expected, lost: t.lost, duplicates: t.duplicates, received: t.received });
      process.send!({
        ...report(tallies.all),
        byTransport: { websocket: report(tallies.websocket), sse: report(tallies.sse), poll: report(tallies.poll) },
      });
      break;
    }
    case 'count':
      process.send!({ open: live.filter((entry) => !entry.ended).length });
      break;
    case 'close':
      for (const entry of live) entry.close();
      live = [];
      process.send!({ ok: true });
      setTimeout(() => process.exit(0), 100);
      break;
  }
});
