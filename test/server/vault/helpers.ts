import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import Database from 'better-sqlite3';
import { expect } from 'vitest';
import { Vault, dataDirPaths } from '../../../server/vault/index.js';
import type { KdfProfile, KeySource } from '../../../server/vault/index.js';

/**
 * Shared fixtures for the vault tests: temp data dirs that are removed after each test, vaults
 * that are closed before their dir is removed, a content hash of a data dir, raw byte searches,
 * and a collector of thrown errors that checks no seeded value leaks into them.
 */

/** Obviously synthetic "personal" values. None of them may ever appear in an error. */
export const SEEDED = {
  surname: 'ZZTESTSURNAME',
  givenNames: 'ZZTESTGIVEN QQSYNTHETIC',
  documentNumber: 'X1234567TESTDOC',
  birthDate: '1900-01-01',
  otherSurname: 'ZZOTHERTESTSURNAME',
  otherDocumentNumber: 'Y7654321TESTDOC',
  passphrase: 'zz-test-passphrase-not-real',
  newPassphrase: 'zz-test-new-passphrase-not-real',
} as const;

const openDirs: string[] = [];
const openVaults: Vault[] = [];

export function tempDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vk-vault-test-'));
  openDirs.push(dir);
  return dir;
}

/** Closes every tracked vault and removes every temp dir made since the last call. */
export function cleanup(): void {
  for (const vault of openVaults.splice(0)) {
    try {
      vault.close();
    } catch {
      // a test may have closed it, or removed its files on purpose
    }
  }
  for (const dir of openDirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
}

export function track(vault: Vault): Vault {
  openVaults.push(vault);
  return vault;
}

export interface TestVault {
  dir: string;
  keyFile: string;
  source: KeySource;
  vault: Vault;
  dbFile: string;
}

/** A new vault unlocked by a key file in its own data dir (fast: no Argon2id). */
export async function newVault(options: { clock?: () => Date } = {}): Promise<TestVault> {
  const dir = tempDir();
  const keyFile = dataDirPaths(dir).defaultKeyFile;
  const vault = track(await Vault.init(dir, { unattendedKeyFile: keyFile, ...options }));
  return {
    dir,
    keyFile,
    source: { kind: 'key-file', path: keyFile },
    vault,
    dbFile: dataDirPaths(dir).database,
  };
}

/** A new vault with a passphrase (Argon2id at the given profile, `interactive` by default). */
export async function newPassphraseVault(
  passphrase: string,
  kdf: KdfProfile = 'interactive',
): Promise<{ dir: string; vault: Vault; dbFile: string }> {
  const dir = tempDir();
  const vault = track(await Vault.init(dir, { passphrase, kdf }));
  return { dir, vault, dbFile: dataDirPaths(dir).database };
}

export async function reopen(dir: string, source: KeySource): Promise<Vault> {
  return track(await Vault.open(dir, source));
}

/** Name, size, mode and sha256 of every file under a dir, sorted: equal iff nothing was written. */
export function hashDir(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const name of fs.readdirSync(d).sort()) {
      const file = path.join(d, name);
      const stat = fs.statSync(file);
      if (stat.isDirectory()) {
        out.push(`${path.relative(dir, file)}/`);
        walk(file);
      } else {
        const digest = createHash('sha256').update(fs.readFileSync(file)).digest('hex');
        out.push(
          `${path.relative(dir, file)} ${stat.size} ${(stat.mode & 0o777).toString(8)} ${digest}`,
        );
      }
    }
  };
  walk(dir);
  return out;
}

export type Needle = string | Uint8Array;

function needleBytes(needle: Needle): Buffer {
  return typeof needle === 'string' ? Buffer.from(needle, 'utf8') : Buffer.from(needle);
}

/** Whether the raw bytes of a file (if it exists) contain the needle anywhere. */
export function fileContains(file: string, needle: Needle): boolean {
  if (!fs.existsSync(file)) return false;
  return fs.readFileSync(file).indexOf(needleBytes(needle)) >= 0;
}

/** The raw database and WAL files of a data dir, as they are on disk now. */
export function rawDbFiles(dbFile: string): string[] {
  return [dbFile, `${dbFile}-wal`].filter((f) => fs.existsSync(f));
}

/** Opens the database file directly, as someone with file access (and no keys) would. */
export function rawDb(dbFile: string): Database.Database {
  return new Database(dbFile);
}

/**
 * Drops the triggers that guard the audit log (append-only entries, the pruning anchor), as
 * someone with write access to the file can.
 */
export function dropAuditTriggers(db: Database.Database): void {
  const names = db
    .prepare(
      "SELECT name FROM sqlite_schema WHERE type = 'trigger' AND name LIKE 'audit\\_%' ESCAPE '\\'",
    )
    .pluck()
    .all() as string[];
  for (const name of names) db.exec(`DROP TRIGGER "${name}"`);
}

// ---- errors ------------------------------------------------------------------------------

interface Recorded {
  error: unknown;
  secrets: readonly Needle[];
}

const recorded: Recorded[] = [];

/** Everything an error shows: name, message, stack, own properties, and its cause chain. */
export function errorText(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const own: Record<string, unknown> = {};
  for (const key of Object.getOwnPropertyNames(error))
    own[key] = (error as unknown as Record<string, unknown>)[key];
  let text = `${error.name}\n${error.message}\n${error.stack ?? ''}\n${JSON.stringify(own)}`;
  if (error.cause !== undefined) text += `\n${errorText(error.cause)}`;
  return text;
}

/** The forms a secret could leak in: itself and, for bytes, hex and base64. */
function secretForms(secret: Needle): string[] {
  if (typeof secret === 'string') return [secret];
  const b = Buffer.from(secret);
  return [b.toString('hex'), b.toString('base64'), b.toString('base64url')];
}

function assertClean(error: unknown, secrets: readonly Needle[]): void {
  const text = errorText(error);
  for (const value of [...Object.values(SEEDED), ...secrets]) {
    for (const form of secretForms(value)) {
      expect(text.includes(form), `an error shows a seeded or secret value`).toBe(false);
    }
  }
}

/**
 * Asserts that the error is of the given class and shows no seeded value and none of `secrets`,
 * and records it for the final check of the file.
 */
export function expectError<E extends Error>(
  error: unknown,
  cls: abstract new (...args: never[]) => E,
  secrets: readonly Needle[] = [],
): E {
  expect(error).toBeInstanceOf(cls);
  assertClean(error, secrets);
  recorded.push({ error, secrets });
  return error as E;
}

export function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error('expected the call to throw');
}

export async function thrownAsync(fn: () => Promise<unknown>): Promise<unknown> {
  try {
    await fn();
  } catch (error) {
    return error;
  }
  throw new Error('expected the call to reject');
}

/** The errors recorded in this test file so far (each file has its own module instance). */
export function recordedErrors(): readonly Recorded[] {
  return recorded;
}

/** Re-checks every recorded error; used by the last test of each file. */
export function expectNoSeededValueInRecordedErrors(): void {
  expect(recorded.length).toBeGreaterThan(0);
  for (const r of recorded) assertClean(r.error, r.secrets);
}
