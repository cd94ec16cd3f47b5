/** `verikiosk keys rotate` and `verikiosk keys change-passphrase`. */
import * as fs from 'node:fs';
import type { Command } from 'commander';
import { resolveDataDirPath } from '../config/index.js';
import {
  MIN_PASSPHRASE_LENGTH,
  acquireApplianceLock,
  checkPassphraseLength,
  keyFileHoldsKey,
  refuseWhileServing,
  removeKeyFile,
  type KdfProfile,
  type Vault,
} from '../vault/index.js';
import { dataDirFrom, requireInitialised, withVault } from './context.js';
import {
  UsageError,
  printJson,
  printLine,
  promptSecret,
  readSecretFile,
  type CliIo,
} from './io.js';
import { kdfOption, withUnlock, type CommonOptions } from './options.js';

async function newPassphrase(options: { newPassphraseFile?: string }, io: CliIo): Promise<string> {
  if (options.newPassphraseFile) return readSecretFile(options.newPassphraseFile, 'new passphrase');
  const first = await promptSecret(
    io,
    `New admin passphrase (${MIN_PASSPHRASE_LENGTH}+ characters): `,
  );
  const second = await promptSecret(io, 'Repeat the new passphrase: ');
  if (first !== second) throw new UsageError('the two passphrases differ');
  return first;
}

/**
 * Ends unattended mode after a passphrase was set: overwrites and removes the configured key file
 * if it holds this installation's master key. Returns its path, or null if there was none.
 */
function removeUnattendedKeyFile(vault: Vault, file: string): string | null {
  if (!fs.existsSync(file) || !keyFileHoldsKey(file, vault.keyId)) return null;
  removeKeyFile(file);
  vault.audit({ actor: 'cli', action: 'keys.key_file_removed', details: {} });
  return file;
}

export function addKeyCommands(program: Command, io: CliIo): void {
  const keys = program.command('keys').description('master key and data keys');
  withUnlock(
    keys
      .command('rotate')
      .description('new key-encryption key; re-wraps every data key (values are not re-encrypted)'),
  )
    .option('--json', 'print JSON')
    .action(async (o: CommonOptions) => {
      const dataDir = dataDirFrom(o, io);
      requireInitialised(dataDir);
      // A running appliance caches the unwrapped keys and would go on wrapping new data keys
      // under the key-encryption key this destroys: refused before anything is unlocked.
      refuseWhileServing(dataDir, 'rotating the keys');
      const result = await withVault(o, io, ({ vault }) => {
        // Held to the end: no appliance may start and cache the keys being replaced.
        const lock = acquireApplianceLock(dataDir);
        try {
          return vault.rotateKeys('cli');
        } finally {
          lock.release();
        }
      });
      if (o.json) printJson(io.stdout, result);
      else
        printLine(
          io.stdout,
          `key generation ${result.generation}; ${result.rewrapped} subject data key(s) re-wrapped`,
        );
    });
  withUnlock(
    keys
      .command('change-passphrase')
      .description('seal the master key under a new admin passphrase'),
  )
    .option(
      '--new-passphrase-file <file>',
      'read the new passphrase from the first line of this file',
    )
    .addOption(kdfOption())
    .action(async (o: CommonOptions & { newPassphraseFile?: string; kdf?: KdfProfile }) => {
      const removed = await withVault(o, io, async ({ vault, config: cfg, dataDir }) => {
        const passphrase = await newPassphrase(o, io);
        checkPassphraseLength(passphrase);
        vault.changePassphrase(passphrase, o.kdf ?? cfg.keys.kdf, 'cli');
        // Leaving unattended mode: once the sealed key is on disk (changePassphrase writes
        // keys.json atomically and fsyncs it) the clear key file is no longer needed.
        return removeUnattendedKeyFile(vault, resolveDataDirPath(dataDir, cfg.keys.keyFile));
      });
      printLine(io.stdout, 'passphrase changed');
      if (removed)
        printLine(
          io.stdout,
          `unattended mode ended: the key file ${removed} was overwritten and removed; the appliance now needs the passphrase to start`,
        );
    });
}
