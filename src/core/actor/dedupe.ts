// The actor's memory of webhook-ids: each id, the answer it got, and a
// fingerprint of the request it came with (method, target, SHA-256 of the
// signed body). A retry (same id, same fingerprint) gets the first answer; the
// same id with another fingerprint is another request and is refused, as
// Stripe refuses a reused idempotency key.

import { HubError } from '../errors.ts';
import { OwnedRows } from './ports.ts';

export interface IdempotencyKey {
  /** Standard Webhooks id. */
  webhookId: string;
  /** What the request was; rows written before fingerprints existed have none and match any. */
  fingerprint?: string;
}

export class DedupeLedger extends OwnedRows {
  /** The answer this id got, or undefined when it is new; throws 409 when it came with another request. */
  async seen<T>(key: IdempotencyKey): Promise<T | undefined> {
    const row = (await this.sql.all<{ result: string; fingerprint: string | null }>(
      `SELECT result, fingerprint FROM dedupe WHERE owner = ? AND webhook_id = ?`,
      this.owner,
      key.webhookId,
    ))[0];
    if (!row) return undefined;
    if (row.fingerprint !== null && key.fingerprint !== undefined && row.fingerprint !== key.fingerprint) {
      throw new HubError(
        'idempotency_key_reused',
        'This webhook-id was already used for a different request; send a new request with a new webhook-id.',
      );
    }
    return JSON.parse(row.result) as T;
  }

  async remember(key: IdempotencyKey, result: object, now: number): Promise<void> {
    await this.sql.run(
      `INSERT INTO dedupe (owner, webhook_id, result, created_at, fingerprint) VALUES (?, ?, ?, ?, ?)`,
      this.owner,
      key.webhookId,
      JSON.stringify(result),
      now,
      key.fingerprint ?? null,
    );
  }

  /** Forgets ids remembered at or before `before`. */
  async forget(before: number): Promise<void> {
    await this.sql.run(`DELETE FROM dedupe WHERE owner = ? AND created_at <= ?`, this.owner, before);
  }

  /** When the oldest id was remembered, or null. */
  async oldest(): Promise<number | null> {
    return (await this.sql.all<{ v: number | null }>(`SELECT min(created_at) AS v FROM dedupe WHERE owner = ?`, this.owner))[0]?.v ?? null;
  }
}
