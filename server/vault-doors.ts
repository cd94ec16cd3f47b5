/**
 * The two doors of the vault's handle used by the SSE broadcaster and the device events: a read
 * (`fn` sees a ReadableDb) and a write (`fn` runs in one immediate transaction). The one place
 * that reaches `vault.db` for them, until the vault offers `read`/`write` itself.
 */
import type { ReadableDb, Vault, WritableDb } from './vault/index.js';

export interface VaultDoors {
  read<T>(fn: (db: ReadableDb) => T): T;
  write<T>(fn: (db: WritableDb) => T): T;
}

export function vaultDoors(vault: Vault): VaultDoors {
  return {
    read: (fn) => fn(vault.db),
    write: (fn) => vault.transaction(() => fn(vault.db)),
  };
}
