// One object per user session: connects by the best transport that works,
// falls back, reconnects with backoff, and resumes from the last id it
// delivered, so the application sees every event once and in order. It serves
// one user for its whole life: every token it is given is shown to the server
// before its first use, and a token of another user closes the client.

import { CLIENT_TRANSPORTS, PROTOCOL_HEADER, PROTOCOL_VERSION } from '../protocol/wire.ts';
import { backoffDelay } from './backoff.ts';
import { HUB_READY, HUB_RESET, type Frame, type HubEvent, type ResetInfo } from './frames.ts';
import { callApi, TokenRefused } from './api.ts';
import { ClientFailure, ORIGIN_REFUSED, TOKEN_REFUSED, UNREACHABLE, type ClientError } from './errors.ts';
import { createClientInbox, type InboxApi, type InboxCounts } from './inbox.ts';
import { createPushApi, type PushApi } from './push.ts';
import { canShareTabs, joinTabGroup, type TabGroup } from './tabs.ts';
import { longPollTransport } from './transports/long-poll.ts';
import { sseTransport } from './transports/sse.ts';
import { endpoint, type Session, type SessionEnd, type Transport, type TransportName } from './transports/transport.ts';
import { websocketTransport } from './transports/websocket.ts';
import { waitForJob, type Job, type WaitForJobOptions } from './wait-for-job.ts';
import { watchJob } from './watch-job.ts';

export type { TransportName } from './transports/transport.ts';
export type { ClientError, ClientErrorCode } from './errors.ts';

export type Status =
  | { state: 'connecting'; transport: TransportName }
  | { state: 'open'; transport: TransportName }
  /** `error`: why the last attempt failed, when the application can do something about it. */
  | { state: 'reconnecting'; transport: TransportName; inMs: number; error?: ClientError }
  /** The service refused the token, and a fresh one too; the client does not reconnect. */
  | { state: 'unauthorized'; error: ClientError }
  /** The service ended the session (4503: a kick, a revoke, an erased user); the client does not reconnect. */
  | { state: 'ended'; code: number; reason: string }
  /** The client stopped for a reason the application must act on (see ClientErrorCode); it does not reconnect. */
  | { state: 'failed'; error: ClientError }
  | { state: 'closed' };

export interface ConnectOptions {
  /** Base URL of the service, e.g. `https://hub.example.com`. */
  url: string;
  /** A fixed client token (JWT). Give this or `getToken`. */
  token?: string;
  /** Returns a token; called again with `{ refresh: true }` when the server refuses one or the session is expiring. */
  getToken?: (options: { refresh: boolean }) => string | Promise<string>;
  /** Transports to use, best first. Default: websocket, sse, poll. */
  transports?: TransportName[];
  /** Resume after this event id; without it the stream starts from now. */
  lastId?: string;
  /** Every event, exactly once, in id order. */
  onEvent?: (event: HubEvent) => void;
  onStatus?: (status: Status) => void;
  /** The resume point was no longer retained: events were missed, refetch your state. */
  onReset?: (reset: ResetInfo) => void;
  /** The inbox's counts: read when the client connects, then moved on by every inbox event. */
  onInbox?: (counts: InboxCounts) => void;
  /** While on a fallback transport, try the best one again after this long. Default 60 s. */
  upgradeAfterMs?: number;
  /**
   * A stream that sends nothing for this long is reconnected: an SSE stream
   * without even a heartbeat, a WebSocket without even a pong (pings go out
   * every third of it, at most every 25 s). Default 45 s: three heartbeats at
   * the server's default HEARTBEAT_SECONDS (15); keep it above three if you
   * raise that.
   */
  silenceMs?: number;
  /** Reconnect backoff: base and cap in ms. Default 500 ms, 30 s. */
  backoff?: { baseMs: number; capMs: number };
  /**
   * One connection for every tab of this user in this browser: the tabs elect
   * a leader that holds it and hands events and status to the others. Default:
   * on where the Web Locks API and BroadcastChannel exist (browsers).
   */
  shareAcrossTabs?: boolean;
  /** Platform overrides; default to the globals. */
  fetch?: typeof fetch;
  WebSocket?: typeof WebSocket;
}

export interface HubClient {
  /** The user this client serves, as the server stated it for the first token; undefined until then. */
  readonly userId: string | undefined;
  /** The last event id delivered to onEvent (the resume point). */
  readonly lastId: string | undefined;
  readonly status: Status;
  /** With shareAcrossTabs: whether this tab holds the connection ('leader') or is handed its events ('follower'). */
  readonly role: 'leader' | 'follower' | 'alone';
  /** Resolves with the job once it succeeded, failed or was canceled. */
  waitForJob(jobId: string, options?: WaitForJobOptions): Promise<Job>;
  /** The user's inbox: list items, mark them seen, read, unread, archive them. */
  readonly inbox: InboxApi;
  /** Web Push for this browser: subscribe(registration) / unsubscribe(registration). */
  readonly push: PushApi;
  /**
   * The job now (null: none yet), then each change of it; a read that fails
   * goes to `onError` (pushed changes still come). Returns a function that stops.
   */
  watchJob(jobId: string, onChange: (job: Job | null) => void, onError?: (error: ClientError) => void): () => void;
  /**
   * Listens beside the options' callbacks: every event, every status, the
   * inbox's counts, or a reset (events were missed: refetch what you show).
   * Returns a function that stops.
   */
  on(kind: 'event', listener: (event: HubEvent) => void): () => void;
  on(kind: 'status', listener: (status: Status) => void): () => void;
  on(kind: 'inbox', listener: (counts: InboxCounts) => void): () => void;
  on(kind: 'reset', listener: (reset: ResetInfo) => void): () => void;
  close(): void;
}

const TRANSPORTS: Record<TransportName, Transport> = {
  websocket: websocketTransport,
  sse: sseTransport,
  poll: longPollTransport,
};

/** A check of a token that has no answer after this long is given up (and asked again on the next attempt). */
const IDENTIFY_TIMEOUT_MS = 15_000;

/** A ticket minted while checking a token is used for the next WebSocket if it is younger than this. */
const SPARE_TICKET_MS = 5000;

/** Acknowledgements of received inbox items go out at most this often. */
const ACK_INTERVAL_MS = 1000;

const DEFAULTS = {
  transports: [...CLIENT_TRANSPORTS] as TransportName[],
  upgradeAfterMs: 60_000,
  backoff: { baseMs: 500, capMs: 30_000 },
  silenceMs: 45_000,
};

/**
 * Connects one user session.
 *
 * @example
 * const hub = connect({
 *   url: 'https://hub.example.com',
 *   getToken: () => fetch('/api/hub-token').then((r) => r.text()),
 *   onEvent: (event) => console.log(event.type, event.data),
 *   onStatus: (status) => console.log(status.state),
 * });
 * const job = await hub.waitForJob('zip-42', { timeout: 120_000 });
 */
export function connect(options: ConnectOptions): HubClient {
  if (!options.token && !options.getToken) throw new TypeError('connect() needs token or getToken');
  // Without a WebSocket (Node 20, unless one is given), the default is SSE, then long polling.
  const hasWebSocket = typeof (options.WebSocket ?? globalThis.WebSocket) === 'function';
  const transports = options.transports ?? DEFAULTS.transports.filter((name) => name !== 'websocket' || hasWebSocket);
  if (transports.length === 0) throw new TypeError('connect() needs at least one transport');
  const baseFetch = options.fetch ?? globalThis.fetch.bind(globalThis);
  // Every request says which protocol this client speaks (a WebSocket says it in its subprotocol).
  const fetchImpl: typeof fetch = (input, init) =>
    baseFetch(input, { ...init, headers: { ...(init?.headers as Record<string, string> | undefined), [PROTOCOL_HEADER]: String(PROTOCOL_VERSION) } });
  const WebSocketImpl = options.WebSocket ?? globalThis.WebSocket;
  const backoff = options.backoff ?? DEFAULTS.backoff;
  const upgradeAfterMs = options.upgradeAfterMs ?? DEFAULTS.upgradeAfterMs;
  const eventListeners = new Set<(event: HubEvent) => void>();
  const statusListeners = new Set<(status: Status) => void>();
  const inboxListeners = new Set<(counts: InboxCounts) => void>();
  const resetListeners = new Set<(reset: ResetInfo) => void>();

  let lastId = options.lastId;
  let status: Status = { state: 'connecting', transport: transports[0]! };
  let index = 0;
  let failures = 0;
  let authFailures = 0;
  let session: Session | undefined;
  let generation = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let cachedToken = options.token;
  let closed = false;
  let tabs: TabGroup | undefined;
  /** The user this client serves: the one the server stated for its first token. */
  let userId: string | undefined;
  /** The token whose user was last checked, and that check while it runs. */
  let identified: string | undefined;
  let identifying: { token: string; done: Promise<void> } | undefined;
  /** Whether the last check could not reach the service at all. */
  let unreachable = false;
  /** The ticket the last check minted: the next WebSocket uses it instead of asking again. */
  let spare: { token: string; ticket: string; at: number } | undefined;

  /** The service's HTTP API as this client calls it (its fetch, its token; a refused token is replaced once). */
  const api = {
    url: options.url,
    fetch: fetchImpl,
    token: (refresh: boolean) => token(refresh).catch((err: unknown) => (err instanceof TokenRefused && !refresh && options.getToken ? token(true) : Promise.reject(err))),
  };
  const inbox = createClientInbox({
    ...api,
    lastId: () => lastId,
    onCounts: (counts) => {
      if (closed) return; // an answer that lands after the client stopped is no longer this client's to give
      options.onInbox?.(counts);
      for (const listener of inboxListeners) listener(counts);
    },
  });
  /** A pending acknowledgement, and when the last went out (ACK_INTERVAL_MS apart). */
  let ackTimer: ReturnType<typeof setTimeout> | undefined;
  let lastAckAt = 0;

  /** Tells the server this client has every event up to lastId: its inbox items get their receivedAt. */
  function acknowledge() {
    ackTimer = undefined;
    lastAckAt = Date.now();
    const through = lastId;
    // Among shared tabs the leader acknowledges for all: it received every event itself.
    if (through === undefined || closed || (tabs && !tabs.leading)) return;
    if (session?.ack?.(through)) return;
    callApi(api, 'v1/acks', { method: 'POST', body: { through } }).catch(() => undefined);
  }

  const setStatus = (next: Status) => {
    status = next;
    options.onStatus?.(next);
    for (const listener of statusListeners) listener(next);
    tabs?.shareStatus(next);
  };

  /**
   * The token to use, its user checked: the first token's user becomes the
   * client's; a token of any other user fails the client (`user_changed`)
   * before anything is asked with it. Throws TokenRefused for a refused token.
   */
  async function token(refresh: boolean): Promise<string> {
    if (closed) throw new Error('The client is closed.');
    if (options.getToken && (refresh || !cachedToken)) cachedToken = await options.getToken({ refresh });
    const current = cachedToken!;
    if (current === identified) return current;
    if (identifying?.token !== current) {
      const check = { token: current, done: identify(current) };
      identifying = check;
      // A check that failed (the network, a refusal) is asked again next time, not remembered.
      check.done.catch(() => identifying === check && (identifying = undefined));
    }
    await identifying!.done;
    return current;
  }

  /** Asks the server whose token this is (POST /v1/tickets answers the user it takes it for). */
  async function identify(current: string): Promise<void> {
    const response = await fetchImpl(endpoint(options.url, 'v1/tickets', {}), {
      method: 'POST',
      headers: { Authorization: `Bearer ${current}` },
      signal: AbortSignal.timeout(IDENTIFY_TIMEOUT_MS),
    }).catch(() => {
      unreachable = true;
      throw new ClientFailure(UNREACHABLE);
    });
    unreachable = false;
    if (response.status === 401) throw new TokenRefused();
    if (response.status === 403) {
      fail(ORIGIN_REFUSED);
      throw new ClientFailure(ORIGIN_REFUSED);
    }
    if (!response.ok) throw new ClientFailure({ code: 'request_failed', message: `POST /v1/tickets: ${response.status}`, status: response.status });
    const answer = (await response.json()) as { ticket?: unknown; userId?: unknown };
    // A server that does not say whose the token is cannot be held to one user: refused as unreachable.
    if (typeof answer.userId !== 'string' || typeof answer.ticket !== 'string') throw new ClientFailure({ code: 'request_failed', message: 'POST /v1/tickets: no userId in the answer' });
    userId ??= answer.userId;
    if (answer.userId !== userId) {
      const changed: ClientError = { code: 'user_changed', message: `The token is for another user than this client's (${userId}); connect() again for the new user.` };
      fail(changed);
      throw new ClientFailure(changed);
    }
    identified = current;
    spare = { token: current, ticket: answer.ticket, at: Date.now() };
  }

  /** A fresh ticket the last check minted for `current`, once. */
  function takeTicket(current: string): string | undefined {
    const ticket = spare?.token === current && Date.now() - spare.at < SPARE_TICKET_MS ? spare.ticket : undefined;
    spare = undefined;
    return ticket;
  }

  function deliver(frame: Frame) {
    if (frame.type === HUB_READY) {
      lastId ??= (frame.data as { lastId: string }).lastId;
      return;
    }
    if (frame.type === HUB_RESET) {
      // What follows is the whole retained log, whatever our last id was.
      lastId = undefined;
      options.onReset?.(frame.data as ResetInfo);
      for (const listener of resetListeners) listener(frame.data as ResetInfo);
      return;
    }
    if (frame.id === undefined) return; // other control frames
    if (lastId !== undefined && Number(frame.id) <= Number(lastId)) return; // seen before
    lastId = frame.id;
    const event = frame as HubEvent;
    options.onEvent?.(event);
    for (const listener of eventListeners) listener(event);
    inbox.observe(event);
    if (event.type === 'inbox.created' && ackTimer === undefined) {
      ackTimer = setTimeout(acknowledge, Math.max(0, lastAckAt + ACK_INTERVAL_MS - Date.now()));
    }
  }

  async function attempt(refreshToken: boolean) {
    if (closed) return;
    const mine = ++generation;
    const name = transports[index]!;
    setStatus({ state: 'connecting', transport: name });
    let current: string;
    try {
      current = await token(refreshToken);
    } catch (err) {
      return ended(mine, { kind: err instanceof TokenRefused ? 'unauthorized' : 'network', opened: false, error: unreachable ? 'network' : undefined });
    }
    if (closed || mine !== generation) return;
    session = TRANSPORTS[name]({
      url: options.url,
      token: current,
      takeTicket,
      freshToken: () => token(true),
      after: lastId,
      fetch: fetchImpl,
      WebSocket: WebSocketImpl,
      silenceMs: options.silenceMs ?? DEFAULTS.silenceMs,
      onFrame: (frame) => {
        if (mine !== generation) return;
        deliver(frame);
        tabs?.share(frame);
      },
      onOpen: () => {
        if (mine !== generation) return;
        failures = 0;
        authFailures = 0;
        setStatus({ state: 'open', transport: name });
        if (options.onInbox || inboxListeners.size > 0) inbox.refresh();
        if (index > 0) timer = setTimeout(() => upgrade(mine), upgradeAfterMs);
      },
      onEnd: (end) => ended(mine, end),
    });
  }

  /** Leaves a working fallback to try the best transport again. */
  function upgrade(mine: number) {
    if (closed || mine !== generation) return;
    session?.close();
    index = 0;
    void attempt(false);
  }

  function ended(mine: number, end: SessionEnd) {
    if (closed || mine !== generation) return;
    generation++;
    clearTimeout(timer);
    if (end.kind === 'unauthorized' || end.kind === 'expired') {
      if (!options.getToken || ++authFailures > 2) {
        setStatus({ state: 'unauthorized', error: TOKEN_REFUSED });
        return;
      }
      // A session that ran out reconnects at once with a fresh token; a refused token backs off.
      const first = end.kind === 'expired' && authFailures === 1;
      return schedule(first ? 0 : backoffDelay(authFailures - 1, backoff), true);
    }
    if (end.kind === 'resume') return schedule(0, false); // the replay goes on from lastId
    if (end.error === 'origin_refused') return fail(ORIGIN_REFUSED);
    const error = end.error === 'network' ? UNREACHABLE : undefined;
    if (end.kind === 'stop') {
      closed = true;
      setStatus(end.code === undefined ? { state: 'closed' } : { state: 'ended', code: end.code, reason: end.reason ?? '' });
      return;
    }
    if (!end.opened && index < transports.length - 1) {
      index++; // this transport cannot connect: fall back at once
      return schedule(0, false, error);
    }
    if (!end.opened) index = 0; // none could: start over from the best, after a pause
    schedule(backoffDelay(failures++, backoff), false, error);
  }

  function schedule(inMs: number, refreshToken: boolean, error?: ClientError) {
    setStatus({ state: 'reconnecting', transport: transports[index]!, inMs, ...(error ? { error } : {}) });
    timer = setTimeout(() => void attempt(refreshToken), inMs);
  }

  const subscribe = (listener: (event: HubEvent) => void) => {
    eventListeners.add(listener);
    return () => void eventListeners.delete(listener);
  };

  /** Stops for good: the application must act (connect again for the new user). */
  function fail(error: ClientError) {
    if (closed) return;
    closed = true;
    generation++;
    clearTimeout(timer);
    clearTimeout(ackTimer);
    session?.close();
    tabs?.close(); // before the status, which must not reach the other tabs: it is this tab's alone
    setStatus({ state: 'failed', error });
  }

  /** Learns which user the server takes the token for, then joins that user's tabs; alone if that fails. */
  async function shareTabs() {
    // Unreachable or refused for now: connect alone, which retries and falls back as usual.
    await api.token(false).catch(() => undefined);
    if (closed) return;
    if (userId === undefined) return void attempt(false);
    tabs = joinTabGroup<Status>(`userhub:${new URL(options.url).origin}:${userId}`, userId, {
      lead: () => void attempt(false),
      follow: () => {
        generation++;
        clearTimeout(timer);
        session?.close();
        session = undefined;
      },
      frame: deliver,
      status: (next) => {
        // The leader's own ending is not this tab's.
        if (next.state !== 'closed' && next.state !== 'failed') setStatus(next);
      },
      current: () => status,
    });
  }

  if (options.shareAcrossTabs ?? canShareTabs()) void shareTabs();
  else void attempt(false);

  return {
    get userId() {
      return userId;
    },
    get lastId() {
      return lastId;
    },
    get status() {
      return status;
    },
    get role() {
      return tabs === undefined ? 'alone' : tabs.leading ? 'leader' : 'follower';
    },
    inbox: inbox.api,
    push: createPushApi(api),
    watchJob(jobId, onChange, onError) {
      return watchJob(jobId, { ...api, subscribe }, onChange, onError);
    },
    on(kind: 'event' | 'status' | 'inbox' | 'reset', listener: (value: never) => void) {
      const sets = { event: eventListeners, status: statusListeners, inbox: inboxListeners, reset: resetListeners };
      const set = sets[kind] as Set<typeof listener>;
      set.add(listener);
      if (kind === 'inbox' && status.state === 'open' && inbox.api.counts === undefined) inbox.refresh();
      return () => void set.delete(listener);
    },
    waitForJob(jobId, waitOptions) {
      return waitForJob(jobId, { ...waitOptions, ...api, subscribe });
    },
    close() {
      closed = true;
      generation++;
      clearTimeout(timer);
      clearTimeout(ackTimer);
      session?.close();
      tabs?.close(); // a leader's lock goes to the next tab, which connects at once
      setStatus({ state: 'closed' });
    },
  };
}
