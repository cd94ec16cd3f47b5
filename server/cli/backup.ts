/** `verikiosk backup <file>` (online, while serving) and `verikiosk restore <file>` (stopped only). */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Command } from 'commander';
import { loadConfig } from '../config/index.js';
import { backupVault, refuseWhileServing, restoreVault } from '../vault/index.js';
import { dataDirFrom, requireInitialised, resolveKeySource, withVault } from './context.js';
import { UsageError, printLine, type CliIo } from './io.js';
import { withUnlock, type CommonOptions } from './options.js';

/**
 * A file a command is about to create (a backup): refused with a clear message, before anything
 * is opened or written, when its directory is missing or it already exists.
 */
function checkNewFileTarget(file: string, what: string): void {
  const dir = path.dirname(path.resolve(file));
  let stat: fs.Stats;
  try {
    stat = fs.statSync(dir);
  } catch {
    throw new UsageError(`the directory ${dir} for the ${what} does not exist`, 'file');
  }
  if (!stat.isDirectory()) throw new UsageError(`${dir} is not a directory`, 'file');
  try {
    fs.accessSync(dir, fs.constants.W_OK);
  } catch {
    throw new UsageError(`the directory ${dir} for the ${what} is not writable`, 'file');
  }
  if (fs.existsSync(file))
    throw new UsageError(`${file} already exists; choose a new file name`, 'file');
}

export function addBackupCommands(program: Command, io: CliIo): void {
  withUnlock(
    program
      .command('backup')
      .description('online backup of the encrypted database (the key is never in it)'),
  )
    .argument('<file>', 'the backup file to write')
    .action(async (file: string, o: CommonOptions) => {
      // Checked before the vault is unlocked, so a bad path never asks for a passphrase.
      checkNewFileTarget(file, 'backup');
      const result = await withVault(o, io, ({ vault }) => backupVault(vault, file, 'cli'));
      printLine(
        io.stdout,
        `backup written to ${file} (${result.pages} pages). Keep the key (passphrase or key file) apart from it.`,
      );
    });

  withUnlock(
    program
      .command('restore')
      .description('replace the database with a backup made by this installation'),
  )
    .argument('<file>', 'the backup file')
    .action(async (file: string, o: CommonOptions) => {
      const dataDir = dataDirFrom(o, io);
      requireInitialised(dataDir);
      refuseWhileServing(dataDir, 'restoring');
      const { config: cfg } = loadConfig(dataDir);
      const source = await resolveKeySource(o, dataDir, cfg, io);
      const result = await restoreVault(dataDir, source, file, 'cli');
      printLine(
        io.stdout,
        `restored ${file} into ${dataDir}; destructions re-applied: ${result.reappliedDestructions}`,
      );
    });
}
