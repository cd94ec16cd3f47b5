import * as fs from 'node:fs';
import {
  CONFIG_FILE_NAME,
  defaultConfigText,
  loadConfig,
  resolveDataDirPath,
  type Config,
} from '../config/index.js';
import {
  DEFAULT_CLIENT_SCOPES,
  addStaffUser,
  createApiClient,
  generatePassword,
  normaliseUsername,
  registerKiosk,
} from '../auth/index.js';
import {
  DataDirError,
  Vault,
  dataDirPaths,
  isInitialised,
  writeFileAtomic,
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

export interface InitOptions {
  dataDir: string;
  unattended: boolean;
  passphraseFile?: string | undefined;
  kdf?: KdfProfile | undefined;
  adminUsername: string;
  json: boolean;
}

export interface Provisioned {
  dataDir: string;
  installationId: string;
  admin: { username: string; password: string };
  apiKey: { clientId: string; key: string; scopes: readonly string[] };
  kioskToken: { kioskId: string; token: string };
  unattendedKeyFile: string | null;
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

/**
 * Creates a data dir: config, keys, database, the first admin, a kiosk token and the first API
 * key. The secrets are returned for printing once; only their hashes are stored.
 */
export async function initialise(options: InitOptions, io: CliIo): Promise<Provisioned> {
  const paths = dataDirPaths(options.dataDir);
  if (isInitialised(paths.dir)) {
    throw new DataDirError('already_initialised', `${paths.dir} is already initialised`);
  }
  // An admin may have written config.json first: it must be valid before anything is created.
  const existing: Config | null = fs.existsSync(paths.config) ? loadConfig(paths.dir).config : null;
  // Likewise the admin's name: a refusal after Vault.init would leave a data dir without an admin.
  normaliseUsername(options.adminUsername);
  const passphrase = await choosePassphrase(options, io);
  const keyFile = options.unattended
    ? resolveDataDirPath(paths.dir, existing?.keys.keyFile ?? 'master.key')
    : undefined;
  const vault = await Vault.init(paths.dir, {
    ...(passphrase !== undefined ? { passphrase } : {}),
    ...(keyFile !== undefined ? { unattendedKeyFile: keyFile } : {}),
    kdf: options.kdf ?? existing?.keys.kdf ?? 'moderate',
    actor: 'cli',
  });
  try {
    if (!existing) writeFileAtomic(paths.config, defaultConfigText(), 0o600);
    const password = generatePassword();
    addStaffUser(
      vault,
      { username: options.adminUsername, role: 'admin', password, mustChangePassword: true },
      'cli',
    );
    const kiosk = registerKiosk(vault, 'kiosk-1', 'cli');
    const api = createApiClient(
      vault,
      { name: 'branch-system', scopes: DEFAULT_CLIENT_SCOPES },
      'cli',
    );
    return {
      dataDir: paths.dir,
      installationId: vault.installationId,
      admin: { username: options.adminUsername, password },
      apiKey: { clientId: api.client.id, key: api.key, scopes: api.client.scopes },
      kioskToken: { kioskId: kiosk.kiosk.id, token: kiosk.token },
      unattendedKeyFile: keyFile ?? null,
    };
  } finally {
    vault.close();
  }
}

export function printUnattendedWarning(io: CliIo, keyFile: string): void {
  const lines = [
    '',
    '!! WARNING: unattended key mode.',
    `!! The master key is stored unencrypted in ${keyFile} (mode 0600) so the appliance can start`,
    '!! with nobody present. Anyone who can read that file can read every record in the vault.',
    "!! Set an admin passphrase now with 'verikiosk keys change-passphrase', keep the data dir on an",
    '!! encrypted disk, or move the key into a systemd credential (packaging/verikiosk.service).',
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
}
