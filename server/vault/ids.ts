import { randomBytes } from './keys.js';

const CROCKFORD = '0123456789abcdefghjkmnpqrstvwxyz';

/**
 * A new identifier: a type prefix and a ULID-like body (48-bit millisecond time, 80 random bits,
 * Crockford base32), so ids sort by creation and say what they are ("sub_01j…").
 */
export function newId(prefix: string, now: number = Date.now()): string {
  const random = randomBytes(10);
  let out = '';
  let time = now;
  for (let i = 0; i < 10; i++) {
    out = CROCKFORD[time % 32] + out;
    time = Math.floor(time / 32);
  }
  let bits = 0;
  let value = 0;
  for (const byte of random) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += CROCKFORD[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  return `${prefix}_${out}`;
}

const ID_PATTERN = /^[a-z]{2,5}_[0-9a-hjkmnp-tv-z]{26}$/;

export function isId(value: string, prefix?: string): boolean {
  return ID_PATTERN.test(value) && (prefix === undefined || value.startsWith(`${prefix}_`));
}
