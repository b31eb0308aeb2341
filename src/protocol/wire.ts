// The wire protocol shared by every transport: frame shapes, control types,
// close codes and identifier rules. Clients are written against this file.

/**
 * The version of this protocol. The server states it (`hub.ready`'s
 * `protocol`, GET /v1/health); a client sends the version it speaks in the
 * Hub-Protocol header (on a WebSocket, the subprotocol `userhub.v<N>`). A
 * version the server does not speak is refused with 400 unsupported_protocol.
 * Breaking changes to frames, routes or codes raise it (CHANGELOG.md).
 */
export const PROTOCOL_VERSION = 1;
export const PROTOCOL_HEADER = 'Hub-Protocol';
/** Versions this server answers. */
export const SUPPORTED_PROTOCOLS: readonly number[] = [1];

/**
 * The ways a client receives a user's events, in the order the client library
 * falls back through them. The list every other one is built from.
 */
export const CLIENT_TRANSPORTS = ['websocket', 'sse', 'poll'] as const;
export type ClientTransport = (typeof CLIENT_TRANSPORTS)[number];

/** Event ids travel as decimal strings so clients never lose precision. */
export type EventId = string;

/** A stored event as every transport delivers it. */
export interface Notification<Data = unknown> {
  id: EventId;
  type: string;
  data: Data;
  /** ISO 8601 time the event was accepted. */
  time: string;
}

/** Any frame a client receives: a notification (has `id`) or a control frame (`hub.*`, no `id`). */
export interface Frame {
  id?: EventId;
  type: string;
  data?: unknown;
  time?: string;
}

/** The data of `hub.reset`: why the server could not resume from the client's last id. */
export interface ResetInfo {
  reason: 'not_retained' | 'unknown_id';
  after: EventId;
  lastId: EventId;
}

/** A user's live connections by transport; parked job long polls count as polls. */
export interface Presence {
  online: boolean;
  /** By transport; parked job long polls count as polls. */
  connections: Record<ClientTransport, number>;
}

/** Control frames never carry an `id` and their type always starts with `hub.`. */
export const CONTROL_PREFIX = 'hub.';
/**
 * Event types only the service emits: `hub.` control frames, `inbox.` changes
 * of the inbox, `job.` changes of a job. A publish may not use them.
 */
export const RESERVED_TYPE_PREFIXES = [CONTROL_PREFIX, 'inbox.', 'job.'] as const;
export const isReservedType = (type: string): boolean => RESERVED_TYPE_PREFIXES.some((prefix) => type.startsWith(prefix));
/** Sent after replay: everything older has been delivered, live events follow. */
export const HUB_READY = 'hub.ready';
/** The resume point is no longer retained: events were missed, refetch state. */
export const HUB_RESET = 'hub.reset';
/** A client frame was not understood. The connection stays open. */
export const HUB_ERROR = 'hub.error';
/** The session ends at `expiresAt` unless the client sends a fresh ticket (`{"type":"auth"}`). */
export const HUB_EXPIRING = 'hub.expiring';
/** A fresh ticket was accepted: the session now ends at `expiresAt`. */
export const HUB_AUTH = 'hub.auth';
/** On SSE, the last frame before the server ends the stream for a reason: the close code a WebSocket would get. */
export const HUB_CLOSED = 'hub.closed';

/** The data of `hub.expiring` and `hub.auth`. */
export interface SessionInfo {
  /** ISO 8601: when the connection closes (4401) unless refreshed. */
  expiresAt: string;
}

/** The data of `hub.closed`. */
export interface ClosedInfo {
  code: number;
  reason: string;
}

/**
 * The subprotocol the server echoes on every accepted WebSocket. Clients that
 * authenticate through `Sec-WebSocket-Protocol` send it together with
 * `TOKEN_PROTOCOL_PREFIX + <jwt>`; the token itself is never echoed.
 */
export const WS_PROTOCOL = 'userhub.v1';
export const TOKEN_PROTOCOL_PREFIX = 'userhub.token.';

/**
 * WebSocket close codes. 4000-4499: reconnect (with backoff) and resume from the
 * last id. 4500-4999: do not reconnect without fixing something first.
 */
export const CloseCode = {
  /** Normal closure requested by either side. */
  normal: 1000,
  /** The server is going away (deploy, restart): reconnect and resume. */
  goingAway: 1001,
  /** Too many invalid or too many client frames (MAX_INVALID_CLIENT_FRAMES, CLIENT_FRAME_RATE): fix the client. */
  policyViolation: 1008,
  /** A client frame was larger than MAX_CLIENT_FRAME_BYTES: fix the client. */
  messageTooBig: 1009,
  /** Generic "reconnect and resume" from the server. */
  reconnect: 4000,
  /** The client did not read fast enough; reconnect and resume from last id. */
  slowConsumer: 4008,
  /** The replay was cut at REPLAY_MAX_BYTES: reconnect at once, without backoff, from the last id. */
  resumeNow: 4009,
  /** The session expired or its refresh was refused: get a fresh token, reconnect and resume. */
  unauthorized: 4401,
  /** The service ended the session (a kick, a revoke, an erased user): do not reconnect. */
  ended: 4503,
} as const;

/** Close codes 4500-4999 mean: do not reconnect without fixing something first. */
export const isStopCode = (code: number): boolean => code >= 4500 && code <= 4999;

/**
 * Bytes queued for a client that does not read before its connection is cut
 * (an SSE stream ends; a WebSocket on a standalone host closes with 4008). It
 * reconnects and resumes from its last id: memory per connection stays
 * bounded and nothing is lost.
 */
export const SLOW_CONSUMER_BYTES = 1024 * 1024;

/** Largest frame a client may send over a WebSocket (an `auth` frame with its ticket is under 400 bytes). */
export const MAX_CLIENT_FRAME_BYTES = 4096;
/** Frames a connection may send that are not understood; the next one closes it with 1008. */
export const MAX_INVALID_CLIENT_FRAMES = 10;
/** Client frames per second a connection may send, sustained, and at once; above it closes with 1008. */
export const CLIENT_FRAME_RATE = { perSecond: 5, burst: 20 } as const;

/** User ids: what a JWT `sub` or a publisher URL may name. */
export const USER_ID_PATTERN = /^[A-Za-z0-9_][A-Za-z0-9_.:@|+=-]{0,127}$/;
/** Event types: no whitespace, no control characters, `hub.` is reserved. */
export const EVENT_TYPE_PATTERN = /^[A-Za-z0-9_][A-Za-z0-9_.:/-]{0,99}$/;
/** Standard Webhooks ids the service accepts as dedupe keys. */
export const WEBHOOK_ID_PATTERN = /^[\x21-\x7e]{1,128}$/;

export const isUserId = (value: string): boolean => USER_ID_PATTERN.test(value);

/** Largest event id a client may name: ids stay exact in a JS number. */
export const MAX_EVENT_ID = 9_007_199_254_740_991; // Number.MAX_SAFE_INTEGER, as a literal a bundler can drop

/** Parses a resume point (`?after=`, `Last-Event-ID`); `undefined` when absent. */
export function parseEventId(value: string | null | undefined): number | undefined | null {
  if (value === null || value === undefined || value === '') return undefined;
  if (!/^(0|[1-9][0-9]{0,15})$/.test(value)) return null;
  const id = Number(value);
  return id <= MAX_EVENT_ID ? id : null;
}

/** Builds a control frame. */
export function controlFrame(type: string, data: unknown): string {
  return JSON.stringify({ type, data });
}

/** Job ids: what a publisher may name in `/jobs/:jobId`. */
export const JOB_ID_PATTERN = USER_ID_PATTERN;
export const isJobId = (value: string): boolean => JOB_ID_PATTERN.test(value);

export const JOB_STATUSES = ['queued', 'running', 'succeeded', 'failed', 'canceled'] as const;
export type JobStatus = (typeof JOB_STATUSES)[number];
/** A job in one of these states never changes again. */
export const TERMINAL_STATUSES: ReadonlySet<JobStatus> = new Set(['succeeded', 'failed', 'canceled']);

/** A job as clients and publishers see it. */
export interface Job {
  id: string;
  status: JobStatus;
  progress: number | null;
  result: unknown;
  error: unknown;
  version: number;
  createdAt: string;
  updatedAt: string;
}

/** What a publish (or a notification) answers. */
export interface PublishResult {
  /** The event's id (for a notification, the inbox item's too). */
  id: EventId;
  /** Live connections the event was written to. */
  delivered: number;
  /** A retried webhook-id: the first answer, nothing stored again. */
  duplicate?: true;
}

/** The one path a WebSocket upgrade may name; every host refuses an upgrade of any other. */
export const CONNECT_PATH = '/v1/connect';

/** What GET /v1/users/:userId/stats answers: presence, the log, jobs by status. */
export interface UserStats extends Presence {
  lastEventId: EventId;
  retainedEvents: number;
  /** The first id a resume point may name without a reset; null when nothing is retained. */
  oldestRetainedId: EventId | null;
  jobs: Record<JobStatus, number>;
  inbox: InboxCounts;
}

/** Set on long-poll answers whose wait ran out with nothing new. */
export const TIMED_OUT_HEADER = 'Hub-Timed-Out';

/** Longest a long poll (`wait=`) may park, in seconds. */
export const MAX_WAIT_SECONDS = 30;
/** Most events one poll answer carries; `more: true` says there are others. */
export const POLL_PAGE_SIZE = 100;
/** Most users one batch publish may name. */
export const MAX_BATCH_USERS = 1000;

/** A new inbox item; the event's data is the item (with `counts`, and `replaces` when it collapsed an older one). */
export const INBOX_CREATED = 'inbox.created';
/** Items changed state (seen, read, unread, archived); the data carries the new counts and each changed item's state. */
export const INBOX_CHANGED = 'inbox.changed';

/** What a user's inbox holds, not counting archived items. */
export interface InboxCounts {
  unread: number;
  unseen: number;
  total: number;
}

/** One inbox item as clients and publishers see it. Times are ISO 8601, null until they happen. */
export interface InboxItem<Data = unknown> {
  /** The id of the `inbox.created` event that announced it. */
  id: EventId;
  type: string;
  title: string | null;
  body: string | null;
  url: string | null;
  data: Data | null;
  category: string | null;
  collapseKey: string | null;
  createdAt: string;
  /** First written to a live connection of the user. */
  deliveredAt: string | null;
  /** First acknowledged by a client (`ack`): the client said it has it. */
  receivedAt: string | null;
  seenAt: string | null;
  readAt: string | null;
  archivedAt: string | null;
  /** First accepted by a push service (Web Push), for a user who was not connected. */
  pushedAt: string | null;
}

/** The data of `inbox.created`. */
export interface InboxCreated extends InboxItem {
  counts: InboxCounts;
  /** The unread item with the same collapse key that this one replaced, if any. */
  replaces?: EventId;
}

/** The data of `inbox.changed`. */
export interface InboxChanged {
  counts: InboxCounts;
  items: Array<Pick<InboxItem, 'id' | 'seenAt' | 'readAt' | 'archivedAt'>>;
}

export const INBOX_STATUSES = ['unread', 'unseen', 'all', 'archived'] as const;
export type InboxStatus = (typeof INBOX_STATUSES)[number];
/** What the client may do to inbox items. */
export const INBOX_ACTIONS = ['seen', 'read', 'unread', 'archive'] as const;
export type InboxAction = (typeof INBOX_ACTIONS)[number];
/** Most ids one inbox change may name, and most items one page lists. */
export const MAX_INBOX_IDS = 100;
/** Inbox changes (and HTTP acknowledgements) one user may make a second, sustained, and at once. */
export const INBOX_WRITE_RATE = { perSecond: 10, burst: 50 } as const;

/** GET /v1/inbox's answer. */
export interface InboxPage {
  items: InboxItem[];
  counts: InboxCounts;
  /** Pass as `before` for the next (older) page; null on the last. */
  next: EventId | null;
}

/** What an inbox change answers: the ids it changed, those it did not know, and the counts after it. */
export interface InboxChangeResult {
  changed: EventId[];
  unknown: EventId[];
  counts: InboxCounts;
}
