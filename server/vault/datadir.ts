import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { DataDirError } from './errors.js';

/** SPEC §2: `~/.local/share/verikiosk`, or `$XDG_DATA_HOME/verikiosk`. */
export function defaultDataDir(env: NodeJS.ProcessEnv = process.env): string {
  const xdg = env.XDG_DATA_HOME;
  const base = xdg && path.isAbsolute(xdg) ? xdg : path.join(os.homedir(), '.local', 'share');
  return path.join(base, 'verikiosk');
}

export interface DataDirPaths {
  dir: string;
  database: string;
  manifest: string;
  defaultKeyFile: string;
  config: string;
  lock: string;
  /** Where `init` builds the pieces before moving them in (see `provisionDataDir`). */
  initStaging: string;
  /** Written first and removed last by `init`: while it exists the init has not completed. */
  initMarker: string;
}

export function dataDirPaths(dir: string): DataDirPaths {
  const abs = path.resolve(dir);
  return {
    dir: abs,
    database: path.join(abs, 'verikiosk.db'),
    manifest: path.join(abs, 'keys.json'),
    defaultKeyFile: path.join(abs, 'master.key'),
    config: path.join(abs, 'config.json'),
    lock: path.join(abs, 'verikiosk.pid'),
    initStaging: path.join(abs, '.verikiosk-init'),
    initMarker: path.join(abs, '.verikiosk-init.json'),
  };
}

/**
 * What a data dir holds:
 * - `empty`: no keys and no database (the dir may be missing, or hold only the admin's config.json);
 * - `initialised`: keys.json and the database, and no unfinished init;
 * - `init_incomplete`: an init was interrupted (its marker or staging dir is still there);
 * - `damaged`: keys.json without the database or the database without keys.json.
 */
export type DataDirState = 'empty' | 'initialised' | 'init_incomplete' | 'damaged';

export function dataDirState(dir: string): DataDirState {
  const p = dataDirPaths(dir);
  if (fs.existsSync(p.initMarker) || fs.existsSync(p.initStaging)) return 'init_incomplete';
  const keys = fs.existsSync(p.manifest);
  const database = fs.existsSync(p.database);
  if (keys && database) return 'initialised';
  return keys || database ? 'damaged' : 'empty';
}

export function isInitialised(dir: string): boolean {
  return dataDirState(dir) === 'initialised';
}

/** The refusal for a command that needs an initialised data dir, by what the dir holds. */
export function notInitialisedError(dir: string): DataDirError {
  const p = dataDirPaths(dir);
  switch (dataDirState(p.dir)) {
    case 'init_incomplete':
      return new DataDirError(
        'init_incomplete',
        `${p.dir} holds an initialisation that did not complete (it was interrupted); it holds no ` +
          "records and its one-time secrets were never shown: run 'verikiosk init' or 'verikiosk start' " +
          'to remove it and initialise afresh',
      );
    case 'damaged':
      return new DataDirError(
        'damaged',
        fs.existsSync(p.manifest)
          ? `${p.dir} has keys.json but no verikiosk.db: put back this installation's database (a backup copied in as verikiosk.db), or move the data dir away`
          : `${p.dir} has verikiosk.db but no keys.json: put back the keys.json of this installation, or move the data dir away`,
      );
    case 'initialised':
      return new DataDirError('already_initialised', `${p.dir} is already initialised`);
    case 'empty':
      return new DataDirError(
        'not_initialised',
        `${p.dir} is not initialised: run 'verikiosk init' (or 'verikiosk start')`,
      );
  }
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

interface LockRecord {
  pid: number;
  url: string | null;
}

function readLock(dir: string): LockRecord | null {
  let text: string;
  try {
    text = fs.readFileSync(dataDirPaths(dir).lock, 'utf8');
  } catch {
    return null;
  }
  const [pidLine, urlLine] = text.split('\n');
  const pid = Number.parseInt((pidLine ?? '').trim(), 10);
  if (!Number.isInteger(pid) || pid <= 0 || pid === process.pid || !pidAlive(pid)) return null;
  return { pid, url: urlLine?.trim() || null };
}

/** The pid of a live appliance serving this data dir, or null. */
export function runningAppliancePid(dir: string): number | null {
  return readLock(dir)?.pid ?? null;
}

/** The URL a live appliance serving this data dir listens on, or null. */
export function runningApplianceUrl(dir: string): string | null {
  return readLock(dir)?.url ?? null;
}

export interface ApplianceLock {
  /** Records where the appliance listens, for `verikiosk status`. */
  setUrl(url: string): void;
  release(): void;
}

function lockedError(dir: string, lock: LockRecord): DataDirError {
  return new DataDirError(
    'locked',
    lock.url
      ? `another verikiosk (pid ${lock.pid}) is already serving ${dir} at ${lock.url}`
      : `another verikiosk (pid ${lock.pid}) is starting or initialising ${dir}`,
  );
}

/** Refuses (DataDirError 'locked') if another live process serves, starts or initialises the dir. */
export function refuseIfLocked(dir: string): void {
  const other = readLock(dir);
  if (other !== null) throw lockedError(dir, other);
}

/** Marks the data dir as served by this process; refuses if another live process serves it. */
export function acquireApplianceLock(dir: string): ApplianceLock {
  const other = readLock(dir);
  if (other !== null) throw lockedError(dir, other);
  const file = dataDirPaths(dir).lock;
  fs.writeFileSync(file, `${process.pid}\n`, { mode: 0o600 });
  const ours = (): boolean => {
    try {
      return fs.readFileSync(file, 'utf8').split('\n')[0]?.trim() === String(process.pid);
    } catch {
      return false;
    }
  };
  return {
    setUrl(url) {
      if (ours()) fs.writeFileSync(file, `${process.pid}\n${url}\n`, { mode: 0o600 });
    },
    release() {
      if (ours()) fs.rmSync(file, { force: true });
    },
  };
}

/** Refuses (DataDirError 'locked') a command that must not run behind a live appliance's back. */
export function refuseWhileServing(dir: string, what: string): void {
  const running = readLock(dir);
  if (running !== null) {
    const where = running.url ? `: it serves ${dir} at ${running.url}` : '';
    throw new DataDirError(
      'locked',
      `stop the running appliance (pid ${running.pid}) before ${what}${where}`,
    );
  }
}
