// Receipts back to the publisher: when an inbox item is first received, seen
// or read, the actor queues a signed webhook for RECEIPTS_URL in its own
// SQLite (the same transaction as the change) and sends it from its
// scheduler, retried with backoff until it is answered 2xx or its time is up.
// Each receipt's webhook-id is derived from the user, the item and the kind,
// so every retry carries the same one and a receiver dedupes by it.

import { sha256 } from '../../shared/crypto.ts';
import { bytesToBase64Url } from '../../shared/base64.ts';
import { encode } from '../json.ts';
import { OwnedRows, type SqlStore } from './ports.ts';
import { LEASE_MS } from './schedule.ts';

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
  receipt: string;
  body: string;
  created_at: number;
  attempts: number;
}

/** Longest webhook-id sent (what the service itself accepts from publishers, WEBHOOK_ID_PATTERN). */
const MAX_WEBHOOK_ID = 128;

/**
 * The webhook-id of one receipt (`key` is its row's: kind and item): the same
 * for every retry, different for every user, item and kind. `rcpt_read_42_john`;
 * with a user id too long for 128 characters, its SHA-256 in its place.
 */
export async function receiptWebhookId(userId: string, key: string): Promise<string> {
  const plain = `rcpt_${key}_${userId}`;
  if (plain.length <= MAX_WEBHOOK_ID) return plain;
  return `rcpt_${key}_h${bytesToBase64Url(await sha256(userId))}`;
}

export class ReceiptOutbox extends OwnedRows {
  /** Queues a receipt, due now; one already queued under the same id stays as it is. */
  async enqueue(userId: string, itemId: number, kind: ReceiptKind, at: number): Promise<void> {
    const time = new Date(at).toISOString();
    const body = encode({ type: `inbox.${kind}`, timestamp: time, data: { userId, id: String(itemId), [`${kind}At`]: time } });
    await this.sql.run(
      `INSERT INTO receipts (owner, receipt, body, created_at, attempts, due_at) VALUES (?, ?, ?, ?, 0, ?) ON CONFLICT DO NOTHING`,
      this.owner,
      `${kind}_${itemId}`,
      body,
      at,
      at,
    );
  }

  /**
   * Claims what is due (in the caller's transaction, committed before it is
   * sent): each row is held for LEASE_MS with one more attempt counted, so
   * no other round sends it meanwhile, and it is due again if this process
   * dies sending it (at least once; the receiver dedupes by webhook-id).
   */
  async claim(now: number): Promise<ReceiptRow[]> {
    const rows = await this.sql.all<ReceiptRow>(
      `SELECT receipt, body, created_at, attempts FROM receipts WHERE owner = ? AND due_at <= ? ORDER BY due_at LIMIT ?`,
      this.owner,
      now,
      BATCH,
    );
    for (const row of rows) {
      await this.sql.run(`UPDATE receipts SET attempts = ?, due_at = ? WHERE owner = ? AND receipt = ?`, row.attempts + 1, now + LEASE_MS, this.owner, row.receipt);
    }
    return rows;
  }

  /** Records one attempt: a delivered receipt, or one past its time, is forgotten; another is due again after its backoff. */
  async settle(row: ReceiptRow, delivered: boolean, now: number, retrySeconds: number): Promise<'sent' | 'dropped' | 'retry'> {
    const next = now + Math.min(RETRY_CAP_MS, RETRY_BASE_MS * 2 ** row.attempts);
    const outcome = delivered ? 'sent' : next > row.created_at + retrySeconds * 1000 ? 'dropped' : 'retry';
    if (outcome === 'retry') {
      await this.sql.run(`UPDATE receipts SET due_at = ? WHERE owner = ? AND receipt = ?`, next, this.owner, row.receipt);
    } else {
      await this.sql.run(`DELETE FROM receipts WHERE owner = ? AND receipt = ?`, this.owner, row.receipt);
    }
    return outcome;
  }

  /** When the next queued receipt is due, or null. */
  async nextDue(): Promise<number | null> {
    return (await this.sql.all<{ t: number | null }>(`SELECT min(due_at) AS t FROM receipts WHERE owner = ?`, this.owner))[0]?.t ?? null;
  }

  async erase(): Promise<void> {
    await this.sql.run(`DELETE FROM receipts WHERE owner = ?`, this.owner);
  }
}

/** Runs a part of a delivery round as one call of the actor (Kernel.run). */
export type Serial = <T>(call: () => Promise<T>) => Promise<T>;

/** Sends the receipts that are due, a batch at a time, and records each answer. */
export class ReceiptDelivery {
  readonly #sql: SqlStore;
  readonly #outbox: ReceiptOutbox;
  readonly #settings: ReceiptSettings & { userId: string };
  /** A round is running: another one waits for the next wake instead of sending the same rows twice. */
  #sending = false;

  constructor(sql: SqlStore, outbox: ReceiptOutbox, settings: ReceiptSettings & { userId: string }) {
    this.#sql = sql;
    this.#outbox = outbox;
    this.#settings = settings;
  }

  /** Queues the receipt of one item's `kind`, due now (in the caller's transaction). */
  async enqueue(itemId: number, kind: ReceiptKind, at: number): Promise<void> {
    await this.#outbox.enqueue(this.#settings.userId, itemId, kind, at);
  }

  /**
   * One round: what is due, read and then settled as calls of the actor
   * (`serial`: Kernel.run), and sent between them, outside any call. False
   * when a round was running already (it asks for the next wake itself).
   */
  async round(now: number, serial: Serial): Promise<boolean> {
    if (this.#sending) return false;
    this.#sending = true;
    try {
      const { userId, send, retrySeconds } = this.#settings;
      const due = await serial(() => this.#sql.transaction(() => this.#outbox.claim(now)));
      const answers = await Promise.all(due.map(async (row) => send(await receiptWebhookId(userId, row.receipt), row.body)));
      const settledAt = Math.max(now, Date.now()); // the answers took time; `now` may be a test's clock ahead of this one
      await serial(() =>
        this.#sql.transaction(async () => {
          for (const [i, row] of due.entries()) await this.#outbox.settle(row, answers[i]!, settledAt, retrySeconds);
        }),
      );
      return true;
    } finally {
      this.#sending = false;
    }
  }

  nextDue(): Promise<number | null> {
    return this.#outbox.nextDue();
  }
}
