/**
 * Below the vault's facade, for the modules of server/vault/ (backup, restore), for the
 * composition root's event feed (which keeps the connection for the appliance's lifetime) and
 * for tests that reach below the vault (tampering, fixtures). Not exported from
 * server/vault/index.ts, and eslint refuses an import of it from anywhere else in server/:
 * other capabilities reach the database through `vault.read(fn)` / `vault.write(fn)` and
 * personal data through `vault.openSealed` / `vault.sealedReader`, which audit every read.
 */
import type { AuditSigner } from './audit.js';
import type { FieldRef } from './crypto.js';
import { openValue } from './crypto.js';
import type { WritableDb } from './db.js';
import type { KeyHierarchy, KeyOwner } from './key-hierarchy.js';
import type { KeyRing } from './keys.js';

export const VAULT_DB: unique symbol = Symbol('vault.db');
export const VAULT_KEYS: unique symbol = Symbol('vault.keys');
export const VAULT_RING: unique symbol = Symbol('vault.ring');
export const VAULT_SIGNER: unique symbol = Symbol('vault.signer');

export interface VaultInternals {
  readonly [VAULT_DB]: WritableDb;
  readonly [VAULT_KEYS]: KeyHierarchy;
  readonly [VAULT_RING]: KeyRing;
  readonly [VAULT_SIGNER]: AuditSigner;
}

/** The vault's writable connection. */
export function vaultDb(vault: VaultInternals): WritableDb {
  return vault[VAULT_DB];
}

/** The audit signing key pair (tests that write or verify entries below the vault). */
export function vaultSigner(vault: VaultInternals): AuditSigner {
  return vault[VAULT_SIGNER];
}

/** The keys derived from the master key (tests that look for key bytes in files). */
export function vaultKeyRing(vault: VaultInternals): KeyRing {
  return vault[VAULT_RING];
}

/**
 * Opens a sealed value without an audit entry: only for checking that values open (a backup's
 * verification) and for tests of the sealing itself. Everything else uses `vault.openSealed`.
 */
export function openUnaudited(
  vault: VaultInternals,
  owner: KeyOwner,
  ref: FieldRef,
  sealed: Uint8Array,
): Uint8Array {
  return openValue(vault[VAULT_KEYS].keyFor(owner), ref, sealed);
}

/** `openUnaudited` as UTF-8 text. */
export function openTextUnaudited(
  vault: VaultInternals,
  owner: KeyOwner,
  ref: FieldRef,
  sealed: Uint8Array,
): string {
  return new TextDecoder().decode(openUnaudited(vault, owner, ref, sealed));
}
