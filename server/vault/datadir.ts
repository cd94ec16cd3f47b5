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
  };
}

export function isInitialised(dir: string): boolean {
  const p = dataDirPaths(dir);
  return fs.existsSync(p.manifest) && fs.existsSync(p.database);
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

/** Marks the data dir as served by this process; refuses if another live process serves it. */
export function acquireApplianceLock(dir: string): ApplianceLock {
  const other = runningAppliancePid(dir);
  if (other !== null) {
    throw new DataDirError('locked', `another verikiosk (pid ${other}) is already serving ${dir}`);
  }
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

export function refuseWhileServing(dir: string, what: string): void {
  const pid = runningAppliancePid(dir);
  if (pid !== null) {
    throw new DataDirError('locked', `stop the running appliance (pid ${pid}) before ${what}`);
  }
}
