/**
 * The fleet's keys.
 *
 * - The fleet key: 32 random bytes made by the hub, versioned, handed to each appliance in its join
 *   credentials and kept there sealed in the vault. It is a separate purpose key from the
 *   appliance's own blind-index keys (those are derived from the appliance's master key and differ
 *   per appliance, so they cannot match across branches). Two subkeys are derived from it: one
 *   for the document (issuer and normalised number), one for the identity (normalised name and
 *   birth date). "Another identity" is a different identity index with the same document index.
 * - The hub's signing key: ed25519; every list entry sent down is signed with it and every
 *   appliance verifies before use against the public key in its join credentials.
 */
import { sodium } from '../vault/index.js';
import { FleetError } from './engine.js';

const FLEET_KDF_CONTEXT = 'vkfleet1';
const SUBKEY = { document: 1, identity: 2, wrap: 3, face: 4 } as const;
export type FleetIndexPurpose = 'document' | 'identity';

/** A fleet key of one version, with its two purpose subkeys. */
export class FleetKey {
  readonly #document: Uint8Array;
  readonly #identity: Uint8Array;
  /** Wraps the next version's key at a rotation (only holders of this version can open it). */
  readonly #wrap: Uint8Array;
  /** Seals known-fraud face templates for the fleet (only holders of this version open them). */
  readonly #face: Uint8Array;

  constructor(
    readonly version: number,
    key: Uint8Array,
  ) {
    if (key.length !== 32 || !Number.isInteger(version) || version < 1)
      throw new FleetError('invalid_credentials', 'a fleet key is 32 bytes with a version >= 1');
    const s = sodium();
    this.#document = s.crypto_kdf_derive_from_key(32, SUBKEY.document, FLEET_KDF_CONTEXT, key);
    this.#identity = s.crypto_kdf_derive_from_key(32, SUBKEY.identity, FLEET_KDF_CONTEXT, key);
    this.#wrap = s.crypto_kdf_derive_from_key(32, SUBKEY.wrap, FLEET_KDF_CONTEXT, key);
    this.#face = s.crypto_kdf_derive_from_key(32, SUBKEY.face, FLEET_KDF_CONTEXT, key);
  }

  /** Seals a fraud face template for the fleet, bound to its list entry id and this version. */
  sealFace(entryId: string, template: Uint8Array): { nonce: string; box: string } {
    const s = sodium();
    const nonce = s.randombytes_buf(s.crypto_aead_xchacha20poly1305_ietf_NPUBBYTES);
    const box = s.crypto_aead_xchacha20poly1305_ietf_encrypt(
      template,
      `fleet-face:${entryId}:${this.version}`,
      null,
      nonce,
      this.#face,
    );
    return {
      nonce: Buffer.from(nonce).toString('base64'),
      box: Buffer.from(box).toString('base64'),
    };
  }

  /** Opens a template sealed by `sealFace`; null when it does not open (not ours, or altered). */
  openFace(entryId: string, sealed: { nonce: string; box: string }): Uint8Array | null {
    try {
      return sodium().crypto_aead_xchacha20poly1305_ietf_decrypt(
        null,
        Buffer.from(sealed.box, 'base64'),
        `fleet-face:${entryId}:${this.version}`,
        Buffer.from(sealed.nonce, 'base64'),
        this.#face,
      );
    } catch {
      return null;
    }
  }

  /** Seals the next fleet key (its version bound as associated data) under this one. */
  wrapKey(next: { version: number; key: Uint8Array }): { nonce: string; box: string } {
    const s = sodium();
    const nonce = s.randombytes_buf(s.crypto_aead_xchacha20poly1305_ietf_NPUBBYTES);
    const box = s.crypto_aead_xchacha20poly1305_ietf_encrypt(
      next.key,
      `fleet-key:${next.version}:${this.version}`,
      null,
      nonce,
      this.#wrap,
    );
    return {
      nonce: Buffer.from(nonce).toString('base64'),
      box: Buffer.from(box).toString('base64'),
    };
  }

  /** Opens a key wrapped by `wrapKey`; null when it does not open (not ours, or altered). */
  unwrapKey(version: number, wrapped: { nonce: string; box: string }): Uint8Array | null {
    try {
      const key = sodium().crypto_aead_xchacha20poly1305_ietf_decrypt(
        null,
        Buffer.from(wrapped.box, 'base64'),
        `fleet-key:${version}:${this.version}`,
        Buffer.from(wrapped.nonce, 'base64'),
        this.#wrap,
      );
      return key.length === 32 ? key : null;
    } catch {
      return null;
    }
  }

  /** The fleet index (hex) of an already-normalised value. */
  index(purpose: FleetIndexPurpose, normalised: string): string {
    const key = purpose === 'document' ? this.#document : this.#identity;
    return Buffer.from(sodium().crypto_generichash(16, normalised, key)).toString('hex');
  }

  wipe(): void {
    sodium().memzero(this.#document);
    sodium().memzero(this.#identity);
    sodium().memzero(this.#wrap);
    sodium().memzero(this.#face);
  }
}

export function newFleetKeyBytes(): Uint8Array {
  return sodium().randombytes_buf(32);
}

export interface SigningKeyPair {
  readonly publicKey: Uint8Array;
  readonly privateKey: Uint8Array;
}

export function newSigningKeyPair(): SigningKeyPair {
  const pair = sodium().crypto_sign_keypair();
  return { publicKey: pair.publicKey, privateKey: pair.privateKey };
}

/** A short id of a public key (hex of its first 8 bytes' hash), printed and sent with entries. */
export function signerId(publicKey: Uint8Array): string {
  return Buffer.from(sodium().crypto_generichash(16, publicKey, null))
    .toString('hex')
    .slice(0, 16);
}

/** What travels on the wire: the entry as the exact JSON text that was signed, and the signature. */
export interface SignedEnvelope {
  readonly entry: string;
  readonly sig: string;
  readonly signer: string;
}

export function signEntry(entry: object, pair: SigningKeyPair): SignedEnvelope {
  const text = JSON.stringify(entry);
  const sig = sodium().crypto_sign_detached(new TextEncoder().encode(text), pair.privateKey);
  return {
    entry: text,
    sig: Buffer.from(sig).toString('base64'),
    signer: signerId(pair.publicKey),
  };
}

/**
 * The entry of a signed envelope if the signature holds under `publicKey`, else null (a forged,
 * altered or malformed message: never thrown, so one bad message cannot stop the list).
 */
export function verifyEnvelope(raw: Uint8Array, publicKey: Uint8Array): unknown {
  let envelope: unknown;
  try {
    envelope = JSON.parse(new TextDecoder().decode(raw));
  } catch {
    return null;
  }
  if (typeof envelope !== 'object' || envelope === null) return null;
  const { entry, sig } = envelope as Partial<SignedEnvelope>;
  if (typeof entry !== 'string' || typeof sig !== 'string') return null;
  const signature = Buffer.from(sig, 'base64');
  if (signature.length !== 64) return null;
  const ok = sodium().crypto_sign_verify_detached(
    signature,
    new TextEncoder().encode(entry),
    publicKey,
  );
  if (!ok) return null;
  try {
    return JSON.parse(entry) as unknown;
  } catch {
    return null;
  }
}
