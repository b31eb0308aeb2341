// The contract between the client and one transport.

import type { ClientTransport } from '../../protocol/wire.ts';
import type { Frame } from '../frames.ts';

export type TransportName = ClientTransport;

/** Why a transport session ended. */
export interface SessionEnd {
  /** `unauthorized`: the token was refused; `stop`: the server said not to reconnect. */
  kind: 'unauthorized' | 'network' | 'stop';
  /** Whether the session had been established (hub.ready or a first poll answer). */
  opened: boolean;
}

export interface SessionContext {
  /** Base URL of the service, http(s). */
  url: string;
  token: string;
  /** Resume point: the last event id delivered, if any. */
  after: string | undefined;
  fetch: typeof fetch;
  WebSocket: typeof WebSocket;
  onFrame(frame: Frame): void;
  onOpen(): void;
  /** Called exactly once, unless the client closed the session itself. */
  onEnd(end: SessionEnd): void;
}

export interface Session {
  close(): void;
}

export type Transport = (context: SessionContext) => Session;

/**
 * A session driven by fetch (SSE, long polling): `run` reads until the stream
 * or the loop ends and says why; `opened` tells it the session is established.
 */
export function fetchSession(
  context: SessionContext,
  run: (signal: AbortSignal, opened: () => void) => Promise<'unauthorized' | 'network'>,
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
    .catch(() => 'network' as const) // a network failure, or our own abort
    .then((kind) => {
      if (!closedByClient) context.onEnd({ kind, opened: wasOpened });
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
