// The contract between the client and one transport.

import type { ClientTransport } from '../../protocol/wire.ts';
import { CLOSE_RESUME_NOW, CLOSE_UNAUTHORIZED, isStopCode, type Frame } from '../frames.ts';

export type TransportName = ClientTransport;

/**
 * Why a transport session ended. `unauthorized`: the token was refused;
 * `expired`: the session ran out (4401): reconnect at once with a fresh token;
 * `resume`: the server cut the replay (4009): reconnect at once; `stop`: the
 * server said not to reconnect (4500-4999, e.g. 4503 ended by the service).
 */
export type EndKind = 'unauthorized' | 'expired' | 'resume' | 'network' | 'stop';

export interface SessionEnd {
  kind: EndKind;
  /** Whether the session had been established (hub.ready or a first poll answer). */
  opened: boolean;
  /** The server's close code and reason, when it gave one. */
  code?: number;
  reason?: string;
  /** What the application is told: the service unreachable (`network`), or this page's origin refused (`origin_refused`). */
  error?: 'network' | 'origin_refused';
}

/** What a close code (a WebSocket's, or an SSE stream's hub.closed) asks the client to do. */
export function endKindOf(code: number): EndKind {
  if (code === CLOSE_UNAUTHORIZED) return 'expired';
  if (code === CLOSE_RESUME_NOW) return 'resume';
  return isStopCode(code) ? 'stop' : 'network';
}

export interface SessionContext {
  /** Base URL of the service, http(s). */
  url: string;
  token: string;
  /** A fresh ticket the client minted while checking `token` (once), if any. */
  takeTicket?(token: string): string | undefined;
  /** A fresh token (getToken with refresh), for an in-band session refresh. */
  freshToken(): Promise<string>;
  /** Resume point: the last event id delivered, if any. */
  after: string | undefined;
  fetch: typeof fetch;
  WebSocket: typeof WebSocket;
  /** A stream silent this long (no event, no heartbeat) is given up and reconnected. */
  silenceMs: number;
  onFrame(frame: Frame): void;
  onOpen(): void;
  /** Called exactly once, unless the client closed the session itself. */
  onEnd(end: SessionEnd): void;
}

export interface Session {
  close(): void;
  /** Sends an acknowledgement in band (a WebSocket's `ack` frame); false when this transport cannot. */
  ack?(through: string): boolean;
}

export type Transport = (context: SessionContext) => Session;

/**
 * A session driven by fetch (SSE, long polling): `run` reads until the stream
 * or the loop ends and says why; `opened` tells it the session is established.
 */
export function fetchSession(
  context: SessionContext,
  run: (signal: AbortSignal, opened: () => void) => Promise<EndKind | Omit<SessionEnd, 'opened'>>,
): Session {
  const controller = new AbortController();
  let wasOpened = false;
  let closedByClient = false;
  const opened = () => {
    if (wasOpened) return;
    wasOpened = true;
    context.onOpen();
  };
  run(controller.signal, opened)
    // A network failure (or, in a browser, a response the page may not read: CORS), or our own abort.
    .catch(() => ({ kind: 'network' as const, error: 'network' as const }))
    .then((end) => {
      if (!closedByClient) context.onEnd({ ...(typeof end === 'string' ? { kind: end } : end), opened: wasOpened });
    });
  return {
    close() {
      closedByClient = true;
      controller.abort();
    },
  };
}

/** Joins a base URL and a path with query parameters, skipping undefined ones. */
export function endpoint(base: string, path: string, query: Record<string, string | undefined>): string {
  const url = new URL(path, base.endsWith('/') ? base : `${base}/`);
  for (const [key, value] of Object.entries(query)) if (value !== undefined) url.searchParams.set(key, value);
  return url.toString();
}
