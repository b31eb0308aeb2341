// The backend helper: signs requests per Standard Webhooks and sends events,
// job updates and presence reads, retrying what is safe to retry. Every
// request it signs names its target (the body's userId and jobId, or
// `METHOD path?query`), so a captured copy works nowhere else.

import { signedContent, signWebhook, verifyWebhook } from '../shared/webhook-signature.ts';
import { ERRORS, isErrorCode } from '../protocol/errors.ts';
import type { InboxItem, JobStatus, Presence, PublishResult, UserStats } from '../protocol/wire.ts';

export type { InboxItem, JobStatus, Presence, PublishResult, UserStats };
export { createClientToken, type ClientTokenOptions } from './client-token.ts';

/** A receipt the service POSTed to RECEIPTS_URL: an inbox item was received, seen or read. */
export interface Receipt {
  type: 'inbox.received' | 'inbox.seen' | 'inbox.read';
  /** The same on every retry of this receipt: dedupe by it. */
  webhookId: string;
  timestamp: string;
  data: { userId: string; id: string; receivedAt?: string; seenAt?: string; readAt?: string };
}

/**
 * Reads a receipt request at your RECEIPTS_URL endpoint: verifies its
 * Standard Webhooks signature with RECEIPTS_SECRET (and its timestamp, within
 * 5 minutes) and returns the receipt, or null when it is not one the service
 * signed. Answer 2xx once it is stored; anything else is retried.
 *
 * @example
 * const receipt = await readReceipt(process.env.RECEIPTS_SECRET!, request);
 * if (!receipt) return new Response(null, { status: 401 });
 * await db.receipts.upsert(receipt.webhookId, receipt);
 */
export async function readReceipt(secret: string, request: Request): Promise<Receipt | null> {
  const body = await request.text();
  const header = (name: string) => request.headers.get(name) ?? undefined;
  const webhookId = await verifyWebhook(
    [secret],
    { id: header('webhook-id'), timestamp: header('webhook-timestamp'), signature: header('webhook-signature') },
    body,
  );
  if (webhookId === null) return null;
  try {
    const { type, timestamp, data } = JSON.parse(body) as Omit<Receipt, 'webhookId'>;
    if (!/^inbox\.(received|seen|read)$/.test(type) || typeof data?.userId !== 'string' || typeof data.id !== 'string') return null;
    return { type, webhookId, timestamp, data };
  } catch {
    return null;
  }
}

/** An inbox notification (POST /v1/users/:userId/notifications). */
export interface Notification {
  /** What happened, in the event type charset; not `hub.`, `inbox.` or `job.`. */
  type: string;
  /** At most 200 characters. */
  title?: string;
  /** At most 2,000 characters. */
  body?: string;
  /** Where the item leads: an absolute https URL or a path (at most 2,048 characters). */
  url?: string;
  data?: unknown;
  category?: string;
  /** A newer notification with the same key replaces an unread older one (and its Web Push, by Topic). */
  collapseKey?: string;
  /**
   * Web Push to the user's browsers: by default when no live connection took
   * it; `after` seconds: when no client acknowledged it by then; `false`: never.
   */
  push?: false | { after?: number; ttl?: number; urgency?: 'very-low' | 'low' | 'normal' | 'high' };
}

export interface PublisherOptions {
  /** Base URL of the service. */
  url: string;
  /** `whsec_…` signing secret (WEBHOOK_SECRET). */
  secret: string;
  /** Retries after the first attempt for network errors, 429 and 5xx. Default 4. */
  retries?: number;
  /** First retry delay in ms, doubled each time (with jitter). Default 250. */
  backoffMs?: number;
  /**
   * The service's MAX_EVENT_BYTES: publishMany keeps each batch body within it.
   * Default 65536, the service's default.
   */
  maxBodyBytes?: number;
  fetch?: typeof fetch;
}

export interface SendOptions {
  /**
   * The webhook-id: the service delivers each one at most once per user.
   * Default: a new random id per call, reused by that call's retries.
   */
  idempotencyKey?: string;
}

export interface JobUpdate {
  status: JobStatus;
  progress?: number;
  result?: unknown;
  error?: Record<string, unknown>;
}

export interface JobUpdateResult {
  job: { id: string; status: JobUpdate['status']; version: number; [key: string]: unknown };
  eventId: string | null;
  delivered: number;
  duplicate?: true;
}

export type BatchResult =
  | ({ userId: string } & PublishResult)
  | { userId: string; error: { code: string; message: string } };

/** A refused or failed request; `status` 0 for a network failure. */
export class PublisherError extends Error {
  readonly status: number;
  readonly code: string;
  readonly retryable: boolean;

  constructor(status: number, code: string, message: string) {
    super(message);
    this.name = 'PublisherError';
    this.status = status;
    this.code = code;
    // The registry decides for the service's own codes; a proxy's answer, by its status.
    this.retryable = isErrorCode(code) ? ERRORS[code].retryable : status === 0 || status === 429 || status >= 500;
  }
}

/**
 * A body for a raw publisher request, bound to the target of its path as the
 * service requires: `userId` (and `jobId`) from /v1/users/:userId[/jobs/:jobId],
 * unless the body names them itself. Anything but a JSON object is left as is.
 *
 * @example
 * bindTarget('/v1/users/john/jobs/zip-42', { status: 'running' });
 * // { userId: 'john', jobId: 'zip-42', status: 'running' }
 */
export function bindTarget(path: string, body: unknown): unknown {
  const match = /^\/v1\/users\/([^/?]+)(?:\/jobs\/([^/?]+))?/.exec(path);
  if (!match || body === null || typeof body !== 'object' || Array.isArray(body)) return body;
  const bound: Record<string, unknown> = { userId: decodeURIComponent(match[1]!) };
  if (match[2] !== undefined) bound.jobId = decodeURIComponent(match[2]);
  return { ...bound, ...(body as Record<string, unknown>) };
}

/** Most users one batch request may name; publishMany splits larger lists. */
const BATCH_SIZE = 1000;

const utf8 = new TextEncoder();

/** Splits `userIds` into batches of at most BATCH_SIZE whose JSON body stays within `maxBytes`. */
function batches(userIds: string[], type: string, data: unknown, maxBytes: number): string[][] {
  const fixed = utf8.encode(JSON.stringify({ userIds: [], type, data })).length;
  const chunks: string[][] = [];
  let chunk: string[] = [];
  let size = fixed;
  for (const userId of userIds) {
    const bytes = utf8.encode(JSON.stringify(userId)).length;
    if (chunk.length > 0 && (chunk.length === BATCH_SIZE || size + 1 + bytes > maxBytes)) {
      chunks.push(chunk);
      chunk = [];
      size = fixed;
    }
    // A comma before every id but the first.
    size += bytes + (chunk.length > 0 ? 1 : 0);
    chunk.push(userId);
  }
  if (chunk.length > 0) chunks.push(chunk);
  return chunks;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Creates a publisher.
 *
 * @example
 * const hub = createPublisher({ url: 'https://hub.example.com', secret: process.env.WEBHOOK_SECRET! });
 * await hub.updateJob('john', 'zip-42', { status: 'running', progress: 0.5 });
 * await hub.updateJob('john', 'zip-42', { status: 'succeeded', result: { url } });
 * await hub.publish('john', 'message.received', { from: 'jane' }, { idempotencyKey: 'msg_8812' });
 */
export function createPublisher(options: PublisherOptions) {
  const { url, secret, retries = 4, backoffMs = 250, maxBodyBytes = 64 * 1024 } = options;
  const fetchImpl = options.fetch ?? globalThis.fetch.bind(globalThis);
  const base = url.replace(/\/+$/, '');

  async function send<T>(method: string, path: string, body: unknown, sendOptions: SendOptions = {}): Promise<T> {
    const id = sendOptions.idempotencyKey ?? `msg_${crypto.randomUUID()}`;
    const text = body === undefined ? undefined : JSON.stringify(body);
    for (let attempt = 0; ; attempt++) {
      // Each attempt gets a fresh timestamp and the same webhook-id, so a retry
      // of a request that did land is answered as a duplicate, never delivered twice.
      // The API path is signed (`/v1/…?query`, normalised as a URL would be), not the base URL's own
      // path: a service mounted under a prefix of another Worker sees the request without it.
      const target = new URL(path, 'http://api');
      const headers: Record<string, string> = await signWebhook(secret, id, signedContent(method, `${target.pathname}${target.search}`, text));
      if (body !== undefined) headers['Content-Type'] = 'application/json';
      let error: PublisherError;
      let retryAfterMs: number | undefined;
      try {
        const response = await fetchImpl(`${base}${path}`, { method, headers, body: text });
        if (response.ok) return (await response.json()) as T;
        const parsed = (await response.json().catch(() => null)) as { error?: { code: string; message: string } } | null;
        error = new PublisherError(
          response.status,
          parsed?.error?.code ?? 'http_error',
          parsed?.error?.message ?? `${method} ${path}: HTTP ${response.status}`,
        );
        const retryAfter = Number(response.headers.get('Retry-After'));
        if (retryAfter > 0) retryAfterMs = retryAfter * 1000;
      } catch (err) {
        error = new PublisherError(0, 'network', `${method} ${path}: ${err instanceof Error ? err.message : String(err)}`);
      }
      if (!error.retryable || attempt >= retries) throw error;
      await sleep(retryAfterMs ?? backoffMs * 2 ** attempt * (0.5 + Math.random() / 2));
    }
  }

  const userPath = (userId: string) => `/v1/users/${encodeURIComponent(userId)}`;

  return {
    /** Appends an event to the user's log and delivers it to the user's live connections. */
    publish: (userId: string, type: string, data?: unknown, sendOptions?: SendOptions) =>
      send<PublishResult>('POST', `${userPath(userId)}/events`, { userId, type, data }, sendOptions),

    /** Creates or updates a job; each accepted change emits `job.<status>` (or `job.progress`). */
    updateJob: (userId: string, jobId: string, update: JobUpdate, sendOptions?: SendOptions) =>
      send<JobUpdateResult>('PUT', `${userPath(userId)}/jobs/${encodeURIComponent(jobId)}`, { userId, jobId, ...update }, sendOptions),

    /**
     * Stores a notification in the user's inbox and announces it on the
     * user's stream as `inbox.created`; the answer's `id` is the item's.
     */
    notify: (userId: string, notification: Notification, sendOptions?: SendOptions) =>
      send<PublishResult>('POST', `${userPath(userId)}/notifications`, { userId, ...notification }, sendOptions),

    /** One inbox item with its receipt times (deliveredAt, receivedAt, seenAt, readAt, archivedAt). */
    getNotification: (userId: string, id: string) =>
      send<InboxItem>('GET', `${userPath(userId)}/notifications/${encodeURIComponent(id)}`, undefined),

    /** Whether the user is connected, by transport. */
    presence: (userId: string) => send<Presence>('GET', `${userPath(userId)}/presence`, undefined),

    /**
     * Closes every connection of the user with 4503 (the client library stops);
     * with `revoke`, every credential of the user issued before now is refused too.
     */
    endSessions: (userId: string, endOptions: { revoke?: boolean } = {}, sendOptions?: SendOptions) =>
      send<{ closed: number; duplicate?: true }>(
        'DELETE',
        `${userPath(userId)}/connections${endOptions.revoke ? '?revoke=true' : ''}`,
        undefined,
        sendOptions,
      ),

    /** Erases the user: connections ended, events, jobs and the rest deleted. */
    erase: (userId: string, sendOptions?: SendOptions) =>
      send<{ closed: number; events: number; jobs: number; notifications: number; duplicate?: true }>('DELETE', userPath(userId), undefined, sendOptions),

    /**
     * Any publisher request, signed and retried like the others: a body is
     * bound to the target of its path (bindTarget), a request without one
     * signs `METHOD path?query`. For routes without a helper of their own.
     *
     * @example
     * await hub.request('GET', '/v1/users/john/stats');
     */
    request: <T = unknown>(method: string, path: string, body?: unknown, sendOptions?: SendOptions) =>
      send<T>(method.toUpperCase(), path, body === undefined ? undefined : bindTarget(path, body), sendOptions),

    /**
     * One event to many users, each through its own actor, in batches of at most
     * 1,000 users whose body stays within `maxBodyBytes`.
     */
    async publishMany(userIds: string[], type: string, data?: unknown, sendOptions?: SendOptions) {
      const key = sendOptions?.idempotencyKey ?? `msg_${crypto.randomUUID()}`;
      const results: BatchResult[] = [];
      // Dedupe is per user and fingerprints each user's share, so every chunk can share the one key.
      for (const chunk of batches(userIds, type, data, maxBodyBytes)) {
        const answer = await send<{ results: BatchResult[] }>('POST', '/v1/events:batch', { userIds: chunk, type, data }, { idempotencyKey: key });
        results.push(...answer.results);
      }
      return results;
    },
  };
}

export type Publisher = ReturnType<typeof createPublisher>;
