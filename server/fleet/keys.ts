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
const SUBKEY = { document: 1, identity: 2 } as const;
export type FleetIndexPurpose = keyof typeof SUBKEY;

/** A fleet key of one version, with its two purpose subkeys. */
export class FleetKey {
  readonly #document: Uint8Array;
  readonly #identity: Uint8Array;

  constructor(
    readonly version: number,
    key: Uint8Array,
  ) {
    if (key.length !== 32 || !Number.isInteger(version) || version < 1)
      throw new FleetError('invalid_credentials', 'a fleet key is 32 bytes with a version >= 1');
    const s = sodium();
    this.#document = s.crypto_kdf_derive_from_key(32, SUBKEY.document, FLEET_KDF_CONTEXT, key);
    this.#identity = s.crypto_kdf_derive_from_key(32, SUBKEY.identity, FLEET_KDF_CONTEXT, key);
  }

  /** The fleet index (hex) of an already-normalised value. */
  index(purpose: FleetIndexPurpose, normalised: string): string {
    const key = purpose === 'document' ? this.#document : this.#identity;
    return Buffer.from(sodium().crypto_generichash(16, normalised, key)).toString('hex');
  }

  wipe(): void {
    sodium().memzero(this.#document);
    sodium().memzero(this.#identity);
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
