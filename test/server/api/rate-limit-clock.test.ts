import { describe, expect, it } from 'vitest';
import { TokenBuckets } from '../../../server/api/middleware/rate-limit.js';

describe('TokenBuckets when the clock steps back (NTP, a manual correction)', () => {
  it('keeps the tokens a bucket had: a step back is no time passing, not a debt', () => {
    const clock = { now: 1_000_000 };
    const buckets = new TokenBuckets({ burst: 3, perSecond: 100 }, () => clock.now);
    expect(buckets.take('a')).toBe(0);
    clock.now -= 30 * 60_000;
    expect([1, 2, 3].map(() => buckets.take('a'))).toEqual([0, 0, 1]);
    // and refills from the new reading on
    clock.now += 10;
    expect(buckets.take('a')).toBe(0);
  });
});
