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

/** The pid of a live appliance serving this data dir, or null. */
export function runningAppliancePid(dir: string): number | null {
  const file = dataDirPaths(dir).lock;
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    return null;
  }
  const pid = Number.parseInt(text.trim(), 10);
  return Number.isInteger(pid) && pid > 0 && pid !== process.pid && pidAlive(pid) ? pid : null;
}

/** Marks the data dir as served by this process; refuses if another live process serves it. */
export function acquireApplianceLock(dir: string): () => void {
  const other = runningAppliancePid(dir);
  if (other !== null) {
    throw new DataDirError('locked', `another verikiosk (pid ${other}) is already serving ${dir}`);
  }
  const file = dataDirPaths(dir).lock;
  fs.writeFileSync(file, `${process.pid}\n`, { mode: 0o600 });
  return () => {
    try {
      if (fs.readFileSync(file, 'utf8').trim() === String(process.pid)) fs.unlinkSync(file);
    } catch {
      // already gone
    }
  };
}

export function refuseWhileServing(dir: string, what: string): void {
  const pid = runningAppliancePid(dir);
  if (pid !== null) {
    throw new DataDirError('locked', `stop the running appliance (pid ${pid}) before ${what}`);
  }
}
