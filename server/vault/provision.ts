import * as fs from 'node:fs';
import * as path from 'node:path';
import { openReadableDb } from './db.js';
import { dataDirPaths, dataDirState, notInitialisedError, runningAppliancePid } from './datadir.js';
import { DataDirError } from './errors.js';
import { fsyncDir, fsyncFile, writeFileAtomic } from './files.js';
import {
  keyFileHoldsKey,
  readManifest,
  removeKeyFile,
  type KdfProfile,
  type KeyManifest,
} from './keys.js';
import { loadSodium, sodium } from './sodium.js';
import { VAULT_INIT_STEPS, Vault } from './vault.js';

/**
 * Initialisation is all or nothing. First a marker file is written in the data dir; then every
 * piece of the new data dir (keys.json, the database with its first admin, API key and kiosk,
 * config.json) is built in a staging dir inside the data dir (the data dir may be a mount point,
 * which cannot be replaced by a rename), fsynced, and moved into place one rename at a time;
 * removing the marker is the commit. While the marker exists the data dir is "init_incomplete"
 * to every command, whatever has been moved in already, and `cleanIncompleteInit` removes exactly
 * the pieces that init made, using the plan in the marker. Such a dir never served, so it holds no
 * records, and its one-time secrets were never shown (they are printed after the commit).
 * Only the unattended key file is written in its final place, since it may live on another disk;
 * keys.json (which names its key id) is written before it, so cleaning can tell it is ours.
 */

/** The points after which the crash test may stop an init, in order. */
export const INIT_STEPS = [
  'data_dir_created',
  'staging_created',
  'config_staged',
  ...VAULT_INIT_STEPS,
  'admin_added',
  'kiosk_registered',
  'api_key_created',
  'database_closed',
  'config_moved',
  'database_moved',
  'manifest_moved',
  'committed',
] as const;
export type InitStep = (typeof INIT_STEPS)[number];

const PLAN_FORMAT = 'verikiosk-init';

/** What an init is about to create: the marker's content, written before anything else. */
interface InitPlan {
  format: typeof PLAN_FORMAT;
  pid: number;
  startedAt: string;
  /** The unattended key file init writes, or null. */
  keyFile: string | null;
  /** sha256 of the config.json init writes, or null when the admin's own config.json is used. */
  configSha256: string | null;
}

export interface ProvisionOptions {
  passphrase?: string;
  unattendedKeyFile?: string;
  kdf?: KdfProfile;
  actor?: string;
  /** The starter config.json to write, or null to keep the admin's config.json already there. */
  configText: string | null;
  onStep?: (step: InitStep) => void;
}

function sha256(text: string | Uint8Array): string {
  return sodium().crypto_hash_sha256(text, 'hex');
}

function exists(file: string): boolean {
  return fs.existsSync(file);
}

/**
 * Builds a complete data dir or nothing (see above). `populate` adds the first records to the
 * open vault before it is moved into place; its result is returned once the data dir is complete.
 */
export async function provisionDataDir<T>(
  dataDir: string,
  options: ProvisionOptions,
  populate: (vault: Vault) => T,
): Promise<{ installationId: string; result: T }> {
  await loadSodium();
  const paths = dataDirPaths(dataDir);
  const step = options.onStep ?? (() => undefined);
  const state = dataDirState(paths.dir);
  if (state !== 'empty') throw notInitialisedError(paths.dir);
  if (options.unattendedKeyFile !== undefined && exists(options.unattendedKeyFile)) {
    // never overwrite a key: it may be the only copy of another installation's master key
    throw new DataDirError(
      'damaged',
      `the key file ${options.unattendedKeyFile} already exists and this init did not make it: move it away before initialising`,
    );
  }
  if (options.configText === null && !exists(paths.config)) {
    throw new DataDirError('unusable', `${paths.config} is missing`);
  }
  if (!exists(paths.dir)) {
    fs.mkdirSync(paths.dir, { recursive: true, mode: 0o700 });
    fsyncDir(path.dirname(paths.dir));
  }
  step('data_dir_created');

  const plan: InitPlan = {
    format: PLAN_FORMAT,
    pid: process.pid,
    startedAt: new Date().toISOString(),
    keyFile: options.unattendedKeyFile ?? null,
    configSha256: options.configText === null ? null : sha256(options.configText),
  };
  writeMarker(paths.initMarker, plan);
  fsyncDir(paths.dir);
  try {
    return await buildAndCommit(paths.dir, options, populate);
  } catch (error) {
    // A refusal or failure (not a crash): take back what was made, then report the error.
    await cleanIncompleteInit(paths.dir).catch(() => undefined);
    throw error;
  }
}

async function buildAndCommit<T>(
  dataDir: string,
  options: ProvisionOptions,
  populate: (vault: Vault) => T,
): Promise<{ installationId: string; result: T }> {
  const paths = dataDirPaths(dataDir);
  const step = options.onStep ?? (() => undefined);
  const staging = dataDirPaths(paths.initStaging);
  fs.mkdirSync(staging.dir, { mode: 0o700 });
  fsyncDir(paths.dir);
  step('staging_created');

  if (options.configText !== null) {
    writeFileAtomic(staging.config, options.configText, 0o600);
    step('config_staged');
  }
  const vault = await Vault.init(staging.dir, {
    ...(options.passphrase !== undefined ? { passphrase: options.passphrase } : {}),
    ...(options.unattendedKeyFile !== undefined
      ? { unattendedKeyFile: options.unattendedKeyFile }
      : {}),
    ...(options.kdf !== undefined ? { kdf: options.kdf } : {}),
    actor: options.actor ?? 'cli',
    onStep: step,
  });
  const installationId = vault.installationId;
  let result: T;
  try {
    result = populate(vault);
  } finally {
    // Checkpoints the WAL into the database file; the last connection removes the WAL.
    vault.close();
  }
  for (const suffix of ['-wal', '-shm']) {
    const side = `${staging.database}${suffix}`;
    if (exists(side)) {
      if (suffix === '-wal' && fs.statSync(side).size > 0)
        throw new DataDirError('unusable', `the new database's WAL could not be checkpointed`);
      fs.rmSync(side);
    }
  }
  fsyncFile(staging.database);
  fsyncDir(staging.dir);
  step('database_closed');

  if (options.configText !== null) {
    fs.renameSync(staging.config, paths.config);
    fsyncDir(paths.dir);
    step('config_moved');
  }
  fs.renameSync(staging.database, paths.database);
  fsyncDir(paths.dir);
  step('database_moved');
  fs.renameSync(staging.manifest, paths.manifest);
  fsyncDir(paths.dir);
  step('manifest_moved');
  fs.rmSync(staging.dir, { recursive: true, force: true });
  fsyncDir(paths.dir);
  fs.rmSync(paths.initMarker);
  fsyncDir(paths.dir);
  step('committed');
  return { installationId, result };
}

/** Creates the marker; refuses if one exists (another init running, or one interrupted). */
function writeMarker(file: string, plan: InitPlan): void {
  let fd: number;
  try {
    fd = fs.openSync(file, 'wx', 0o600);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST')
      throw notInitialisedError(path.dirname(file));
    throw error;
  }
  try {
    fs.writeFileSync(fd, `${JSON.stringify(plan)}\n`);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

function readPlan(file: string): InitPlan | null {
  try {
    const plan = JSON.parse(fs.readFileSync(file, 'utf8')) as Partial<InitPlan> | null;
    if (plan?.format !== PLAN_FORMAT || typeof plan.pid !== 'number') return null;
    return plan as InitPlan;
  } catch {
    // killed while the marker was written: nothing else had been made yet
    return null;
  }
}

function pidAlive(pid: number): boolean {
  if (pid === process.pid) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function databaseInstallationId(file: string): string | null {
  try {
    const db = openReadableDb(file);
    try {
      const row = db.prepare("SELECT value FROM vault_meta WHERE key = 'installation_id'").get() as
        { value: unknown } | undefined;
      return typeof row?.value === 'string' ? row.value : null;
    } finally {
      db.close();
    }
  } catch {
    return null;
  }
}

function rmQuiet(file: string): void {
  fs.rmSync(file, { force: true });
}

/**
 * Removes what an interrupted init left in the data dir: the pieces it moved in, its key file,
 * the staging dir, and the marker (last, so that a crash while cleaning leaves a dir that is
 * still recognised and cleaned again). A piece is removed only when it provably came from that init:
 * the database and the key file must carry the installation and key id of its keys.json, and
 * config.json the content it wrote. Refuses while that init's process is still running.
 * Returns false when there was nothing to clean.
 */
export async function cleanIncompleteInit(dataDir: string): Promise<boolean> {
  const paths = dataDirPaths(dataDir);
  if (dataDirState(paths.dir) !== 'init_incomplete') return false;
  await loadSodium();
  const staging = dataDirPaths(paths.initStaging);
  const plan = readPlan(paths.initMarker);
  if (plan && pidAlive(plan.pid)) {
    throw new DataDirError(
      'locked',
      `another verikiosk (pid ${plan.pid}) is initialising ${paths.dir}`,
    );
  }
  const serving = runningAppliancePid(paths.dir);
  if (serving !== null) {
    throw new DataDirError('locked', `another verikiosk (pid ${serving}) is using ${paths.dir}`);
  }
  // keys.json is in exactly one place: staged, or moved in by the last step before the commit.
  let manifest: KeyManifest | null = null;
  for (const dir of [staging.dir, paths.dir]) {
    if (!manifest && exists(path.join(dir, 'keys.json'))) {
      try {
        manifest = readManifest(dir);
      } catch {
        // a keys.json that does not parse was never completely written: writes are atomic
        manifest = null;
      }
    }
  }
  // checked before anything is removed: a refusal leaves the dir as it was
  const databaseIsOurs =
    exists(paths.database) &&
    manifest !== null &&
    databaseInstallationId(paths.database) === manifest.installationId;
  if (exists(paths.database) && !databaseIsOurs) {
    throw new DataDirError(
      'damaged',
      `${paths.dir} holds an initialisation that did not complete and a verikiosk.db that it did not make: move the data dir away`,
    );
  }
  if (plan?.keyFile) {
    if (exists(plan.keyFile) && manifest && keyFileHoldsKey(plan.keyFile, manifest.keyId)) {
      removeKeyFile(plan.keyFile);
    }
    // writeFileAtomic's temporary, left if the init was killed while writing the key file
    const tmp = path.join(
      path.dirname(plan.keyFile),
      `.${path.basename(plan.keyFile)}.${plan.pid}.tmp`,
    );
    if (exists(tmp)) removeKeyFile(tmp);
  }
  if (databaseIsOurs)
    for (const suffix of ['-wal', '-shm', '']) rmQuiet(`${paths.database}${suffix}`);
  if (plan?.configSha256 && exists(paths.config)) {
    if (sha256(fs.readFileSync(paths.config)) === plan.configSha256) rmQuiet(paths.config);
  }
  fsyncDir(paths.dir);
  rmQuiet(paths.manifest);
  fs.rmSync(staging.dir, { recursive: true, force: true });
  fsyncDir(paths.dir);
  rmQuiet(paths.initMarker);
  fsyncDir(paths.dir);
  return true;
}
