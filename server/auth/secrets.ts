import { randomFillSync } from 'node:crypto';

/** A random secret as base64url (no padding) of `bytes` random bytes. */
export function randomSecret(bytes: number): string {
  return Buffer.from(randomFillSync(new Uint8Array(bytes))).toString('base64url');
}

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
