/** What every command module shares: exit codes and the data-dir and unlock options. */
import { Option, type Command } from 'commander';
import type { UnlockOptions } from './context.js';

/** Exit codes: 0 ok, 1 failure, 2 usage or refused input. */
export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;

export type CommonOptions = UnlockOptions & { json?: boolean };

export function withDataDir(command: Command): Command {
  return command.option(
    '--data-dir <dir>',
    'the data directory (default: $VERIKIOSK_DATA_DIR or ~/.local/share/verikiosk)',
  );
}

export function withUnlock(command: Command): Command {
  return withDataDir(command)
    .option(
      '--passphrase-file <file>',
      'read the admin passphrase from the first line of this file',
    )
    .option('--key-file <file>', 'unlock with this master-key file');
}

export function kdfOption(): Option {
  return new Option('--kdf <profile>', 'Argon2id cost for the passphrase').choices([
    'interactive',
    'moderate',
    'sensitive',
  ]);
}
