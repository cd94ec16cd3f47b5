/** `verikiosk backup <file>` (online, while serving) and `verikiosk restore <file>` (stopped only). */
import type { Command } from 'commander';
import { formatIsoDuration, loadConfig } from '../config/index.js';
import { BACKUP_RULE_ID, backupRetention, backupRetentionCutoff } from '../retention/index.js';
import {
  backupVault,
  checkBackupTarget,
  refuseWhileServing,
  restoreVault,
} from '../vault/index.js';
import { dataDirFrom, requireInitialised, resolveKeySource, withVault } from './context.js';
import { printLine, type CliIo } from './io.js';
import { withUnlock, type CommonOptions } from './options.js';

export function addBackupCommands(program: Command, io: CliIo): void {
  withUnlock(
    program
      .command('backup')
      .description('online backup of the encrypted database (the key is never in it)'),
  )
    .argument('<file>', 'the backup file to write')
    .action(async (file: string, o: CommonOptions) => {
      // Checked before the vault is unlocked, so a bad path never asks for a passphrase.
      checkBackupTarget(file);
      const result = await withVault(o, io, ({ vault }) => backupVault(vault, file, 'cli'));
      const { config: cfg } = loadConfig(dataDirFrom(o, io));
      const retention = backupRetention(cfg);
      printLine(
        io.stdout,
        `backup written to ${file} (${result.pages} pages). Keep the key (passphrase or key file) apart from it.` +
          (retention === null
            ? ` Backup ${result.backupId} never expires (rule ${BACKUP_RULE_ID} is off).`
            : ` Backup ${result.backupId} can be restored for ${formatIsoDuration(retention)} (rule ${BACKUP_RULE_ID}); then its key is destroyed.`),
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
      const result = await restoreVault(dataDir, source, file, 'cli', {
        retentionCutoff: backupRetentionCutoff(cfg, new Date()),
      });
      printLine(
        io.stdout,
        `restored ${file} into ${dataDir}; destructions re-applied: ${result.reappliedDestructions}`,
      );
    });
}
