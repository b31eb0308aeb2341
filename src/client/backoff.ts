// Capped exponential backoff with full jitter: a reconnect storm spreads out.

export interface BackoffOptions {
  /** First delay's ceiling, in ms. */
  baseMs: number;
  /** Largest delay, in ms. */
  capMs: number;
}

/** The delay before attempt number `attempt` (0-based). */
export function backoffDelay(attempt: number, { baseMs, capMs }: BackoffOptions, random = Math.random): number {
  return Math.round(random() * Math.min(capMs, baseMs * 2 ** attempt));
}
