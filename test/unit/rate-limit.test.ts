import { describe, expect, it } from 'vitest';
import { TokenBucket } from '../../src/core/actor/rate-limit.ts';

describe('the publish token bucket', () => {
  it('grants the burst at once, then the rate, and says how long to wait', () => {
    const bucket = new TokenBucket(10, 3);
    expect([bucket.take(0), bucket.take(0), bucket.take(0)]).toEqual([0, 0, 0]);
    expect(bucket.take(0)).toBe(100);
    expect(bucket.take(50)).toBe(50);
    expect(bucket.take(100)).toBe(0);
    // Refills never exceed the burst.
    expect([0, 0, 0, 1].map(() => bucket.take(60_000))).toEqual([0, 0, 0, 100]);
  });

  it('is off at rate 0, and a clock going backwards grants nothing extra', () => {
    const off = new TokenBucket(0, 1);
    for (let i = 0; i < 1000; i++) expect(off.take(0)).toBe(0);
    const bucket = new TokenBucket(1, 1);
    expect(bucket.take(10_000)).toBe(0);
    expect(bucket.take(5_000)).toBeGreaterThan(0);
    expect(bucket.take(10_500)).toBe(500);
  });
});
