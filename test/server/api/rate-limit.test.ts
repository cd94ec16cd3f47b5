import { describe, expect, it } from 'vitest';
import { TokenBuckets } from '../../../server/api/middleware/rate-limit.js';

describe('TokenBuckets', () => {
  it('allows the burst, then says how long to wait; refills at the rate', () => {
    const clock = { now: 0 };
    const buckets = new TokenBuckets({ burst: 3, perSecond: 2 }, () => clock.now);
    expect([1, 2, 3, 4].map(() => buckets.take('a'))).toEqual([0, 0, 0, 1]);
    expect(buckets.take('b')).toBe(0); // each key its own bucket
    clock.now += 500; // one token back
    expect(buckets.take('a')).toBe(0);
    expect(buckets.take('a')).toBe(1);
    clock.now += 10_000; // never more than the burst
    expect([1, 2, 3, 4].map(() => buckets.take('a'))).toEqual([0, 0, 0, 1]);
  });

  it('a slow rate gives a Retry-After of whole seconds until the next token', () => {
    const clock = { now: 0 };
    const buckets = new TokenBuckets({ burst: 1, perSecond: 1 }, () => clock.now);
    expect(buckets.take('k')).toBe(0);
    expect(buckets.take('k')).toBe(1);
    clock.now += 999;
    expect(buckets.take('k')).toBe(1);
    clock.now += 1;
    expect(buckets.take('k')).toBe(0);
  });

  it('stays bounded: idle (full) buckets are dropped when a new key would pass the bound', () => {
    const clock = { now: 0 };
    const buckets = new TokenBuckets({ burst: 2, perSecond: 1 }, () => clock.now, 100);
    for (let i = 0; i < 100; i++) buckets.take(`addr-${i}`);
    expect(buckets.size).toBe(100);
    clock.now += 5_000; // every bucket refilled: idle
    buckets.take('newcomer');
    expect(buckets.size).toBe(1);
  });

  it('stays bounded under many active clients: the least recently used bucket goes', () => {
    const clock = { now: 0 };
    const buckets = new TokenBuckets({ burst: 2, perSecond: 1 }, () => clock.now, 50);
    for (let i = 0; i < 500; i++) buckets.take(`addr-${i}`);
    expect(buckets.size).toBeLessThanOrEqual(50);
  });
});

describe('TokenBuckets eviction', () => {
  it('when full of active buckets, the least recently used tenth goes and a bucket in use stays', () => {
    const clock = { now: 0 };
    const buckets = new TokenBuckets({ burst: 2, perSecond: 1 }, () => clock.now, 20);
    for (let i = 0; i < 20; i++) {
      clock.now += 1;
      buckets.take(`addr-${i}`);
    }
    // addr-0 is used again: now the most recent; addr-1 and addr-2 the least recently used.
    clock.now += 1;
    expect(buckets.take('addr-0')).toBe(0);
    expect(buckets.take('addr-0')).toBe(1); // empty: its state must survive the eviction
    clock.now += 1;
    buckets.take('newcomer');
    expect(buckets.size).toBe(19); // 20 - a tenth (2) + the newcomer
    // addr-0 kept its (empty) bucket; addr-1 lost its own and starts full again.
    expect(buckets.take('addr-0')).toBe(1);
    expect([buckets.take('addr-1'), buckets.take('addr-1'), buckets.take('addr-1')]).toEqual([
      0, 0, 1,
    ]);
  });
});
