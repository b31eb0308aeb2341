// Web Push for a user who is not connected: the user's push subscriptions
// (one per browser), and the queue of pushes the actor owes, each sent from
// its scheduler and retried with backoff. What to push and when is decided in
// hub.ts (no live connection at publish time, or no receipt by `after`); the
// encryption and VAPID signature are the sender's (push-sender.ts).

import type { SqlStore } from './ports.ts';

/** A browser's PushSubscription as stored: its endpoint and its keys (base64url). */
export interface PushSubscriptionRecord {
  endpoint: string;
  p256dh: string;
  auth: string;
}

/** The per-notification push options a publisher may give. */
export interface PushOptions {
  /** Push only if no client acknowledged the item by then (seconds after it was created). */
  after?: number;
  /** How long the push service keeps the message for an offline browser, seconds. */
  ttl?: number;
  urgency?: 'very-low' | 'low' | 'normal' | 'high';
}

/** How a push service answered: an HTTP status, or null when it could not be reached. */
export type PushStatus = number | null;

/** Encrypts and signs one push and sends it to the subscription's endpoint. Never throws. */
export type PushSender = (
  subscription: PushSubscriptionRecord,
  payload: string,
  options: { ttl: number; urgency?: PushOptions['urgency']; topic?: string },
) => Promise<PushStatus>;

/** Most push subscriptions one user keeps; a new one beyond it replaces the oldest. */
export const MAX_PUSH_SUBSCRIPTIONS = 10;
/** Retries of one push that met 429, 5xx or no answer, before it is dropped. */
export const MAX_PUSH_ATTEMPTS = 6;
const RETRY_BASE_MS = 2000;
const RETRY_CAP_MS = 5 * 60_000;
/** Pushes sent in one wake. */
const BATCH = 20;

export interface QueuedPush {
  item_id: number;
  endpoint: string;
  attempts: number;
  /** 1: send only if the item has no receivedAt by then (`after`). */
  unless_received: number;
  /** 1: the push service refused the full payload as too large (413): send the short form. */
  shrunk: number;
}

export class PushStore {
  readonly #sql: SqlStore;
  readonly #owner: string;

  constructor(sql: SqlStore, owner: string) {
    this.#sql = sql;
    this.#owner = owner;
  }

  /** Adds (or renews) a subscription; beyond MAX_PUSH_SUBSCRIPTIONS the oldest goes. */
  subscribe(subscription: PushSubscriptionRecord, now: number): void {
    this.#sql.run(
      `INSERT INTO push_subscriptions (owner, endpoint, p256dh, auth, created_at) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (owner, endpoint) DO UPDATE SET p256dh = excluded.p256dh, auth = excluded.auth, created_at = excluded.created_at`,
      this.#owner,
      subscription.endpoint,
      subscription.p256dh,
      subscription.auth,
      now,
    );
    this.#sql.run(
      `DELETE FROM push_subscriptions WHERE owner = ? AND endpoint IN (
         SELECT endpoint FROM push_subscriptions WHERE owner = ? ORDER BY created_at DESC, endpoint LIMIT -1 OFFSET ?)`,
      this.#owner,
      this.#owner,
      MAX_PUSH_SUBSCRIPTIONS,
    );
  }

  /** Removes one subscription and what was queued for it; true when there was one. */
  unsubscribe(endpoint: string): boolean {
    const had = this.subscription(endpoint) !== null;
    this.#sql.run(`DELETE FROM push_subscriptions WHERE owner = ? AND endpoint = ?`, this.#owner, endpoint);
    this.#sql.run(`DELETE FROM push_queue WHERE owner = ? AND endpoint = ?`, this.#owner, endpoint);
    return had;
  }

  subscription(endpoint: string): PushSubscriptionRecord | null {
    return this.#sql.all<PushSubscriptionRecord>(`SELECT endpoint, p256dh, auth FROM push_subscriptions WHERE owner = ? AND endpoint = ?`, this.#owner, endpoint)[0] ?? null;
  }

  count(): number {
    return this.#sql.all<{ n: number }>(`SELECT count(*) AS n FROM push_subscriptions WHERE owner = ?`, this.#owner)[0]?.n ?? 0;
  }

  /** Queues one push of the item to every subscription, due at `dueAt`. */
  enqueue(itemId: number, dueAt: number, unlessReceived: boolean): number {
    const endpoints = this.#sql.all<{ endpoint: string }>(`SELECT endpoint FROM push_subscriptions WHERE owner = ?`, this.#owner);
    for (const { endpoint } of endpoints) {
      this.#sql.run(
        `INSERT INTO push_queue (owner, item_id, endpoint, due_at, attempts, unless_received, shrunk) VALUES (?, ?, ?, ?, 0, ?, 0) ON CONFLICT DO NOTHING`,
        this.#owner,
        itemId,
        endpoint,
        dueAt,
        unlessReceived ? 1 : 0,
      );
    }
    return endpoints.length;
  }

  due(now: number): QueuedPush[] {
    return this.#sql.all<QueuedPush>(
      `SELECT item_id, endpoint, attempts, unless_received, shrunk FROM push_queue WHERE owner = ? AND due_at <= ? ORDER BY due_at LIMIT ?`,
      this.#owner,
      now,
      BATCH,
    );
  }

  /** Done with one queued push (sent, or given up). */
  done(push: QueuedPush): void {
    this.#sql.run(`DELETE FROM push_queue WHERE owner = ? AND item_id = ? AND endpoint = ?`, this.#owner, push.item_id, push.endpoint);
  }

  /** Tries one again later: after a backoff (or the service's Retry-After), or at once in its short form. */
  retry(push: QueuedPush, now: number, shrink = false): boolean {
    if (!shrink && push.attempts + 1 >= MAX_PUSH_ATTEMPTS) {
      this.done(push);
      return false;
    }
    const at = shrink ? now : now + Math.min(RETRY_CAP_MS, RETRY_BASE_MS * 2 ** push.attempts);
    this.#sql.run(
      `UPDATE push_queue SET attempts = attempts + ?, due_at = ?, shrunk = shrunk + ? WHERE owner = ? AND item_id = ? AND endpoint = ?`,
      shrink ? 0 : 1,
      at,
      shrink ? 1 : 0,
      this.#owner,
      push.item_id,
      push.endpoint,
    );
    return true;
  }

  nextDue(): number | null {
    return this.#sql.all<{ t: number | null }>(`SELECT min(due_at) AS t FROM push_queue WHERE owner = ?`, this.#owner)[0]?.t ?? null;
  }

  /** Forgets every subscription and queued push (erasure, a revoke). */
  erase(): number {
    const count = this.count();
    this.#sql.run(`DELETE FROM push_subscriptions WHERE owner = ?`, this.#owner);
    this.#sql.run(`DELETE FROM push_queue WHERE owner = ?`, this.#owner);
    return count;
  }
}
