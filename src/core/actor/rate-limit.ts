// A token bucket: `rate` tokens a second, holding at most `burst`. It lives in
// the actor's memory; an actor that is evicted and reloaded starts with a full
// bucket, which can only ever let more through, never lose an accepted event.

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
}
