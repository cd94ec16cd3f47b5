import * as fs from 'node:fs';
import type { Command } from 'commander';
import {
  CONFIG_FILE_NAME,
  defaultConfigText,
  isLoopbackHost,
  loadConfig,
  parseConfig,
  resolveDataDirPath,
  type Config,
} from '../config/index.js';
import { makeSelfSignedCertificate } from '../tls.js';
import {
  DEFAULT_CLIENT_SCOPES,
  addStaffUser,
  createApiClient,
  generatePassword,
  normaliseUsername,
  registerKiosk,
} from '../auth/index.js';
import {
  INIT_STEPS,
  acquireApplianceLock,
  cleanIncompleteInit,
  dataDirPaths,
  dataDirState,
  notInitialisedError,
  checkPassphraseLength,
  provisionDataDir,
  writeFileAtomic,
  type InitStep,
  type KdfProfile,
} from '../vault/index.js';
import {
  printJson,
  printLine,
  promptSecret,
  readSecretFile,
  UsageError,
  type CliIo,
} from './io.js';
import { dataDirFrom } from './context.js';
import { kdfOption, withDataDir, type CommonOptions } from './options.js';

export interface InitOptions {
  dataDir: string;
  unattended: boolean;
  passphraseFile?: string | undefined;
  kdf?: KdfProfile | undefined;
  adminUsername: string;
  json: boolean;
  /**
   * `--host`: the address to serve on, written to config.json. Beyond loopback a self-signed
   * certificate is made for it (TLS is required there) and its fingerprint printed.
   */
  host?: string | undefined;
  /** The caller (`start`) already holds the appliance lock on the data dir. */
  holdingLock?: boolean;
}

export interface Provisioned {
  dataDir: string;
  installationId: string;
  admin: { username: string; password: string };
  apiKey: { clientId: string; key: string; scopes: readonly string[] };
  kioskToken: { kioskId: string; token: string };
  unattendedKeyFile: string | null;
  /** The self-signed certificate init made (for `--host` beyond loopback), or null. */
  tls: { certFile: string; keyFile: string; fingerprint256: string; validTo: string } | null;
}

/** Where init writes the certificate and key it makes, relative to the data dir (config.json). */
export const TLS_CERT_FILE = 'tls.crt';
export const TLS_KEY_FILE = 'tls.key';

/** `--host` checked like server.host in config.json; refused with an admin's config.json there. */
function checkHost(host: string, configExists: boolean, configFile: string): void {
  // The host alone: the certificate that TLS beyond loopback needs is what init makes.
  const tls = { certFile: TLS_CERT_FILE, keyFile: TLS_KEY_FILE };
  const outcome = parseConfig({ server: { host, tls } });
  if (!outcome.ok) throw new UsageError('--host must be an IP address or a host name', 'host');
  if (configExists)
    throw new UsageError(
      `${configFile} already exists: set server.host (and server.tls beyond loopback) there instead of --host`,
      'host',
    );
}

async function choosePassphrase(options: InitOptions, io: CliIo): Promise<string | undefined> {
  if (options.passphraseFile) return readSecretFile(options.passphraseFile, 'passphrase');
  if (io.env.VERIKIOSK_PASSPHRASE) return io.env.VERIKIOSK_PASSPHRASE;
  if (options.unattended) return undefined;
  if (!io.interactive) {
    throw new UsageError(
      'init needs --unattended, --passphrase-file or a terminal to ask for the admin passphrase',
    );
  }
  const first = await promptSecret(io, 'New admin passphrase (12+ characters): ');
  const second = await promptSecret(io, 'Repeat the passphrase: ');
  if (first !== second) throw new UsageError('the two passphrases differ');
  return first;
}

/** The environment variable the init crash test sets to stop the process at a step. */
export const INIT_KILL_AT_ENV = 'VERIKIOSK_TEST_INIT_KILL_AT';

/**
 * A step hook for the crash test: with $VERIKIOSK_TEST_INIT_KILL_AT set to a step's name, the
 * process kills itself (SIGKILL, no clean-up) right after that step, so the test exercises the
 * real code path at each point where init can be interrupted.
 */
export function initStepHook(io: CliIo): ((step: InitStep) => void) | undefined {
  const killAt = io.env[INIT_KILL_AT_ENV];
  if (!killAt) return undefined;
  if (!(INIT_STEPS as readonly string[]).includes(killAt))
    throw new UsageError(
      `${INIT_KILL_AT_ENV} names no init step; the steps are ${INIT_STEPS.join(', ')}`,
    );
  return (step) => {
    if (step === killAt) process.kill(process.pid, 'SIGKILL');
  };
}

/**
 * Removes what an interrupted init left (see `cleanIncompleteInit`), saying so on stderr.
 * Such a dir never served: it holds no records and its one-time secrets were never shown.
 */
export async function cleanInterruptedInit(dataDir: string, io: CliIo): Promise<void> {
  if (dataDirState(dataDir) !== 'init_incomplete') return;
  await cleanIncompleteInit(dataDir);
  printLine(
    io.stderr,
    `Removed an initialisation of ${dataDir} that did not complete (it held no records and its secrets were never shown); initialising afresh.`,
  );
}

/**
 * Creates a data dir: config, keys, database, the first admin, a kiosk token and the first API
 * key, all or nothing (`provisionDataDir`); an interrupted earlier init is removed first. The
 * secrets are returned for printing once the data dir is complete; only their hashes are stored.
 * Everything that can be refused is checked before anything is written; the appliance lock is
 * held while the dir is built (`start` takes it itself and says so with `holdingLock`).
 */
export async function initialise(options: InitOptions, io: CliIo): Promise<Provisioned> {
  const paths = dataDirPaths(options.dataDir);
  const state = dataDirState(paths.dir);
  if (state === 'initialised' || state === 'damaged') throw notInitialisedError(paths.dir);
  const onStep = initStepHook(io);
  // An admin may have written config.json first: it must be valid before anything is created.
  if (fs.existsSync(paths.config)) loadConfig(paths.dir);
  if (options.host !== undefined)
    checkHost(options.host, fs.existsSync(paths.config), paths.config);
  // Likewise the admin's name and the passphrase: refused before anything is created.
  normaliseUsername(options.adminUsername);
  const passphrase = await choosePassphrase(options, io);
  if (passphrase !== undefined) checkPassphraseLength(passphrase);
  if (options.holdingLock) return provision(options, passphrase, onStep, io);
  // Held while the dir is built: a `start` or `init` on the same dir is refused meanwhile.
  fs.mkdirSync(paths.dir, { recursive: true, mode: 0o700 });
  const lock = acquireApplianceLock(paths.dir);
  try {
    return await provision(options, passphrase, onStep, io);
  } finally {
    lock.release();
  }
}

async function provision(
  options: InitOptions,
  passphrase: string | undefined,
  onStep: ((step: InitStep) => void) | undefined,
  io: CliIo,
): Promise<Provisioned> {
  const paths = dataDirPaths(options.dataDir);
  await cleanInterruptedInit(paths.dir, io);
  // Read after the clean-up, which removes a config.json that the interrupted init wrote.
  const existing: Config | null = fs.existsSync(paths.config) ? loadConfig(paths.dir).config : null;
  const keyFile = options.unattended
    ? resolveDataDirPath(paths.dir, existing?.keys.keyFile ?? 'master.key')
    : undefined;
  const served = existing ? null : servedConfig(paths.dir, options.host);
  let provisioned: Awaited<ReturnType<typeof provisionWith>>;
  try {
    provisioned = await provisionWith(
      paths.dir,
      options,
      passphrase,
      keyFile,
      existing,
      served?.configText ?? null,
      onStep,
    );
  } catch (error) {
    // Not a crash (an interrupted init leaves them to be replaced by the next): take them back.
    if (served?.tls)
      for (const file of [served.tls.keyFile, served.tls.certFile])
        fs.rmSync(file, { force: true });
    throw error;
  }
  const { installationId, result } = provisioned;
  return {
    dataDir: paths.dir,
    installationId,
    admin: { username: options.adminUsername, password: result.password },
    apiKey: {
      clientId: result.api.client.id,
      key: result.api.key,
      scopes: result.api.client.scopes,
    },
    kioskToken: { kioskId: result.kiosk.kiosk.id, token: result.kiosk.token },
    unattendedKeyFile: keyFile ?? null,
    tls: served?.tls ?? null,
  };
}

/**
 * The starter config.json, with `host` when given. Beyond loopback a new self-signed certificate
 * and its key (0600) are written to the data dir first and named in server.tls; the config file
 * itself is written by the all-or-nothing provisioning.
 */
function servedConfig(
  dataDir: string,
  host: string | undefined,
): { configText: string; tls: Provisioned['tls'] } {
  if (host === undefined) return { configText: defaultConfigText(), tls: null };
  const config = JSON.parse(defaultConfigText()) as { server: Record<string, unknown> };
  config.server.host = host;
  let tls: Provisioned['tls'] = null;
  if (!isLoopbackHost(host)) {
    const made = makeSelfSignedCertificate(host);
    const certFile = resolveDataDirPath(dataDir, TLS_CERT_FILE);
    const keyFile = resolveDataDirPath(dataDir, TLS_KEY_FILE);
    writeFileAtomic(keyFile, made.keyPem, 0o600);
    writeFileAtomic(certFile, made.certPem, 0o644);
    config.server.tls = { certFile: TLS_CERT_FILE, keyFile: TLS_KEY_FILE };
    tls = {
      certFile,
      keyFile,
      fingerprint256: made.fingerprint256,
      validTo: made.notAfter.toISOString(),
    };
  }
  return { configText: `${JSON.stringify(config, null, 2)}\n`, tls };
}

function provisionWith(
  dataDir: string,
  options: InitOptions,
  passphrase: string | undefined,
  keyFile: string | undefined,
  existing: Config | null,
  configText: string | null,
  onStep: ((step: InitStep) => void) | undefined,
) {
  return provisionDataDir(
    dataDir,
    {
      ...(passphrase !== undefined ? { passphrase } : {}),
      ...(keyFile !== undefined ? { unattendedKeyFile: keyFile } : {}),
      kdf: options.kdf ?? existing?.keys.kdf ?? 'moderate',
      actor: 'cli',
      configText,
      ...(onStep ? { onStep } : {}),
    },
    (vault) => {
      const password = generatePassword();
      addStaffUser(
        vault,
        { username: options.adminUsername, role: 'admin', password, mustChangePassword: true },
        'cli',
      );
      onStep?.('admin_added');
      const kiosk = registerKiosk(vault, 'kiosk-1', 'cli');
      onStep?.('kiosk_registered');
      const api = createApiClient(
        vault,
        { name: 'branch-system', scopes: DEFAULT_CLIENT_SCOPES },
        'cli',
      );
      onStep?.('api_key_created');
      return { password, kiosk, api };
    },
  );
}

export function printUnattendedWarning(io: CliIo, keyFile: string): void {
  const lines = [
    '',
    '!! WARNING: unattended key mode.',
    `!! The master key is stored unencrypted in ${keyFile} (mode 0600) so the appliance can start`,
    '!! with nobody present. Anyone who can read that file can read every record in the vault.',
    "!! To leave unattended mode, set an admin passphrase with 'verikiosk keys change-passphrase':",
    '!! it seals the key under the passphrase, then overwrites and removes the key file. Otherwise keep',
    '!! the data dir on an encrypted disk, or move the key into a systemd credential',
    '!! (packaging/verikiosk.service).',
    '',
  ];
  for (const line of lines) printLine(io.stderr, line);
}

export function printProvisioned(io: CliIo, p: Provisioned, json: boolean): void {
  if (json) {
    printJson(io.stdout, p);
    return;
  }
  const out = io.stdout;
  printLine(
    out,
    `Initialised ${p.dataDir} (installation ${p.installationId}, config in ${CONFIG_FILE_NAME}).`,
  );
  printLine(out);
  printLine(out, 'These secrets are shown ONCE. Store them now; only their hashes are kept.');
  printLine(out, `  admin user      ${p.admin.username}`);
  printLine(out, `  admin password  ${p.admin.password}   (must be changed at first login)`);
  printLine(
    out,
    `  API key         ${p.apiKey.key}   (client ${p.apiKey.clientId}; scopes ${p.apiKey.scopes.join(', ')})`,
  );
  printLine(out, `  kiosk token     ${p.kioskToken.token}   (kiosk ${p.kioskToken.kioskId})`);
  printLine(out);
  if (p.tls) printCertificate(io, p.tls);
}

/** The certificate init made: staff compare this fingerprint with what their browser shows. */
export function printCertificate(io: CliIo, tls: NonNullable<Provisioned['tls']>): void {
  const out = io.stdout;
  printLine(out, `TLS: a self-signed certificate was made for this appliance (${tls.certFile},`);
  printLine(out, `key ${tls.keyFile} mode 0600, valid until ${tls.validTo}).`);
  printLine(out, `  SHA-256 fingerprint  ${tls.fingerprint256}`);
  printLine(
    out,
    'Pin it: before trusting the appliance, check that the browser or client shows this fingerprint.',
  );
  printLine(out);
}

/** `verikiosk init`: creates the data dir and prints the first credentials once. */
export function addInitCommand(program: Command, io: CliIo): void {
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
    .option(
      '--host <host>',
      'the address to serve on (server.host); beyond loopback a self-signed certificate is made and its fingerprint printed',
    )
    .option('--json', 'print the secrets as JSON')
    .action(
      async (
        o: CommonOptions & {
          unattended?: boolean;
          kdf?: KdfProfile;
          adminUsername: string;
          host?: string;
        },
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
            host: o.host,
          },
          io,
        );
        if (provisioned.unattendedKeyFile)
          printUnattendedWarning(io, provisioned.unattendedKeyFile);
        printProvisioned(io, provisioned, Boolean(o.json));
      },
    );
}
