import * as fs from 'node:fs';
import { loadConfig, resolveDataDirPath, type Config } from '../config/index.js';
import {
  KeyError,
  Vault,
  dataDirPaths,
  defaultDataDir,
  isInitialised,
  notInitialisedError,
  readManifest,
  systemdCredentialPath,
  type KeySource,
} from '../vault/index.js';
import { promptSecret, readSecretFile, type CliIo } from './io.js';

/** Options every command that unlocks the vault accepts. */
export interface UnlockOptions {
  dataDir?: string;
  passphraseFile?: string;
  keyFile?: string;
}

export function dataDirFrom(options: { dataDir?: string }, io: CliIo): string {
  // An empty $VERIKIOSK_DATA_DIR (a blank line in an environment file) must not mean the current directory.
  return dataDirPaths(options.dataDir ?? (io.env.VERIKIOSK_DATA_DIR || defaultDataDir(io.env))).dir;
}

/** Refuses a data dir that is not initialised, saying what it holds and what to do. */
export function requireInitialised(dataDir: string): void {
  if (!isInitialised(dataDir)) throw notInitialisedError(dataDir);
}

/**
 * Where the master key comes from, in order: the command line (--passphrase-file, --key-file),
 * then $VERIKIOSK_PASSPHRASE, the systemd credential, the configured key file, a prompt at the
 * terminal.
 */
export async function resolveKeySource(
  options: UnlockOptions,
  dataDir: string,
  config: Config,
  io: CliIo,
): Promise<KeySource> {
  if (options.passphraseFile) {
    return { kind: 'passphrase', passphrase: readSecretFile(options.passphraseFile, 'passphrase') };
  }
  if (options.keyFile) return { kind: 'key-file', path: options.keyFile };
  const fromEnv = io.env.VERIKIOSK_PASSPHRASE;
  if (fromEnv) return { kind: 'passphrase', passphrase: fromEnv };
  const credential = systemdCredentialPath(io.env);
  if (credential) return { kind: 'systemd-credential', path: credential };
  const configured = resolveDataDirPath(dataDir, config.keys.keyFile);
  if (fs.existsSync(configured)) return { kind: 'key-file', path: configured };
  const manifest = readManifest(dataDir);
  if (manifest.passphrase && io.interactive) {
    return { kind: 'passphrase', passphrase: await promptSecret(io, 'Admin passphrase: ') };
  }
  throw new KeyError(
    'no_key_source',
    manifest.passphrase
      ? 'the vault is locked: give the passphrase with --passphrase-file, $VERIKIOSK_PASSPHRASE or at a terminal'
      : `the vault is locked and the key file ${configured} is missing`,
  );
}

/** Loads config and opens the vault for a command; the caller closes it. */
export async function openVaultFor(
  options: UnlockOptions,
  io: CliIo,
): Promise<{ vault: Vault; config: Config; dataDir: string }> {
  const dataDir = dataDirFrom(options, io);
  requireInitialised(dataDir);
  const { config } = loadConfig(dataDir);
  const source = await resolveKeySource(options, dataDir, config, io);
  const vault = await Vault.open(dataDir, source);
  return { vault, config, dataDir };
}

export async function withVault<T>(
  options: UnlockOptions,
  io: CliIo,
  fn: (ctx: { vault: Vault; config: Config; dataDir: string }) => T | Promise<T>,
): Promise<T> {
  const ctx = await openVaultFor(options, io);
  try {
    return await fn(ctx);
  } finally {
    ctx.vault.close();
  }
}
