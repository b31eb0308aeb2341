// Spent connection tickets: a ticket opens one connection, once. Each nonce is
// kept until its ticket would have expired anyway, then forgotten.

import { OwnedRows } from './ports.ts';

export class TicketLedger extends OwnedRows {
  /** Marks a ticket as spent; false when it was spent before. */
  async redeem(nonce: string, expiresAt: number): Promise<boolean> {
    return await this.sql.transaction(async () => {
      if ((await this.sql.all(`SELECT 1 FROM tickets WHERE owner = ? AND nonce = ?`, this.owner, nonce)).length > 0) return false;
      await this.sql.run(`INSERT INTO tickets (owner, nonce, expires_at) VALUES (?, ?, ?)`, this.owner, nonce, expiresAt);
      return true;
    });
  }

  /** Forgets every spent ticket (an erase, which also revokes what they were issued from). */
  async erase(): Promise<void> {
    await this.sql.run(`DELETE FROM tickets WHERE owner = ?`, this.owner);
  }

  /** Forgets tickets expired at `now` (ms). */
  async forget(now: number): Promise<void> {
    await this.sql.run(`DELETE FROM tickets WHERE owner = ? AND expires_at <= ?`, this.owner, Math.floor(now / 1000));
  }

  /** When the last kept ticket expires (ms), or null. */
  async lastExpiry(): Promise<number | null> {
    const at = (await this.sql.all<{ v: number | null }>(`SELECT max(expires_at) AS v FROM tickets WHERE owner = ?`, this.owner))[0]?.v;
    return at === null || at === undefined ? null : at * 1000;
  }
}
