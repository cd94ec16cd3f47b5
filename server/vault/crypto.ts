import { createCipheriv, createDecipheriv } from 'node:crypto';
import { IntegrityError } from './errors.js';
import { randomBytes } from './keys.js';
import { sodium } from './sodium.js';

/** Where a sealed value lives. The associated data binds the value to exactly this place. */
export interface FieldRef {
  table: string;
  column: string;
  rowId: string;
}

const SEALED_VERSION = 1;
const NONCE_BYTES = 24;
const TAG_BYTES = 16;

const utf8 = new TextEncoder();

function fieldAd(ref: FieldRef): Uint8Array {
  return utf8.encode(`v1|${ref.table}|${ref.column}|${ref.rowId}`);
}

function describe(ref: FieldRef): string {
  return `${ref.table}.${ref.column} of row ${ref.rowId}`;
}

/**
 * Values from this size on are sealed with OpenSSL's ChaCha20-Poly1305 under the HChaCha20
 * subkey, which is exactly XChaCha20-Poly1305-IETF (same bytes as libsodium's, see the tests)
 * at about 4× libsodium-in-WebAssembly's speed; below it, libsodium's lower call cost wins.
 */
export const NATIVE_AEAD_FROM_BYTES = 4096;

function nativeParts(key: Uint8Array, nonce: Uint8Array): { subkey: Uint8Array; iv: Uint8Array } {
  const subkey = sodium().crypto_core_hchacha20(nonce.subarray(0, 16), key, null);
  const iv = new Uint8Array(12);
  iv.set(nonce.subarray(16, 24), 4);
  return { subkey, iv };
}

/** XChaCha20-Poly1305-IETF encryption through OpenSSL; output is ciphertext || tag, as libsodium's. */
export function xchachaEncryptNative(
  message: Uint8Array,
  ad: Uint8Array,
  nonce: Uint8Array,
  key: Uint8Array,
): Uint8Array {
  const { subkey, iv } = nativeParts(key, nonce);
  const cipher = createCipheriv('chacha20-poly1305', subkey, iv, { authTagLength: TAG_BYTES });
  cipher.setAAD(ad, { plaintextLength: message.length });
  const out = Buffer.concat([cipher.update(message), cipher.final(), cipher.getAuthTag()]);
  sodium().memzero(subkey);
  return new Uint8Array(out.buffer, out.byteOffset, out.length);
}

/** The inverse of `xchachaEncryptNative`; throws on any authentication failure. */
export function xchachaDecryptNative(
  ciphertext: Uint8Array,
  ad: Uint8Array,
  nonce: Uint8Array,
  key: Uint8Array,
): Uint8Array {
  if (ciphertext.length < TAG_BYTES) throw new Error('ciphertext too short');
  const { subkey, iv } = nativeParts(key, nonce);
  try {
    const decipher = createDecipheriv('chacha20-poly1305', subkey, iv, {
      authTagLength: TAG_BYTES,
    });
    decipher.setAAD(ad, { plaintextLength: ciphertext.length - TAG_BYTES });
    decipher.setAuthTag(ciphertext.subarray(ciphertext.length - TAG_BYTES));
    const out = Buffer.concat([
      decipher.update(ciphertext.subarray(0, ciphertext.length - TAG_BYTES)),
      decipher.final(),
    ]);
    return new Uint8Array(out.buffer, out.byteOffset, out.length);
  } finally {
    sodium().memzero(subkey);
  }
}

/** Seals a value under a data key: version byte, 24-byte nonce, XChaCha20-Poly1305 ciphertext. */
export function sealValue(
  key: Uint8Array,
  ref: FieldRef,
  plaintext: Uint8Array | string,
): Uint8Array {
  const bytes = typeof plaintext === 'string' ? utf8.encode(plaintext) : plaintext;
  const nonce = randomBytes(NONCE_BYTES);
  const ciphertext =
    bytes.length >= NATIVE_AEAD_FROM_BYTES
      ? xchachaEncryptNative(bytes, fieldAd(ref), nonce, key)
      : sodium().crypto_aead_xchacha20poly1305_ietf_encrypt(bytes, fieldAd(ref), null, nonce, key);
  const out = new Uint8Array(1 + NONCE_BYTES + ciphertext.length);
  out[0] = SEALED_VERSION;
  out.set(nonce, 1);
  out.set(ciphertext, 1 + NONCE_BYTES);
  return out;
}

/** Opens a sealed value; a value altered, moved to another row or column, or under another key fails. */
export function openValue(key: Uint8Array, ref: FieldRef, sealed: Uint8Array): Uint8Array {
  if (sealed.length < 1 + NONCE_BYTES + TAG_BYTES || sealed[0] !== SEALED_VERSION) {
    throw new IntegrityError(describe(ref), `${describe(ref)} is not a sealed value`);
  }
  const nonce = sealed.subarray(1, 1 + NONCE_BYTES);
  const ciphertext = sealed.subarray(1 + NONCE_BYTES);
  try {
    return ciphertext.length - TAG_BYTES >= NATIVE_AEAD_FROM_BYTES
      ? xchachaDecryptNative(ciphertext, fieldAd(ref), nonce, key)
      : sodium().crypto_aead_xchacha20poly1305_ietf_decrypt(
          null,
          ciphertext,
          fieldAd(ref),
          nonce,
          key,
        );
  } catch {
    throw new IntegrityError(
      describe(ref),
      `${describe(ref)} failed authentication: it was altered, moved, or its key was destroyed`,
    );
  }
}

/** Wraps a data key (or a key-encryption key) under a wrapping key, bound to what it is for. */
export function wrapKey(wrappingKey: Uint8Array, label: string, key: Uint8Array): Uint8Array {
  return sealValue(wrappingKey, { table: 'keys', column: 'wrapped', rowId: label }, key);
}

export function unwrapKey(wrappingKey: Uint8Array, label: string, wrapped: Uint8Array): Uint8Array {
  return openValue(wrappingKey, { table: 'keys', column: 'wrapped', rowId: label }, wrapped);
}

export function generateDataKey(): Uint8Array {
  return randomBytes(32);
}

/** Keyed BLAKE2b-128 of a normalised value: equal inputs match, nothing else can be learned. */
export function blindIndex(key: Uint8Array, normalised: string): Uint8Array {
  return sodium().crypto_generichash(16, normalised, key);
}

/** Document numbers compare without case, spaces, hyphens or MRZ fillers. */
export function normaliseDocumentNumber(value: string): string {
  return value
    .normalize('NFKC')
    .toUpperCase()
    .replace(/[\s\-<]/g, '');
}

/** Names compare without case, accents, punctuation or repeated spaces; with the ISO birth date. */
export function normaliseNameAndBirthDate(name: string, birthDate: string): string {
  const plain = name
    .normalize('NFKD')
    .replace(/\p{M}/gu, '')
    .toUpperCase()
    .replace(/[^\p{L}\p{N}]+/gu, ' ')
    .trim();
  return `${plain}|${birthDate}`;
}

/** Hash of a high-entropy secret (API key, kiosk token) under a vault key, for storage. */
export function hashSecret(key: Uint8Array, secret: string): Uint8Array {
  return sodium().crypto_generichash(32, secret, key);
}

export function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && sodium().memcmp(a, b);
}
