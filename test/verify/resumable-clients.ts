// Clients that resume by last id on all three transports, each feeding a
// Ledger that counts what a promise-keeping service must never do: deliver an
// event twice, out of order, or not at all. Plain Node: the `ws` package,
// fetch with a streamed SSE body, and fetch long polls.

import WebSocket from 'ws';
import { createSseParser } from '../helpers/sse-parser.ts';

export type StormTransport = 'websocket' | 'sse' | 'poll';

/** What one connection of one user received, checked as it arrives. */
export class Ledger {
  readonly userId: string;
  readonly transport: StormTransport;
  /**
   * The highest id received: the resume point. Ids may skip (an `inbox.changed`
   * superseded by a later one is no longer in the log), but they only rise.
   */
  lastId = 0;
  readonly #seen = new Set<number>();
  duplicated = 0;
  outOfOrder = 0;
  resets = 0;
  /** hub.ready frames: one per successful (re)connect of a stream. */
  readies = 0;
  /** When the connection last showed life (a frame, an answer, a heartbeat). */
  lastActivity = Date.now();

  constructor(userId: string, transport: StormTransport) {
    this.userId = userId;
    this.transport = transport;
  }

  event(id: number): void {
    this.lastActivity = Date.now();
    if (this.#seen.has(id)) {
      this.duplicated++;
      return;
    }
    if (id <= this.lastId) this.outOfOrder++;
    this.#seen.add(id);
    this.lastId = Math.max(this.lastId, id);
  }

  /** Whether `id` was received. */
  has(id: number): boolean {
    return this.#seen.has(id);
  }

  /** Distinct events received with ids up to `through`. */
  receivedThrough(through: number): number {
    let count = 0;
    for (const id of this.#seen) if (id <= through) count++;
    return count;
  }
}

export interface ResumableClient {
  readonly ledger: Ledger;
  /** Opens (or reopens) the connection from ledger.lastId. */
  start(): void;
  /** Cuts the connection abruptly; the client reconnects by itself. */
  drop(): void;
  /** Closes for good. */
  stop(): void;
  /** Upgrades or requests the server refused (e.g. 429 while an old connection lingers). */
  readonly refused: number;
  /** Connections given up because nothing arrived in time (no open, no heartbeat). */
  readonly stalls: number;
}

/** A connection that shows no sign of life for this long is cut and resumed, as real clients do. */
const STALL_MS = 10_000;

interface ClientOptions {
  base: string;
  token: string;
  ledger: Ledger;
  random: () => number;
  /** Long-poll wait in seconds. */
  waitSeconds: number;
}

/** Applies one frame as JSON text: events go to the ledger, resets are counted. */
function applyFrame(ledger: Ledger, frame: { id?: string; type: string }): void {
  if (frame.id !== undefined) ledger.event(Number(frame.id));
  else if (frame.type === 'hub.reset') ledger.resets++;
  else if (frame.type === 'hub.ready') ledger.readies++;
}

abstract class Reconnecting implements ResumableClient {
  readonly ledger: Ledger;
  protected readonly options: ClientOptions;
  protected stopped = false;
  refused = 0;
  stalls = 0;
  #retry: ReturnType<typeof setTimeout> | undefined;

  constructor(options: ClientOptions) {
    this.options = options;
    this.ledger = options.ledger;
  }

  abstract start(): void;
  abstract drop(): void;
  protected abstract close(): void;

  stop(): void {
    this.stopped = true;
    clearTimeout(this.#retry);
    this.close();
  }

  /** Reconnects after a short random pause (longer after a refusal). */
  protected reconnect(refused = false): void {
    if (this.stopped) return;
    if (refused) this.refused++;
    clearTimeout(this.#retry);
    const pause = (refused ? 200 : 10) + this.options.random() * (refused ? 800 : 150);
    this.#retry = setTimeout(() => this.start(), pause);
  }
}

class WebSocketClient extends Reconnecting {
  #ws: WebSocket | undefined;

  start(): void {
    if (this.stopped) return;
    const url = `${this.options.base.replace(/^http/, 'ws')}/v1/connect?after=${this.ledger.lastId}`;
    const ws = new WebSocket(url, { headers: { Authorization: `Bearer ${this.options.token}` } });
    this.#ws = ws;
    let refused = false;
    const opening = setTimeout(() => {
      this.stalls++;
      ws.terminate();
    }, STALL_MS);
    ws.on('open', () => clearTimeout(opening));
    ws.on('message', (data) => applyFrame(this.ledger, JSON.parse(String(data))));
    ws.on('unexpected-response', (_req, res) => {
      refused = true;
      res.resume();
      ws.terminate();
    });
    ws.on('error', () => {});
    ws.on('close', () => {
      clearTimeout(opening);
      if (this.#ws === ws) this.reconnect(refused);
    });
  }

  drop(): void {
    this.#ws?.terminate();
  }

  protected close(): void {
    this.#ws?.terminate();
  }
}

/** A client driven by fetch: one AbortController per session, which a drop or a stop aborts. */
abstract class FetchClient extends Reconnecting {
  #abort: AbortController | undefined;

  /** Runs one session until it ends; resolves true when the server refused it. */
  protected abstract session(abort: AbortController): Promise<boolean>;

  start(): void {
    if (this.stopped) return;
    const abort = new AbortController();
    this.#abort = abort;
    void this.session(abort).then(
      (refused) => this.#abort === abort && this.reconnect(refused),
      () => this.#abort === abort && this.reconnect(),
    );
  }

  drop(): void {
    this.#abort?.abort();
  }

  protected close(): void {
    this.#abort?.abort();
  }
}

class SseClient extends FetchClient {
  protected async session(abort: AbortController): Promise<boolean> {
    // Heartbeats arrive every HEARTBEAT_SECONDS: silence means a stalled stream.
    let watchdog = setTimeout(() => this.#stalled(abort), STALL_MS);
    const alive = () => {
      clearTimeout(watchdog);
      watchdog = setTimeout(() => this.#stalled(abort), STALL_MS);
    };
    try {
      return await this.#stream(abort, alive);
    } finally {
      clearTimeout(watchdog);
    }
  }

  #stalled(abort: AbortController): void {
    this.stalls++;
    abort.abort();
  }

  async #stream(abort: AbortController, alive: () => void): Promise<boolean> {
    const response = await fetch(`${this.options.base}/v1/events`, {
      headers: { Authorization: `Bearer ${this.options.token}`, 'Last-Event-ID': String(this.ledger.lastId) },
      signal: abort.signal,
    });
    if (response.status !== 200 || !response.body) {
      await response.body?.cancel();
      return true;
    }
    const feed = createSseParser((frame) => {
      if (frame.data !== undefined) applyFrame(this.ledger, JSON.parse(frame.data));
    });
    const decoder = new TextDecoder();
    for await (const chunk of response.body) {
      alive();
      this.ledger.lastActivity = Date.now();
      feed(decoder.decode(chunk, { stream: true }));
    }
    return false;
  }
}

class LongPollClient extends FetchClient {
  /** Polls until aborted; resolves true when the server refused a poll. */
  protected async session(abort: AbortController): Promise<boolean> {
    for (;;) {
      const url = `${this.options.base}/v1/poll?after=${this.ledger.lastId}&wait=${this.options.waitSeconds}`;
      // A drop or a stalled answer aborts the loop and it reconnects. The race
      // matters: an abort does not always end a request stuck in a proxy.
      let stall: ReturnType<typeof setTimeout> | undefined;
      const stalled = new Promise<never>((_, reject) => {
        stall = setTimeout(() => {
          this.stalls++;
          abort.abort();
          reject(new Error('stalled'));
        }, this.options.waitSeconds * 1000 + STALL_MS);
      });
      const answer = (async () => {
        const response = await fetch(url, { headers: { Authorization: `Bearer ${this.options.token}` }, signal: abort.signal });
        if (response.status !== 200) {
          await response.body?.cancel();
          return null;
        }
        return (await response.json()) as { events: Array<{ id?: string; type: string }> };
      })();
      answer.catch(() => {});
      const body = await Promise.race([answer, stalled]).finally(() => clearTimeout(stall));
      if (body === null) return true;
      this.ledger.lastActivity = Date.now();
      for (const frame of body.events) applyFrame(this.ledger, frame);
    }
  }
}

export function createResumableClient(transport: StormTransport, options: ClientOptions): ResumableClient {
  switch (transport) {
    case 'websocket':
      return new WebSocketClient(options);
    case 'sse':
      return new SseClient(options);
    case 'poll':
      return new LongPollClient(options);
  }
}
