import { randomFillSync } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { KeyError } from './errors.js';
import { sodium } from './sodium.js';
import { fsyncDir, writeFileAtomic } from './files.js';

/** libsodium crypto_pwhash limit profiles; `moderate` is the default for the admin passphrase. */
export type KdfProfile = 'interactive' | 'moderate' | 'sensitive';

export const MASTER_KEY_BYTES = 32;
export const MIN_PASSPHRASE_LENGTH = 12;
const KEY_FILE_PREFIX = 'vk-master-v1:';
const MANIFEST_FORMAT = 'verikiosk-keys';
/** The systemd credential name (`LoadCredential=verikiosk-master-key:/path`). */
export const SYSTEMD_CREDENTIAL_NAME = 'verikiosk-master-key';

/**
 * `keys.json` in the data dir: public facts about the master key and, when a passphrase is set,
 * the master key sealed under it. It never holds the master key in the clear.
 */
export interface KeyManifest {
  format: typeof MANIFEST_FORMAT;
  version: 1;
  installationId: string;
  keyId: string;
  createdAt: string;
  passphrase: SealedUnderPassphrase | null;
}

export interface SealedUnderPassphrase {
  alg: 'argon2id13+xchacha20poly1305';
  opsLimit: number;
  memLimit: number;
  salt: string;
  nonce: string;
  sealed: string;
}

/** Where the master key comes from when unlocking. */
export type KeySource =
  | { kind: 'passphrase'; passphrase: string }
  | { kind: 'key-file'; path: string }
  | { kind: 'systemd-credential'; path: string };

const POOL_BYTES = 8192;
const pool = new Uint8Array(POOL_BYTES);
let poolOffset = POOL_BYTES;

/**
 * Random bytes from node's CSPRNG (OpenSSL). libsodium's randombytes_buf in WebAssembly costs
 * ~130 µs a call; each randomFillSync call costs a few µs however small, so small requests
 * (nonces, keys, ids) are served from a pool that is refilled in one call and wiped as it is used.
 */
export function randomBytes(length: number): Uint8Array {
  if (length > POOL_BYTES / 4) return randomFillSync(new Uint8Array(length));
  if (poolOffset + length > POOL_BYTES) {
    randomFillSync(pool);
    poolOffset = 0;
  }
  const out = pool.slice(poolOffset, poolOffset + length);
  pool.fill(0, poolOffset, poolOffset + length);
  poolOffset += length;
  return out;
}

export function generateMasterKey(): Uint8Array {
  return randomBytes(MASTER_KEY_BYTES);
}

/** A public fingerprint of the master key: keyed BLAKE2b of a constant, so it reveals nothing. */
export function masterKeyId(masterKey: Uint8Array): string {
  return sodium().crypto_generichash(16, 'verikiosk key id v1', masterKey, 'hex');
}

function kdfLimits(profile: KdfProfile): { opsLimit: number; memLimit: number } {
  const s = sodium();
  switch (profile) {
    case 'interactive':
      return {
        opsLimit: s.crypto_pwhash_OPSLIMIT_INTERACTIVE,
        memLimit: s.crypto_pwhash_MEMLIMIT_INTERACTIVE,
      };
    case 'moderate':
      return {
        opsLimit: s.crypto_pwhash_OPSLIMIT_MODERATE,
        memLimit: s.crypto_pwhash_MEMLIMIT_MODERATE,
      };
    case 'sensitive':
      return {
        opsLimit: s.crypto_pwhash_OPSLIMIT_SENSITIVE,
        memLimit: s.crypto_pwhash_MEMLIMIT_SENSITIVE,
      };
  }
}

function passphraseAd(installationId: string, keyId: string): string {
  return `verikiosk master key|${installationId}|${keyId}`;
}

export function checkPassphraseLength(passphrase: string): void {
  if (passphrase.length < MIN_PASSPHRASE_LENGTH) {
    throw new KeyError(
      'passphrase_too_short',
      `the passphrase must be at least ${MIN_PASSPHRASE_LENGTH} characters`,
    );
  }
}

export function sealUnderPassphrase(
  masterKey: Uint8Array,
  passphrase: string,
  profile: KdfProfile,
  installationId: string,
): SealedUnderPassphrase {
  checkPassphraseLength(passphrase);
  const s = sodium();
  const { opsLimit, memLimit } = kdfLimits(profile);
  const salt = randomBytes(s.crypto_pwhash_SALTBYTES);
  const kek = s.crypto_pwhash(
    32,
    passphrase,
    salt,
    opsLimit,
    memLimit,
    s.crypto_pwhash_ALG_ARGON2ID13,
  );
  const nonce = randomBytes(s.crypto_aead_xchacha20poly1305_ietf_NPUBBYTES);
  const sealed = s.crypto_aead_xchacha20poly1305_ietf_encrypt(
    masterKey,
    passphraseAd(installationId, masterKeyId(masterKey)),
    null,
    nonce,
    kek,
  );
  s.memzero(kek);
  return {
    alg: 'argon2id13+xchacha20poly1305',
    opsLimit,
    memLimit,
    salt: s.to_base64(salt),
    nonce: s.to_base64(nonce),
    sealed: s.to_base64(sealed),
  };
}

export function openWithPassphrase(manifest: KeyManifest, passphrase: string): Uint8Array {
  const box = manifest.passphrase;
  if (!box) {
    throw new KeyError(
      'no_key_source',
      'no passphrase is set for this installation; unlock with the key file or the systemd credential',
    );
  }
  const s = sodium();
  let salt: Uint8Array;
  let nonce: Uint8Array;
  let sealed: Uint8Array;
  let kek: Uint8Array;
  try {
    salt = s.from_base64(box.salt);
    nonce = s.from_base64(box.nonce);
    sealed = s.from_base64(box.sealed);
    // libsodium rejects a salt of the wrong length or limits out of range
    kek = s.crypto_pwhash(
      32,
      passphrase,
      salt,
      box.opsLimit,
      box.memLimit,
      s.crypto_pwhash_ALG_ARGON2ID13,
    );
  } catch {
    throw new KeyError('manifest_corrupt', 'the sealed master key in keys.json is damaged');
  }
  try {
    return s.crypto_aead_xchacha20poly1305_ietf_decrypt(
      null,
      sealed,
      passphraseAd(manifest.installationId, manifest.keyId),
      nonce,
      kek,
    );
  } catch {
    throw new KeyError('wrong_passphrase', 'the passphrase does not unlock this installation');
  } finally {
    s.memzero(kek);
  }
}

export function manifestPath(dataDir: string): string {
  return path.join(dataDir, 'keys.json');
}

export function readManifest(dataDir: string): KeyManifest {
  const file = manifestPath(dataDir);
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new KeyError('manifest_missing', `${file} is missing: this data dir has no keys`);
    }
    throw new KeyError('manifest_corrupt', `${file} cannot be read`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new KeyError('manifest_corrupt', `${file} is not valid JSON`);
  }
  if (!isManifest(value)) {
    throw new KeyError('manifest_corrupt', `${file} is not a verikiosk key manifest`);
  }
  return value;
}

/** The 'sensitive' profile's limits are the most any keys.json may ask for. */
const MAX_OPS_LIMIT = 4;
const MAX_MEM_LIMIT = 1024 * 1024 * 1024;

function isManifest(value: unknown): value is KeyManifest {
  if (typeof value !== 'object' || value === null) return false;
  const m = value as Record<string, unknown>;
  if (m.format !== MANIFEST_FORMAT || m.version !== 1) return false;
  if (typeof m.installationId !== 'string' || typeof m.keyId !== 'string') return false;
  if (typeof m.createdAt !== 'string') return false;
  if (m.passphrase === null) return true;
  if (typeof m.passphrase !== 'object' || m.passphrase === undefined) return false;
  const p = m.passphrase as Record<string, unknown>;
  return (
    // Bounded: a forged keys.json must not make unlocking run for hours or ask for gigabytes.
    Number.isInteger(p.opsLimit) &&
    (p.opsLimit as number) >= 1 &&
    (p.opsLimit as number) <= MAX_OPS_LIMIT &&
    Number.isInteger(p.memLimit) &&
    (p.memLimit as number) >= 8192 &&
    (p.memLimit as number) <= MAX_MEM_LIMIT &&
    typeof p.salt === 'string' &&
    typeof p.nonce === 'string' &&
    typeof p.sealed === 'string'
  );
}

export function writeManifest(dataDir: string, manifest: KeyManifest): void {
  writeFileAtomic(manifestPath(dataDir), `${JSON.stringify(manifest, null, 2)}\n`, 0o600);
}

export function encodeKeyFile(masterKey: Uint8Array): string {
  return `${KEY_FILE_PREFIX}${sodium().to_base64(masterKey, sodium().base64_variants.ORIGINAL)}\n`;
}

/** Writes the unattended key file with mode 0600. */
export function writeKeyFile(file: string, masterKey: Uint8Array): void {
  writeFileAtomic(file, encodeKeyFile(masterKey), 0o600);
}

/**
 * Removes a key file: overwrites its bytes with random ones and fsyncs before unlinking, so the
 * key does not stay in the freed blocks of an ordinary filesystem. (On an SSD or a copy-on-write
 * filesystem old copies may survive the overwrite: hence the advice to keep the data dir on an
 * encrypted disk.)
 */
export function removeKeyFile(file: string): void {
  const fd = fs.openSync(file, 'r+');
  try {
    const size = fs.fstatSync(fd).size;
    if (size > 0) fs.writeSync(fd, randomFillSync(new Uint8Array(size)), 0, size, 0);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  fs.unlinkSync(file);
  fsyncDir(path.dirname(file));
}

/**
 * Reads a key file or systemd credential. Like ssh with private keys, a key file that group or
 * others can read is refused: the key would not be the admin's alone.
 */
export function readKeyFile(file: string, checkPermissions = true): Uint8Array {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(file);
  } catch {
    throw new KeyError('key_file_missing', `the key file ${file} does not exist`);
  }
  if (checkPermissions && (stat.mode & 0o077) !== 0) {
    throw new KeyError(
      'key_file_permissions',
      `the key file ${file} is readable by others (mode ${(stat.mode & 0o777).toString(8)}); run chmod 600 on it`,
    );
  }
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8').trim();
  } catch {
    throw new KeyError('key_file_missing', `the key file ${file} cannot be read`);
  }
  if (!text.startsWith(KEY_FILE_PREFIX)) {
    throw new KeyError('key_file_corrupt', `the key file ${file} is not a verikiosk master key`);
  }
  let key: Uint8Array;
  try {
    key = sodium().from_base64(
      text.slice(KEY_FILE_PREFIX.length),
      sodium().base64_variants.ORIGINAL,
    );
  } catch {
    throw new KeyError('key_file_corrupt', `the key file ${file} is damaged`);
  }
  if (key.length !== MASTER_KEY_BYTES) {
    throw new KeyError('key_file_corrupt', `the key file ${file} is damaged`);
  }
  return key;
}

/** True when `file` is a readable key file holding the master key with this key id. */
export function keyFileHoldsKey(file: string, keyId: string): boolean {
  let key: Uint8Array;
  try {
    key = readKeyFile(file, false);
  } catch (error) {
    if (error instanceof KeyError) return false;
    throw error;
  }
  try {
    return masterKeyId(key) === keyId;
  } finally {
    sodium().memzero(key);
  }
}

/** Unlocks the master key from the given source and checks it belongs to this installation. */
export function unlockMasterKey(manifest: KeyManifest, source: KeySource): Uint8Array {
  const key =
    source.kind === 'passphrase'
      ? openWithPassphrase(manifest, source.passphrase)
      : readKeyFile(source.path, source.kind === 'key-file');
  if (masterKeyId(key) !== manifest.keyId) {
    sodium().memzero(key);
    throw new KeyError(
      'key_mismatch',
      source.kind === 'passphrase'
        ? 'the sealed master key does not match this installation'
        : `the key in ${source.path} belongs to another installation`,
    );
  }
  return key;
}

/** The systemd credential path, when the service was started with LoadCredential. */
export function systemdCredentialPath(env: NodeJS.ProcessEnv = process.env): string | null {
  const dir = env.CREDENTIALS_DIRECTORY;
  if (!dir) return null;
  const file = path.join(dir, SYSTEMD_CREDENTIAL_NAME);
  return fs.existsSync(file) ? file : null;
}

/** Purpose ids for `crypto_kdf_derive_from_key`; never renumber. */
const SUBKEY = {
  kekWrap: 1,
  audit: 2,
  secretHash: 3,
  backupKeyWrap: 4,
  blindIndexBase: 100,
} as const;
const KDF_CONTEXT = 'vkvault1';

/** Blind-index purposes; each has its own key so indexes of different kinds never collide. */
export const BLIND_INDEX_PURPOSES = {
  document_number: 1,
  name_birth_date: 2,
  fraud_document: 3,
  verification_reference: 4,
} as const;
export type BlindIndexPurpose = keyof typeof BLIND_INDEX_PURPOSES;

/**
 * Purpose subkeys derived from the master key. Held only in memory while the vault is unlocked;
 * `wipe()` zeroes them.
 */
export class KeyRing {
  readonly keyId: string;
  readonly kekWrapKey: Uint8Array;
  readonly auditKeyPair: { publicKey: Uint8Array; privateKey: Uint8Array };
  readonly secretHashKey: Uint8Array;
  /** Wraps the per-backup keys in the data dir's backup key store (backup-keys.ts). */
  readonly backupKeyWrapKey: Uint8Array;
  private readonly blindIndexKeys = new Map<BlindIndexPurpose, Uint8Array>();
  private readonly masterKey: Uint8Array;

  constructor(masterKey: Uint8Array) {
    const s = sodium();
    this.masterKey = Uint8Array.from(masterKey);
    this.keyId = masterKeyId(masterKey);
    this.kekWrapKey = s.crypto_kdf_derive_from_key(32, SUBKEY.kekWrap, KDF_CONTEXT, masterKey);
    const seed = s.crypto_kdf_derive_from_key(32, SUBKEY.audit, KDF_CONTEXT, masterKey);
    const pair = s.crypto_sign_seed_keypair(seed);
    s.memzero(seed);
    this.auditKeyPair = { publicKey: pair.publicKey, privateKey: pair.privateKey };
    this.secretHashKey = s.crypto_kdf_derive_from_key(
      32,
      SUBKEY.secretHash,
      KDF_CONTEXT,
      masterKey,
    );
    this.backupKeyWrapKey = s.crypto_kdf_derive_from_key(
      32,
      SUBKEY.backupKeyWrap,
      KDF_CONTEXT,
      masterKey,
    );
    for (const [purpose, id] of Object.entries(BLIND_INDEX_PURPOSES)) {
      this.blindIndexKeys.set(
        purpose as BlindIndexPurpose,
        s.crypto_kdf_derive_from_key(32, SUBKEY.blindIndexBase + id, KDF_CONTEXT, masterKey),
      );
    }
  }

  blindIndexKey(purpose: BlindIndexPurpose): Uint8Array {
    const key = this.blindIndexKeys.get(purpose);
    if (!key) throw new Error(`unknown blind index purpose ${purpose}`);
    return key;
  }

  /** The master key itself, for re-sealing under a new passphrase or writing a key file. */
  exportMasterKey(): Uint8Array {
    return Uint8Array.from(this.masterKey);
  }

  wipe(): void {
    const s = sodium();
    s.memzero(this.masterKey);
    s.memzero(this.kekWrapKey);
    s.memzero(this.auditKeyPair.privateKey);
    s.memzero(this.secretHashKey);
    s.memzero(this.backupKeyWrapKey);
    for (const key of this.blindIndexKeys.values()) s.memzero(key);
  }
}
