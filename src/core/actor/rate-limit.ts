// A token bucket: `rate` tokens a second, holding at most `burst`. It lives in
// the actor's memory; an actor that is evicted and reloaded starts with a full
// bucket, which can only ever let more through, never lose an accepted event.
// Where other nodes write the same user (a cluster), every node spends from
// one bucket kept in the store instead (takeStored).

import type { SqlStore } from './ports.ts';

export class TokenBucket {
  readonly #rate: number;
  readonly #burst: number;
  #tokens: number;
  #at: number | undefined;

  /** @param rate tokens per second; 0 means unlimited. */
  constructor(rate: number, burst: number) {
    this.#rate = rate;
    this.#burst = Math.max(1, burst);
    this.#tokens = this.#burst;
  }

  /** Takes one token: 0 when granted, otherwise the milliseconds until one is free. */
  take(now: number): number {
    if (this.#rate === 0) return 0;
    if (this.#at !== undefined && now > this.#at) {
      this.#tokens = Math.min(this.#burst, this.#tokens + ((now - this.#at) * this.#rate) / 1000);
    }
    this.#at = Math.max(now, this.#at ?? now);
    if (this.#tokens >= 1) {
      this.#tokens -= 1;
      return 0;
    }
    return Math.ceil(((1 - this.#tokens) * 1000) / this.#rate);
  }

  /**
   * The same bucket kept in the store, under the user's lock: one meta row
   * holding its theoretical arrival time (GCRA: a token is free when that
   * time, one interval on, is within `burst` intervals of now), written once
   * per token taken. The answer is take()'s.
   */
  async takeStored(sql: SqlStore, owner: string, key: string, now: number): Promise<number> {
    if (this.#rate === 0) return 0;
    const interval = 1000 / this.#rate;
    return await sql.transaction(async () => {
      const row = (await sql.all<{ value: number }>(`SELECT value FROM meta WHERE owner = ? AND key = ?`, owner, key))[0];
      const arrival = Math.max(row?.value ?? now, now) + interval;
      const over = arrival - now - this.#burst * interval;
      if (over > 0) return Math.ceil(over);
      await sql.run(
        `INSERT INTO meta (owner, key, value) VALUES (?, ?, ?) ON CONFLICT (owner, key) DO UPDATE SET value = excluded.value`,
        owner,
        key,
        arrival,
      );
      return 0;
    });
  }
}
