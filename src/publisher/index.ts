// The backend helper: signs requests per Standard Webhooks and sends events,
// job updates and presence reads, retrying what is safe to retry.

import { signWebhook } from '../core/auth/webhook-signature.ts';
import { ERRORS, isErrorCode } from '../protocol/errors.ts';
import type { Presence, UserStats } from '../protocol/wire.ts';

export type { Presence, UserStats };

export interface PublisherOptions {
  /** Base URL of the service. */
  url: string;
  /** `whsec_…` signing secret (WEBHOOK_SECRET). */
  secret: string;
  /** Retries after the first attempt for network errors, 429 and 5xx. Default 4. */
  retries?: number;
  /** First retry delay in ms, doubled each time (with jitter). Default 250. */
  backoffMs?: number;
  fetch?: typeof fetch;
}

export interface SendOptions {
  /**
   * The webhook-id: the service delivers each one at most once per user.
   * Default: a new random id per call, reused by that call's retries.
   */
  idempotencyKey?: string;
}

export interface PublishResult {
  id: string;
  delivered: number;
  duplicate?: true;
}

export interface JobUpdate {
  status: 'queued' | 'running' | 'succeeded' | 'failed' | 'canceled';
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

/** Most users one batch request may name; publishMany splits larger lists. */
const BATCH_SIZE = 1000;

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
  const { url, secret, retries = 4, backoffMs = 250 } = options;
  const fetchImpl = options.fetch ?? globalThis.fetch.bind(globalThis);
  const base = url.replace(/\/+$/, '');

  async function send<T>(method: string, path: string, body: unknown, sendOptions: SendOptions = {}): Promise<T> {
    const id = sendOptions.idempotencyKey ?? `msg_${crypto.randomUUID()}`;
    const text = body === undefined ? '' : JSON.stringify(body);
    for (let attempt = 0; ; attempt++) {
      // Each attempt gets a fresh timestamp and the same webhook-id, so a retry
      // of a request that did land is answered as a duplicate, never delivered twice.
      const headers: Record<string, string> = await signWebhook(secret, id, text);
      if (body !== undefined) headers['Content-Type'] = 'application/json';
      let error: PublisherError;
      let retryAfterMs: number | undefined;
      try {
        const response = await fetchImpl(`${base}${path}`, { method, headers, body: body === undefined ? undefined : text });
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
      send<PublishResult>('POST', `${userPath(userId)}/events`, { type, data }, sendOptions),

    /** Creates or updates a job; each accepted change emits `job.<status>` (or `job.progress`). */
    updateJob: (userId: string, jobId: string, update: JobUpdate, sendOptions?: SendOptions) =>
      send<JobUpdateResult>('PUT', `${userPath(userId)}/jobs/${encodeURIComponent(jobId)}`, update, sendOptions),

    /** Whether the user is connected, by transport. */
    presence: (userId: string) => send<Presence>('GET', `${userPath(userId)}/presence`, undefined),

    /** One event to many users, each through its own actor, in batches of 1,000. */
    async publishMany(userIds: string[], type: string, data?: unknown, sendOptions?: SendOptions) {
      const key = sendOptions?.idempotencyKey ?? `msg_${crypto.randomUUID()}`;
      const results: BatchResult[] = [];
      for (let i = 0; i < userIds.length; i += BATCH_SIZE) {
        const userIdsChunk = userIds.slice(i, i + BATCH_SIZE);
        // Dedupe is per user, so every chunk can share the one key.
        const answer = await send<{ results: BatchResult[] }>('POST', '/v1/events:batch', { userIds: userIdsChunk, type, data }, { idempotencyKey: key });
        results.push(...answer.results);
      }
      return results;
    },
  };
}

export type Publisher = ReturnType<typeof createPublisher>;
