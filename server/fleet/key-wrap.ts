/**
 * How a new fleet key travels down at a rotation: sealed to each active branch.
 *
 * Each branch has its own x25519 key pair, made at `fleet hub add-branch`: the secret half goes in
 * the branch's credentials file (sealed in the vault at `fleet join`, like the fleet key), the
 * public half stays in hub.json. At `fleet hub rotate-key` the hub sends one signed `fleet_key`
 * entry per active branch, the new key sealed to that branch's public key (crypto_box_seal) and
 * bound to the branch and the version; a revoked branch gets no entry, so a copy of the stream
 * gives it nothing it can open. Each branch opens only its own entry and ignores the others.
 *
 * Branches whose credentials predate this (no key pair) can only open the fleet-wide wrap under
 * the old key: the hub keeps sending that one entry while any such branch is active, and says so
 * (their credentials are issued again to close it; see the architect notes).
 */
import { sodium } from '../vault/index.js';
import { FleetError } from './engine.js';
import type { FleetKey } from './keys.js';

/** A branch's x25519 key pair (libsodium crypto_box). */
export interface BranchBoxKeys {
  readonly publicKey: Uint8Array;
  readonly secretKey: Uint8Array;
}

export function newBranchBoxKeys(): BranchBoxKeys {
  const pair = sodium().crypto_box_keypair();
  return { publicKey: pair.publicKey, secretKey: pair.privateKey };
}

/** The key pair of a secret half (the public half is derived, so credentials carry one value). */
export function branchBoxKeysOf(secretKey: Uint8Array): BranchBoxKeys {
  if (secretKey.length !== 32)
    throw new FleetError('invalid_credentials', 'a branch wrap key is 32 bytes');
  return { publicKey: sodium().crypto_scalarmult_base(secretKey), secretKey };
}

/** What binds a sealed key to its branch and version (crypto_box_seal has no associated data). */
function binding(branch: string, version: number): Uint8Array {
  return sodium().crypto_generichash(16, `vk-fleet-key:${version}:${branch}`, null);
}

/** The fleet key of `version` sealed to one branch's public key (base64). */
export function sealFleetKeyFor(
  branch: string,
  publicKey: Uint8Array,
  next: { readonly version: number; readonly key: Uint8Array },
): string {
  const plain = Buffer.concat([next.key, binding(branch, next.version)]);
  try {
    return Buffer.from(sodium().crypto_box_seal(plain, publicKey)).toString('base64');
  } finally {
    plain.fill(0);
  }
}

/**
 * Opens a key sealed by `sealFleetKeyFor` for this branch and version; null when it does not
 * open (sealed to another branch, altered, or bound to another branch or version).
 */
export function openFleetKeyFor(
  branch: string,
  keys: BranchBoxKeys,
  version: number,
  sealed: string,
): Uint8Array | null {
  let plain: Uint8Array;
  try {
    plain = sodium().crypto_box_seal_open(
      Buffer.from(sealed, 'base64'),
      keys.publicKey,
      keys.secretKey,
    );
  } catch {
    return null;
  }
  const ok = plain.length === 48 && sodium().memcmp(plain.subarray(32), binding(branch, version));
  const key = ok ? Uint8Array.from(plain.subarray(0, 32)) : null;
  plain.fill(0);
  return key;
}

/** One signed `fleet_key` entry to publish, with its message id (redelivery-safe). */
export interface KeyEntryToSend {
  readonly msgID: string;
  readonly entry: Record<string, unknown>;
}

/** The branches' wrap keys as hub.json keeps them (base64 public halves; absent: legacy). */
type Branches = Readonly<
  Record<string, { readonly revoked: boolean; readonly boxPublicKey?: string }>
>;

/** Active branches whose credentials carry no wrap key pair (they need the fleet-wide wrap). */
export function legacyWrapBranches(branches: Branches): string[] {
  return Object.entries(branches)
    .filter(([, b]) => !b.revoked && b.boxPublicKey === undefined)
    .map(([id]) => id)
    .sort();
}

/**
 * The entries a rotation to `next` sends down: one per active branch with a wrap key, sealed to
 * it; plus, only while an active branch has none (`legacy`), the fleet-wide wrap under `current`.
 */
export function rotationKeyEntries(o: {
  readonly branches: Branches;
  readonly current: FleetKey;
  readonly next: { readonly version: number; readonly key: Uint8Array };
  readonly destroyOldAfter: string;
  readonly signedAt: string;
}): { entries: KeyEntryToSend[]; legacy: string[] } {
  const version = o.next.version;
  const entries: KeyEntryToSend[] = Object.entries(o.branches)
    .filter(([, b]) => !b.revoked && b.boxPublicKey !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([branch, b]) => ({
      msgID: `fleet-key:${version}:${branch}`,
      entry: {
        type: 'fleet_key',
        keyVersion: version,
        branch,
        sealed: sealFleetKeyFor(branch, Buffer.from(b.boxPublicKey!, 'base64'), o.next),
        destroyOldAfter: o.destroyOldAfter,
        signedAt: o.signedAt,
      },
    }));
  const legacy = legacyWrapBranches(o.branches);
  if (legacy.length > 0)
    entries.push({
      msgID: `fleet-key:${version}`,
      entry: {
        type: 'fleet_key',
        keyVersion: version,
        wrappedUnder: o.current.version,
        ...o.current.wrapKey(o.next),
        destroyOldAfter: o.destroyOldAfter,
        signedAt: o.signedAt,
      },
    });
  return { entries, legacy };
}

/**
 * The key a verified `fleet_key` entry carries for this appliance: 'not_ours' for an entry sealed
 * to another branch (ignored, not refused); null when it does not open; else the key bytes.
 */
export function openKeyEntry(
  member: {
    readonly branch: string;
    readonly boxKeys: BranchBoxKeys | null;
    readonly keys: readonly { readonly key: FleetKey }[];
  },
  e: Record<string, unknown>,
): Uint8Array | 'not_ours' | null {
  const version = e.keyVersion as number;
  if (typeof e.branch === 'string') {
    if (e.branch !== member.branch) return 'not_ours';
    if (typeof e.sealed !== 'string' || member.boxKeys === null) return null;
    return openFleetKeyFor(member.branch, member.boxKeys, version, e.sealed);
  }
  if (
    typeof e.wrappedUnder !== 'number' ||
    typeof e.nonce !== 'string' ||
    typeof e.box !== 'string'
  )
    return null;
  const under = member.keys.find((k) => k.key.version === e.wrappedUnder);
  return under?.key.unwrapKey(version, { nonce: e.nonce, box: e.box }) ?? null;
}
