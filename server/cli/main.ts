import * as fs from 'node:fs';
import * as path from 'node:path';
import { Command, CommanderError, Option } from 'commander';
import {
  API_SCOPES,
  STAFF_ROLES,
  addStaffUser,
  createApiClient,
  disableStaffUser,
  generatePassword,
  listApiClients,
  listKiosks,
  listStaffUsers,
  parseScopes,
  registerKiosk,
  revokeApiClient,
  revokeKiosk,
  type StaffRole,
} from '../auth/index.js';
import {
  checkConfigFile,
  loadConfig,
  CONFIG_FILE_NAME,
  resolveRetentionRules,
  ConfigError,
  resolveDataDirPath,
} from '../config/index.js';
import { errorFields } from '../log/index.js';
import { publishedSchedule, renderSchedule, runRetention } from '../retention/index.js';
import {
  BackupError,
  DataDirError,
  IntegrityError,
  KeyError,
  MIN_PASSPHRASE_LENGTH,
  SchemaVersionError,
  VaultRuleError,
  checkPassphraseLength,
  dataDirPaths,
  keyFileHoldsKey,
  removeKeyFile,
  refuseWhileServing,
  backupVault,
  restoreVault,
  type KdfProfile,
  type Vault,
} from '../vault/index.js';
import { ListenError } from '../app.js';
import { packageVersion } from '../version.js';
import {
  dataDirFrom,
  requireInitialised,
  resolveKeySource,
  withVault,
  type UnlockOptions,
} from './context.js';
import { initialise, printProvisioned, printUnattendedWarning } from './init.js';
import {
  UsageError,
  printJson,
  printLine,
  printTable,
  processIo,
  promptSecret,
  readSecretFile,
  type CliIo,
} from './io.js';
import { addAuditCommands } from './audit.js';
import { addDocumentCommands } from './documents.js';
import { addSignatureCommands } from './signature.js';
import { addDeviceCommands } from './devices.js';
import { addFaceCommands } from './face.js';
import { start } from './start.js';
import { collectStatus, printStatus } from './status.js';

/** Exit codes: 0 ok, 1 failure, 2 usage or refused input. */
export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;

type CommonOptions = UnlockOptions & { json?: boolean };

function withDataDir(command: Command): Command {
  return command.option(
    '--data-dir <dir>',
    'the data directory (default: $VERIKIOSK_DATA_DIR or ~/.local/share/verikiosk)',
  );
}

function withUnlock(command: Command): Command {
  return withDataDir(command)
    .option(
      '--passphrase-file <file>',
      'read the admin passphrase from the first line of this file',
    )
    .option('--key-file <file>', 'unlock with this master-key file');
}

function parseDate(value: string): Date {
  const date = /^\d{4}-\d{2}-\d{2}(T[\d:.]+(Z|[+-]\d{2}:\d{2})?)?$/.test(value)
    ? new Date(value)
    : new Date(NaN);
  if (Number.isNaN(date.getTime()))
    throw new UsageError('--as-of must be a date like 2027-01-31 or an ISO time', 'as-of');
  return date;
}

function kdfOption(): Option {
  return new Option('--kdf <profile>', 'Argon2id cost for the passphrase').choices([
    'interactive',
    'moderate',
    'sensitive',
  ]);
}

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
  if (!fs.existsSync(file) || !keyFileHoldsKey(file, vault.keys.keyId)) return null;
  removeKeyFile(file);
  vault.audit({ actor: 'cli', action: 'keys.key_file_removed', details: {} });
  return file;
}

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

  withDataDir(
    program
      .command('init')
      .description('create the data dir, keys, database, first admin, kiosk token and API key'),
  )
    .option(
      '--unattended',
      'keep the master key in a 0600 key file so the appliance starts with nobody present',
    )
    .option(
      '--passphrase-file <file>',
      'seal the master key under the passphrase on the first line of this file',
    )
    .addOption(kdfOption())
    .option('--admin-username <name>', 'the first admin', 'admin')
    .option('--json', 'print the secrets as JSON')
    .action(
      async (
        o: CommonOptions & { unattended?: boolean; kdf?: KdfProfile; adminUsername: string },
      ) => {
        const dataDir = dataDirFrom(o, io);
        const provisioned = await initialise(
          {
            dataDir,
            unattended: Boolean(o.unattended),
            passphraseFile: o.passphraseFile,
            kdf: o.kdf,
            adminUsername: o.adminUsername,
            json: Boolean(o.json),
          },
          io,
        );
        if (provisioned.unattendedKeyFile)
          printUnattendedWarning(io, provisioned.unattendedKeyFile);
        printProvisioned(io, provisioned, Boolean(o.json));
      },
    );

  withUnlock(
    program
      .command('start')
      .description('start the appliance (initialises the data dir on first run)'),
  )
    .option('--host <host>', 'address to listen on (default from config: 127.0.0.1)')
    .option('--port <port>', 'port to listen on (default from config: 8420)')
    .option(
      '--simulate',
      'attach the simulated signature pads and document reader (never without this flag unless config devices.simulate says so)',
    )
    .action(async (o: CommonOptions & { host?: string; port?: string; simulate?: boolean }) => {
      setExit(await start({ ...o, dataDir: dataDirFrom(o, io) }, io));
    });

  withDataDir(
    program
      .command('status')
      .description('show the data dir, keys, schema, appliance and record counts'),
  )
    .option('--json', 'print JSON')
    .action(async (o: CommonOptions) => {
      printStatus(io, await collectStatus(dataDirFrom(o, io), io), Boolean(o.json));
    });

  const config = program.command('config').description('configuration');
  withDataDir(
    config
      .command('check')
      .description(`validate a config file (default: the data dir's ${CONFIG_FILE_NAME})`),
  )
    .argument('[file]', 'the config file to check')
    .option('--json', 'print JSON')
    .action((file: string | undefined, o: CommonOptions) => {
      const dataDir = dataDirFrom(o, io);
      const path = file ?? dataDirPaths(dataDir).config;
      // Files the config names (TLS, key file) are checked where start would look for them.
      const outcome = checkConfigFile(path, dataDir);
      if (o.json)
        printJson(
          io.stdout,
          outcome.ok ? { ok: true, path } : { ok: false, path, errors: outcome.errors },
        );
      else if (outcome.ok) printLine(io.stdout, `${path}: valid`);
      else
        for (const issue of outcome.errors)
          printLine(io.stderr, `${path}: ${issue.message} [${issue.rule}]`);
      if (!outcome.ok) setExit(EXIT_USAGE);
    });

  addAuditCommands(program, io, setExit, withUnlock);

  const retention = program.command('retention').description('scheduled destruction');
  withUnlock(
    retention.command('run').description('destroy what the retention policy says has expired'),
  )
    .option('--dry-run', 'only report what would be destroyed')
    .option(
      '--as-of <date>',
      'evaluate the policy as of this date (future dates only with --dry-run)',
    )
    .option('--json', 'print JSON')
    .action(async (o: CommonOptions & { dryRun?: boolean; asOf?: string }) => {
      const asOf = o.asOf ? parseDate(o.asOf) : undefined;
      if (asOf && !o.dryRun && asOf.getTime() > Date.now()) {
        throw new UsageError(
          'a real run cannot be dated in the future: that would destroy data early; add --dry-run',
          'as-of',
        );
      }
      const report = await withVault(o, io, ({ vault, config: cfg }) =>
        runRetention(vault, resolveRetentionRules(cfg), {
          asOf,
          dryRun: Boolean(o.dryRun),
          trigger: 'manual',
          actor: 'cli',
        }),
      );
      if (o.json) {
        printJson(io.stdout, report);
        return;
      }
      printLine(
        io.stdout,
        `${report.dryRun ? 'Would destroy' : 'Destroyed'} as of ${report.asOf}: ${report.total} record(s)`,
      );
      printTable(
        io.stdout,
        ['category', 'rule', 'count', 'basis before'],
        report.items.map((i) => [i.category, i.ruleId, String(i.count), i.cutoff]),
      );
      if (report.heldSubjects > 0)
        printLine(
          io.stdout,
          `${report.heldSubjects} subject(s) under legal hold were left untouched.`,
        );
      if (report.runId)
        printLine(io.stdout, `Run ${report.runId}; destruction certificates are in the audit log.`);
    });
  withDataDir(
    retention
      .command('schedule')
      .description('print the published retention schedule from the live policy'),
  )
    .option('--json', 'print JSON')
    .action((o: CommonOptions) => {
      const { config: cfg } = loadConfig(dataDirFrom(o, io));
      const schedule = publishedSchedule(resolveRetentionRules(cfg));
      if (o.json) printJson(io.stdout, schedule);
      else printLine(io.stdout, renderSchedule(schedule));
    });

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

  const keys = program.command('keys').description('master key and data keys');
  withUnlock(
    keys
      .command('rotate')
      .description('new key-encryption key; re-wraps every data key (values are not re-encrypted)'),
  )
    .option('--json', 'print JSON')
    .action(async (o: CommonOptions) => {
      const result = await withVault(o, io, ({ vault }) => vault.rotateKeys('cli'));
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

  const users = program.command('users').description('staff users');
  withUnlock(users.command('add').description('add a staff user; prints a generated password once'))
    .argument('<username>')
    .addOption(new Option('--role <role>', 'the role').choices([...STAFF_ROLES]).default('staff'))
    .option('--password-file <file>', 'set this password instead of generating one')
    .option('--json', 'print JSON')
    .action(
      async (username: string, o: CommonOptions & { role: StaffRole; passwordFile?: string }) => {
        const password = o.passwordFile
          ? readSecretFile(o.passwordFile, 'password')
          : generatePassword();
        const user = await withVault(o, io, ({ vault }) =>
          addStaffUser(
            vault,
            { username, role: o.role, password, mustChangePassword: !o.passwordFile },
            'cli',
          ),
        );
        if (o.json) printJson(io.stdout, { user, ...(o.passwordFile ? {} : { password }) });
        else {
          printLine(io.stdout, `added ${user.username} (${user.role}, id ${user.id})`);
          if (!o.passwordFile)
            printLine(
              io.stdout,
              `password (shown once, must be changed at first login): ${password}`,
            );
        }
      },
    );
  withUnlock(users.command('list').description('list staff users'))
    .option('--json', 'print JSON')
    .action(async (o: CommonOptions) => {
      const list = await withVault(o, io, ({ vault }) => listStaffUsers(vault));
      if (o.json) printJson(io.stdout, list);
      else
        printTable(
          io.stdout,
          ['username', 'role', 'id', 'created', 'state'],
          list.map((u) => [
            u.username,
            u.role,
            u.id,
            u.createdAt,
            u.disabledAt ? `disabled ${u.disabledAt}` : 'active',
          ]),
        );
    });
  withUnlock(
    users
      .command('disable')
      .description('disable a staff user (the last admin cannot be disabled)'),
  )
    .argument('<username>')
    .action(async (username: string, o: CommonOptions) => {
      const user = await withVault(o, io, ({ vault }) => disableStaffUser(vault, username, 'cli'));
      printLine(io.stdout, `disabled ${user.username}`);
    });

  const apiKeys = program.command('api-keys').description('API clients for branch systems');
  withUnlock(apiKeys.command('create').description('create an API client; prints its key once'))
    .requiredOption('--name <name>', 'a name for the client')
    .option(
      '--scopes <list>',
      `comma-separated: ${API_SCOPES.join(', ')}, privacy:*`,
      'verifications:write,verifications:read',
    )
    .option('--json', 'print JSON')
    .action(async (o: CommonOptions & { name: string; scopes: string }) => {
      const scopes = parseScopes(o.scopes.split(','));
      const { client, key } = await withVault(o, io, ({ vault }) =>
        createApiClient(vault, { name: o.name, scopes }, 'cli'),
      );
      if (o.json) printJson(io.stdout, { client, key });
      else {
        printLine(io.stdout, `created API client ${client.id} (${client.scopes.join(', ')})`);
        printLine(io.stdout, `key (shown once): ${key}`);
      }
    });
  withUnlock(apiKeys.command('list').description('list API clients (never their keys)'))
    .option('--json', 'print JSON')
    .action(async (o: CommonOptions) => {
      const list = await withVault(o, io, ({ vault }) => listApiClients(vault));
      if (o.json) printJson(io.stdout, list);
      else
        printTable(
          io.stdout,
          ['id', 'name', 'prefix', 'scopes', 'state'],
          list.map((c) => [
            c.id,
            c.name,
            c.keyPrefix,
            c.scopes.join(','),
            c.revokedAt ? `revoked ${c.revokedAt}` : 'active',
          ]),
        );
    });
  withUnlock(apiKeys.command('revoke').description('revoke an API client'))
    .argument('<id>')
    .action(async (id: string, o: CommonOptions) => {
      const client = await withVault(o, io, ({ vault }) => revokeApiClient(vault, id, 'cli'));
      printLine(io.stdout, `revoked ${client.id}`);
    });

  const kiosks = program.command('kiosks').description('kiosk windows and their tokens');
  withUnlock(
    kiosks.command('create').description('register a kiosk; prints its token once (stored hashed)'),
  )
    .requiredOption('--name <name>', 'a name for the kiosk')
    .option('--json', 'print JSON')
    .action(async (o: CommonOptions & { name: string }) => {
      const { kiosk, token } = await withVault(o, io, ({ vault }) =>
        registerKiosk(vault, o.name, 'cli'),
      );
      if (o.json) printJson(io.stdout, { kiosk, token });
      else {
        printLine(io.stdout, `registered kiosk ${kiosk.id} (${kiosk.name})`);
        printLine(io.stdout, `token (shown once): ${token}`);
      }
    });
  withUnlock(kiosks.command('list').description('list kiosks (never their tokens)'))
    .option('--json', 'print JSON')
    .action(async (o: CommonOptions) => {
      const list = await withVault(o, io, ({ vault }) => listKiosks(vault));
      if (o.json) printJson(io.stdout, list);
      else
        printTable(
          io.stdout,
          ['id', 'name', 'prefix', 'created', 'state'],
          list.map((k) => [
            k.id,
            k.name,
            k.tokenPrefix,
            k.createdAt,
            k.revokedAt ? `revoked ${k.revokedAt}` : 'active',
          ]),
        );
    });
  withUnlock(kiosks.command('revoke').description("revoke a kiosk's token"))
    .argument('<id>')
    .action(async (id: string, o: CommonOptions) => {
      const kiosk = await withVault(o, io, ({ vault }) => revokeKiosk(vault, id, 'cli'));
      printLine(io.stdout, `revoked ${kiosk.id}`);
    });

  addDocumentCommands(program, io, setExit);
  addSignatureCommands(program, io, setExit);
  addDeviceCommands(program, io, setExit);
  addFaceCommands(program, io, setExit);

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
  if (isRefusedInput(error) || error instanceof IntegrityError || error instanceof DataDirError) {
    return (error as Error).message;
  }
  // A foreign error's message may quote data: name and code only.
  const fields = errorFields(error);
  return `internal error (${fields.errorName}${fields.errorCode ? ` ${fields.errorCode}` : ''})`;
}

/**
 * Refuses an unknown command name before commander parses: commander shows the general help
 * for `verikiosk fleet --help` (the help flag wins over the unknown name) and exits 0.
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
