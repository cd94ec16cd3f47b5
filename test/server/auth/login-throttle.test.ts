import { describe, expect, it } from 'vitest';
import { FORGET_MS, LoginThrottle } from '../../../server/auth/throttle.js';

describe('LoginThrottle (failed logins per address, in memory)', () => {
  it('blocks after `after` failures, doubling per run up to the cap; forgets a quiet address', () => {
    const clock = { now: 1_000_000 };
    const throttle = new LoginThrottle({ after: 2, seconds: 10, maxSeconds: 25 }, () => clock.now);
    throttle.fail('a');
    expect(throttle.wait('a')).toBe(0);
    throttle.fail('a');
    expect(throttle.wait('a')).toBe(10);
    expect(throttle.wait('b')).toBe(0); // each address its own count
    clock.now += 10_000;
    throttle.fail('a');
    throttle.fail('a');
    expect(throttle.wait('a')).toBe(20);
    clock.now += 20_000;
    throttle.fail('a');
    throttle.fail('a');
    expect(throttle.wait('a')).toBe(25); // 40 capped
    clock.now += FORGET_MS;
    throttle.fail('a');
    throttle.fail('a');
    expect(throttle.wait('a')).toBe(10); // a fresh start
  });

  it('a clock stepping back never makes an address wait longer than the longest lock', () => {
    const clock = { now: 10_000_000 };
    const throttle = new LoginThrottle({ after: 1, seconds: 10, maxSeconds: 60 }, () => clock.now);
    throttle.fail('a');
    clock.now -= 30 * 60_000;
    expect(throttle.wait('a')).toBe(60);
  });
});
