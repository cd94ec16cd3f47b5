import type { ReadableDb, Vault, WritableDb } from '../vault/index.js';

// The vault's read and write doors, in one place for auth: h1 is adding `vault.read(fn)` and
// `vault.write(fn)` (one immediate transaction) and making `vault.db` private; at the merge these
// two lines become calls to them, and nothing else in auth/ names the handle.

/** Runs `fn` with the read handle. */
export const readVault = <T>(vault: Vault, fn: (db: ReadableDb) => T): T => fn(vault.db);

/** Runs `fn` with the write handle inside one immediate transaction (or the caller's). */
export const writeVault = <T>(vault: Vault, fn: (db: WritableDb) => T): T =>
  vault.transaction(() => fn(vault.db));
