import { randomFillSync } from 'node:crypto';
import { VaultRuleError } from '../vault/index.js';

/** A random secret as base64url (no padding) of `bytes` random bytes. */
export function randomSecret(bytes: number): string {
  return Buffer.from(randomFillSync(new Uint8Array(bytes))).toString('base64url');
}

const PREFIX_ALPHABET = 'abcdefghijkmnpqrstuvwxyz23456789';
const PREFIX_LENGTH = 10;

/**
 * A bearer secret shown once: `<tag>_<prefix>_<secret>`, with a 10-character public prefix (50
 * random bits, used to find the stored hash) and a 256-bit secret in base64url.
 */
export function newBearerSecret(tag: string): { prefix: string; value: string } {
  const bytes = randomFillSync(new Uint8Array(PREFIX_LENGTH));
  // 32 symbols: the low five bits of each byte are uniform
  const prefix = Array.from(bytes, (b) => PREFIX_ALPHABET[b & 31]).join('');
  return { prefix, value: `${tag}_${prefix}_${randomSecret(32)}` };
}

/** The public prefix of a well-formed bearer secret with this tag, or null. */
export function bearerPrefix(tag: string, value: string): string | null {
  let pattern = bearerPatterns.get(tag);
  if (pattern === undefined) {
    pattern = new RegExp(`^${tag}_([a-z0-9]{${PREFIX_LENGTH}})_[A-Za-z0-9_-]{43}$`);
    bearerPatterns.set(tag, pattern);
  }
  return pattern.exec(value)?.[1] ?? null;
}

/** The pattern of each tag, compiled once (the tags are the few constants of auth/). */
const bearerPatterns = new Map<string, RegExp>();

const PASSWORD_ALPHABET = 'abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789';

/** A generated password: 20 characters from an unambiguous alphabet (~115 bits). */
export function generatePassword(length = 20): string {
  const out: string[] = [];
  const buf = new Uint8Array(1);
  while (out.length < length) {
    randomFillSync(buf);
    const b = buf[0] as number;
    // rejection sampling keeps the distribution uniform
    if (b < 256 - (256 % PASSWORD_ALPHABET.length))
      out.push(PASSWORD_ALPHABET[b % PASSWORD_ALPHABET.length] as string);
  }
  return out.join('');
}

const DISPLAY_NAME = /^[\p{L}\p{N} ._-]{1,64}$/u;

/** The name an admin gives an API client or a kiosk: shown in lists, never secret. */
export function checkDisplayName(name: string, rule: string, what: string): void {
  if (!DISPLAY_NAME.test(name)) {
    throw new VaultRuleError(
      rule,
      `a ${what} name is 1-64 letters, digits, spaces, dots, dashes or underscores`,
    );
  }
}
