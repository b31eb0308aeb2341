// Receipts back to the publisher: when an inbox item is first received, seen
// or read, the actor queues a signed webhook for RECEIPTS_URL in its own
// SQLite (the same transaction as the change) and sends it from its
// scheduler, retried with backoff until it is answered 2xx or its time is up.
// Each receipt's webhook-id is derived from the user, the item and the kind,
// so every retry carries the same one and a receiver dedupes by it.

import type { SqlStore } from './ports.ts';

export const RECEIPT_KINDS = ['received', 'seen', 'read'] as const;
export type ReceiptKind = (typeof RECEIPT_KINDS)[number];

/** Sends one signed receipt; true when the receiver answered 2xx. Never throws. */
export type ReceiptSender = (webhookId: string, body: string) => Promise<boolean>;

export interface ReceiptSettings {
  send: ReceiptSender;
  /** How long a receipt is retried after it was queued, in seconds. */
  retrySeconds: number;
}

/** The first retry waits this long; each later one twice as long, up to RETRY_CAP_MS. */
const RETRY_BASE_MS = 1000;
const RETRY_CAP_MS = 10 * 60_000;
/** Receipts sent in one wake, at most this many at once. */
const BATCH = 20;

interface ReceiptRow {
  webhook_id: string;
  body: string;
  created_at: number;
  attempts: number;
}

/** The webhook-id of one receipt: the same for every retry, different for every user, item and kind. */
export const receiptId = (userId: string, itemId: number, kind: ReceiptKind): string => `rcpt_${kind}_${itemId}_${userId}`;

export class ReceiptOutbox {
  readonly #sql: SqlStore;
  readonly #owner: string;

  constructor(sql: SqlStore, owner: string) {
    this.#sql = sql;
    this.#owner = owner;
  }

  /** Queues a receipt, due now; one already queued under the same id stays as it is. */
  enqueue(userId: string, itemId: number, kind: ReceiptKind, at: number): void {
    const body =
      `{"type":"inbox.${kind}","timestamp":"${new Date(at).toISOString()}",` +
      `"data":{"userId":${JSON.stringify(userId)},"id":"${itemId}","${kind}At":"${new Date(at).toISOString()}"}}`;
    this.#sql.run(
      `INSERT INTO receipts (owner, webhook_id, body, created_at, attempts, due_at) VALUES (?, ?, ?, ?, 0, ?) ON CONFLICT DO NOTHING`,
      this.#owner,
      receiptId(userId, itemId, kind),
      body,
      at,
      at,
    );
  }

  due(now: number): ReceiptRow[] {
    return this.#sql.all<ReceiptRow>(
      `SELECT webhook_id, body, created_at, attempts FROM receipts WHERE owner = ? AND due_at <= ? ORDER BY due_at LIMIT ?`,
      this.#owner,
      now,
      BATCH,
    );
  }

  /** Records one attempt: a delivered receipt, or one past its time, is forgotten; another is due again after its backoff. */
  settle(row: ReceiptRow, delivered: boolean, now: number, retrySeconds: number): 'sent' | 'dropped' | 'retry' {
    const next = now + Math.min(RETRY_CAP_MS, RETRY_BASE_MS * 2 ** row.attempts);
    const outcome = delivered ? 'sent' : next > row.created_at + retrySeconds * 1000 ? 'dropped' : 'retry';
    if (outcome === 'retry') {
      this.#sql.run(
        `UPDATE receipts SET attempts = attempts + 1, due_at = ? WHERE owner = ? AND webhook_id = ?`,
        next,
        this.#owner,
        row.webhook_id,
      );
    } else {
      this.#sql.run(`DELETE FROM receipts WHERE owner = ? AND webhook_id = ?`, this.#owner, row.webhook_id);
    }
    return outcome;
  }

  /** When the next queued receipt is due, or null. */
  nextDue(): number | null {
    return this.#sql.all<{ t: number | null }>(`SELECT min(due_at) AS t FROM receipts WHERE owner = ?`, this.#owner)[0]?.t ?? null;
  }

  erase(): void {
    this.#sql.run(`DELETE FROM receipts WHERE owner = ?`, this.#owner);
  }
}
