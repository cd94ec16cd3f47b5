import { Command, CommanderError } from 'commander';
import { ConfigError } from '../config/index.js';
import { errorFields } from '../log/index.js';
import {
  BackupError,
  DataDirError,
  IntegrityError,
  KeyError,
  SchemaVersionError,
  VaultRuleError,
} from '../vault/index.js';
import { ListenError } from '../app.js';
import { packageVersion } from '../version.js';
import { UsageError, printLine, processIo, type CliIo } from './io.js';
import { addApiKeyCommands } from './api-keys.js';
import { addAuditCommands } from './audit.js';
import { addBackupCommands } from './backup.js';
import { addConfigCommands } from './config.js';
import { addDeviceCommands } from './devices.js';
import { addDocumentCommands } from './documents.js';
import { addDoctorCommand } from './doctor.js';
import { addFaceCommands } from './face.js';
import { addFacesCommands } from './faces.js';
import { addFleetCommands } from './fleet.js';
import { FleetError } from '../fleet/index.js';
import { addInitCommand } from './init.js';
import { addKeyCommands } from './keys.js';
import { addKioskCommands } from './kiosks.js';
import { EXIT_FAILURE, EXIT_OK, EXIT_USAGE, withUnlock } from './options.js';
import { addRetentionCommands } from './retention.js';
import { addSignatureCommands } from './signature.js';
import { addStartCommand } from './start.js';
import { addStatusCommand } from './status.js';
import { addSupportBundleCommand } from './support-bundle.js';
import { addTlsCommands } from './tls.js';
import { addUserCommands } from './users.js';

export { EXIT_FAILURE, EXIT_OK, EXIT_USAGE } from './options.js';

/**
 * The program: global options and output, then each command's module in the order `--help`
 * lists them. Error handling (exit codes, unknown commands) is in `main`.
 */
export function buildProgram(io: CliIo, setExit: (code: number) => void): Command {
  const program = new Command('verikiosk')
    .description('On-prem identity verification and biometric authentication appliance')
    .version(packageVersion(), '-V, --version')
    .showHelpAfterError()
    .configureOutput({
      writeOut: (s) => io.stdout.write(s),
      writeErr: (s) => io.stderr.write(s),
    })
    .exitOverride();

  addInitCommand(program, io);
  addStartCommand(program, io, setExit);
  addStatusCommand(program, io);
  addDoctorCommand(program, io, setExit);
  addSupportBundleCommand(program, io);
  addConfigCommands(program, io, setExit);
  addAuditCommands(program, io, setExit, withUnlock);
  addRetentionCommands(program, io);
  addBackupCommands(program, io);
  addTlsCommands(program, io);
  addKeyCommands(program, io);
  addUserCommands(program, io);
  addApiKeyCommands(program, io);
  addKioskCommands(program, io);
  addDocumentCommands(program, io, setExit);
  addSignatureCommands(program, io, setExit);
  addDeviceCommands(program, io, setExit);
  addFaceCommands(program, io, setExit);
  addFacesCommands(program, io, setExit);
  addFleetCommands(program, io, setExit);

  return program;
}

/** Errors caused by what the user gave (flags, files, passphrase, key, backup): exit 2. */
function isRefusedInput(error: unknown): boolean {
  return (
    error instanceof UsageError ||
    error instanceof KeyError ||
    error instanceof SchemaVersionError ||
    error instanceof BackupError ||
    error instanceof ConfigError ||
    error instanceof VaultRuleError ||
    error instanceof ListenError ||
    (error instanceof FleetError && !error.reason.startsWith('engine_')) ||
    (error instanceof DataDirError && error.reason !== 'unusable')
  );
}

function describeError(error: unknown): string {
  if (error instanceof ConfigError) {
    // The messages name the key; the rule code says which kind of problem it is.
    return [
      ConfigError.heading(error.path, error.issues),
      ...error.issues.map((i) => `  ${i.message} [${i.rule}]`),
    ].join('\n');
  }
  if (
    isRefusedInput(error) ||
    error instanceof IntegrityError ||
    error instanceof DataDirError ||
    error instanceof FleetError
  ) {
    return (error as Error).message;
  }
  // A foreign error's message may quote data: name and code only.
  const fields = errorFields(error);
  return `internal error (${fields.errorName}${fields.errorCode ? ` ${fields.errorCode}` : ''})`;
}

/**
 * Refuses an unknown command name before commander parses: commander shows the general help
 * for `verikiosk flotilla --help` (the help flag wins over the unknown name) and exits 0.
 * Walks the command groups only; their options take no values.
 */
function refuseUnknownCommand(program: Command, argv: readonly string[]): void {
  let command = program;
  let afterHelp = false;
  for (const token of argv) {
    if (command.commands.length === 0 || token === '--') return;
    if (token.startsWith('-')) {
      const flag = token.split('=')[0];
      const option = command.options.find((o) => o.short === flag || o.long === flag);
      // a value follows: leave the rest to commander
      if (option && (option.required || option.optional)) return;
      continue;
    }
    const sub = command.commands.find((c) => c.name() === token || c.aliases().includes(token));
    if (!sub && token === 'help' && !afterHelp) {
      afterHelp = true;
      continue;
    }
    if (!sub) {
      return command.error(`error: unknown command '${token}'`, {
        code: 'commander.unknownCommand',
        exitCode: EXIT_USAGE,
      });
    }
    if (afterHelp) return;
    command = sub;
  }
}

/** Runs the CLI; returns the exit code. */
export async function main(argv: readonly string[], io: CliIo = processIo()): Promise<number> {
  let exitCode = EXIT_OK;
  const program = buildProgram(io, (code) => {
    exitCode = code;
  });
  try {
    refuseUnknownCommand(program, argv);
    await program.parseAsync(argv, { from: 'user' });
    return exitCode;
  } catch (error) {
    if (error instanceof CommanderError) {
      if (error.code === 'commander.helpDisplayed' || error.code === 'commander.version')
        return EXIT_OK;
      // 'commander.help' is `help`, or a command group run without its subcommand (help as an error).
      if (error.code === 'commander.help' && error.exitCode === 0) return EXIT_OK;
      return EXIT_USAGE;
    }
    printLine(io.stderr, `verikiosk: ${describeError(error)}`);
    return isRefusedInput(error) ? EXIT_USAGE : EXIT_FAILURE;
  }
}
