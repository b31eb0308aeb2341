// Web Push for a user who is not connected: the user's push subscriptions
// (one per browser), and the queue of pushes the actor owes, each sent from
// its scheduler and retried with backoff. What to push and when is decided in
// features/push.ts (no live connection at publish time, or no receipt by `after`); the
// encryption and VAPID signature are the sender's (push-sender.ts).

import { bytesToBase64Url } from '../../shared/base64.ts';
import { sha256 } from '../../shared/crypto.ts';
import type { PushObservation } from '../observability/observer.ts';
import type { Inbox, PushOptions, StoredItem } from './inbox.ts';
import type { Serial } from './receipts.ts';

export type { PushOptions } from './inbox.ts';
import { OwnedRows, type SqlStore } from './ports.ts';
import { LEASE_MS } from './schedule.ts';

/** A browser's PushSubscription as stored: its endpoint and its keys (base64url). */
export interface PushSubscriptionRecord {
  endpoint: string;
  p256dh: string;
  auth: string;
}

/** The per-notification push options a publisher may give. */

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

export class PushStore extends OwnedRows {
  /** Adds (or renews) a subscription; beyond MAX_PUSH_SUBSCRIPTIONS the oldest goes. */
  async subscribe(subscription: PushSubscriptionRecord, now: number): Promise<void> {
    await this.sql.run(
      `INSERT INTO push_subscriptions (owner, endpoint, p256dh, auth, created_at) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (owner, endpoint) DO UPDATE SET p256dh = excluded.p256dh, auth = excluded.auth, created_at = excluded.created_at`,
      this.owner,
      subscription.endpoint,
      subscription.p256dh,
      subscription.auth,
      now,
    );
    await this.sql.run(
      `DELETE FROM push_subscriptions WHERE owner = ? AND endpoint IN (
         SELECT endpoint FROM push_subscriptions WHERE owner = ? ORDER BY created_at DESC, endpoint LIMIT -1 OFFSET ?)`,
      this.owner,
      this.owner,
      MAX_PUSH_SUBSCRIPTIONS,
    );
  }

  /** Removes one subscription and what was queued for it; true when there was one. */
  async unsubscribe(endpoint: string): Promise<boolean> {
    const had = (await this.subscription(endpoint)) !== null;
    await this.sql.run(`DELETE FROM push_subscriptions WHERE owner = ? AND endpoint = ?`, this.owner, endpoint);
    await this.sql.run(`DELETE FROM push_queue WHERE owner = ? AND endpoint = ?`, this.owner, endpoint);
    return had;
  }

  async subscription(endpoint: string): Promise<PushSubscriptionRecord | null> {
    return (await this.sql.all<PushSubscriptionRecord>(`SELECT endpoint, p256dh, auth FROM push_subscriptions WHERE owner = ? AND endpoint = ?`, this.owner, endpoint))[0] ?? null;
  }

  async count(): Promise<number> {
    return (await this.sql.all<{ n: number }>(`SELECT count(*) AS n FROM push_subscriptions WHERE owner = ?`, this.owner))[0]?.n ?? 0;
  }

  /** Queues one push of the item to every subscription, due at `dueAt`. */
  async enqueue(itemId: number, dueAt: number, unlessReceived: boolean): Promise<number> {
    const endpoints = await this.sql.all<{ endpoint: string }>(`SELECT endpoint FROM push_subscriptions WHERE owner = ?`, this.owner);
    for (const { endpoint } of endpoints) {
      await this.sql.run(
        `INSERT INTO push_queue (owner, item_id, endpoint, due_at, attempts, unless_received, shrunk) VALUES (?, ?, ?, ?, 0, ?, 0) ON CONFLICT DO NOTHING`,
        this.owner,
        itemId,
        endpoint,
        dueAt,
        unlessReceived ? 1 : 0,
      );
    }
    return endpoints.length;
  }

  /** Claims what is due, as ReceiptOutbox.claim does: held for LEASE_MS, one more attempt counted, due again if this process dies sending. */
  async claim(now: number): Promise<QueuedPush[]> {
    const pushes = await this.sql.all<QueuedPush>(
      `SELECT item_id, endpoint, attempts, unless_received, shrunk FROM push_queue WHERE owner = ? AND due_at <= ? ORDER BY due_at LIMIT ?`,
      this.owner,
      now,
      BATCH,
    );
    for (const push of pushes) {
      await this.sql.run(
        `UPDATE push_queue SET attempts = ?, due_at = ? WHERE owner = ? AND item_id = ? AND endpoint = ?`,
        push.attempts + 1,
        now + LEASE_MS,
        this.owner,
        push.item_id,
        push.endpoint,
      );
    }
    return pushes;
  }

  /** Done with one queued push (sent, or given up). */
  async done(push: QueuedPush): Promise<void> {
    await this.sql.run(`DELETE FROM push_queue WHERE owner = ? AND item_id = ? AND endpoint = ?`, this.owner, push.item_id, push.endpoint);
  }

  /** Tries one again later: after a backoff (or the service's Retry-After), or at once in its short form. */
  async retry(push: QueuedPush, now: number, shrink = false): Promise<boolean> {
    if (!shrink && push.attempts + 1 >= MAX_PUSH_ATTEMPTS) {
      await this.done(push);
      return false;
    }
    const at = shrink ? now : now + Math.min(RETRY_CAP_MS, RETRY_BASE_MS * 2 ** push.attempts);
    await this.sql.run(
      `UPDATE push_queue SET attempts = ?, due_at = ?, shrunk = shrunk + ? WHERE owner = ? AND item_id = ? AND endpoint = ?`,
      shrink ? push.attempts : push.attempts + 1, // the short form's retry is not counted
      at,
      shrink ? 1 : 0,
      this.owner,
      push.item_id,
      push.endpoint,
    );
    return true;
  }

  async nextDue(): Promise<number | null> {
    return (await this.sql.all<{ t: number | null }>(`SELECT min(due_at) AS t FROM push_queue WHERE owner = ?`, this.owner))[0]?.t ?? null;
  }

  /** Forgets every subscription and queued push (erasure, a revoke). */
  async erase(): Promise<number> {
    const count = await this.count();
    await this.sql.run(`DELETE FROM push_subscriptions WHERE owner = ?`, this.owner);
    await this.sql.run(`DELETE FROM push_queue WHERE owner = ?`, this.owner);
    return count;
  }
}

/** RFC 8030 Topic for a collapse key: its SHA-256, URL-safe base64, the first 32 characters. */
export async function pushTopic(collapseKey: string): Promise<string> {
  return bytesToBase64Url(await sha256(collapseKey)).slice(0, 32);
}

/** What one attempt came to: a push service's status, no answer (null), or nothing left to send. */
type Attempt = number | null | 'skip';

/**
 * Sends the pushes that are due and records each answer: 2xx sets the
 * item's pushedAt; 404 or 410 removes the subscription; 413 retries once
 * with the short payload; 429, 5xx or no answer retry with backoff, at most
 * MAX_PUSH_ATTEMPTS times; anything else gives up. Every attempt is reported.
 */
export class PushDelivery {
  readonly #sql: SqlStore;
  readonly #store: PushStore;
  readonly #inbox: Inbox;
  readonly #send: PushSender;
  readonly #report: (push: Omit<PushObservation, 'userId'>) => void;
  /** A round is running: another one waits for the next wake instead of sending the same rows twice. */
  #sending = false;

  constructor(sql: SqlStore, store: PushStore, inbox: Inbox, send: PushSender, report: (push: Omit<PushObservation, 'userId'>) => void) {
    this.#sql = sql;
    this.#store = store;
    this.#inbox = inbox;
    this.#send = send;
    this.#report = report;
  }

  /** One round: the pushes due at `now`, at most a batch, sent at once and settled in one transaction. */
  async round(now: number, serial: Serial): Promise<boolean> {
    if (this.#sending) return false;
    this.#sending = true;
    try {
      // What to send is read as one call of the actor, sent outside any call, and settled as another.
      const due = await serial(async () => {
        const pushes = await this.#sql.transaction(() => this.#store.claim(now));
        return Promise.all(pushes.map(async (push) => ({ push, item: await this.#inbox.get(push.item_id), subscription: await this.#store.subscription(push.endpoint) })));
      });
      const attempts = await Promise.all(due.map(async (found) => ({ push: found.push, status: await this.#attempt(found) })));
      const settledAt = Math.max(now, Date.now()); // the answers took time; `now` may be a test's clock ahead of this one
      await serial(() =>
        this.#sql.transaction(async () => {
          for (const { push, status } of attempts) await this.#settle(push, status, settledAt);
        }),
      );
      return true;
    } finally {
      this.#sending = false;
    }
  }

  nextDue(): Promise<number | null> {
    return this.#store.nextDue();
  }

  /** Sends one queued push; 'skip' when there is nothing to send any more (the item or subscription is gone, or it was received). */
  async #attempt({ push, item, subscription }: { push: QueuedPush; item: StoredItem | null; subscription: PushSubscriptionRecord | null }): Promise<Attempt> {
    if (!item || !subscription || (push.unless_received === 1 && item.row.received_at !== null)) return 'skip';
    const r = item.row;
    const title = r.title ?? r.type;
    // The short form, after a 413: the id and a shortened title, which the service worker can complete from the API.
    const payload = push.shrunk
      ? JSON.stringify({ id: item.id, title: title.slice(0, 100), url: r.url })
      : JSON.stringify({ id: item.id, type: r.type, title, body: r.body, url: r.url });
    const options = item.pushOptions ?? {};
    const topic = r.collapse_key === null ? undefined : await pushTopic(r.collapse_key);
    return this.#send(subscription, payload, { ttl: options.ttl ?? 86400, urgency: options.urgency, topic });
  }

  async #settle(push: QueuedPush, status: Attempt, now: number): Promise<void> {
    let outcome: PushObservation['outcome'];
    if (status === 'skip') {
      outcome = 'skipped';
      await this.#store.done(push);
    } else if (status !== null && status >= 200 && status < 300) {
      outcome = 'sent';
      await this.#store.done(push);
      await this.#inbox.pushed(push.item_id, now);
    } else if (status === 404 || status === 410) {
      outcome = 'subscription_gone';
      await this.#store.unsubscribe(push.endpoint);
    } else if (status === 413 && !push.shrunk) {
      outcome = 'shrinking';
      await this.#store.retry(push, now, true);
    } else if (status === null || status === 429 || status >= 500) {
      outcome = (await this.#store.retry(push, now)) ? 'retrying' : 'given_up';
    } else {
      outcome = 'refused';
      await this.#store.done(push);
    }
    this.#report({ item: push.item_id, status: status === 'skip' ? null : status, outcome, attempts: push.attempts + 1 });
  }
}
