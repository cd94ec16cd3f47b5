import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { InlineConfig } from 'vite';
import { rendererDistDir } from '../api/index.js';
import { printLine, type CliIo } from './io.js';

/**
 * The web UI a start serves (dist/renderer). From a source checkout the UI is built with Vite
 * when dist/renderer is missing or was built from other sources (a hash of renderer/ and
 * contract/ is kept beside the build), so a fresh clone's `npx verikiosk start` serves /kiosk,
 * /staff and /admin with no separate build step. An installed package ships dist/renderer; when
 * it is missing the pages say how to build it and the start says so once.
 */
export type UiBuildOutcome = 'fresh' | 'built' | 'packaged' | 'missing';

const HASH_FILE = '.source-hash';
const LOCK_STALE_MS = 5 * 60_000;

function listFiles(dir: string, out: string[]): void {
  if (!fs.existsSync(dir)) return;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === 'node_modules' || entry.name.startsWith('.')) continue;
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) listFiles(full, out);
    else if (entry.isFile()) out.push(full);
  }
}

/** A hash of everything the UI build reads from the checkout (its sources and the contract). */
export function rendererSourceHash(root: string): string {
  const files: string[] = [];
  for (const dir of ['renderer', 'contract']) listFiles(path.join(root, dir), files);
  files.sort();
  const hash = createHash('sha256');
  for (const file of files) {
    hash.update(path.relative(root, file)).update('\0').update(fs.readFileSync(file)).update('\0');
  }
  return hash.digest('hex');
}

function isFresh(dist: string, hash: string): boolean {
  try {
    return (
      fs.readFileSync(path.join(dist, HASH_FILE), 'utf8') === hash &&
      fs.existsSync(path.join(dist, 'kiosk', 'index.html'))
    );
  } catch {
    return false;
  }
}

/** One builder at a time (parallel test files, two starts): a lock directory beside the build. */
async function withBuildLock<T>(lock: string, fn: () => Promise<T>): Promise<T> {
  for (;;) {
    try {
      fs.mkdirSync(lock);
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      try {
        if (Date.now() - fs.statSync(lock).mtimeMs > LOCK_STALE_MS)
          fs.rmSync(lock, { force: true, recursive: true });
      } catch {
        // removed meanwhile
      }
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
  try {
    return await fn();
  } finally {
    fs.rmSync(lock, { force: true, recursive: true });
  }
}

/** Builds the UI from a source checkout when needed; says what it found. */
export async function ensureRendererBuilt(
  io: Pick<CliIo, 'stderr'>,
  dist = rendererDistDir(),
): Promise<UiBuildOutcome> {
  const root = path.dirname(path.dirname(dist));
  const config = path.join(root, 'renderer', 'vite.config.ts');
  if (!fs.existsSync(config)) {
    if (fs.existsSync(path.join(dist, 'kiosk', 'index.html'))) return 'packaged';
    printLine(
      io.stderr,
      `the web UI is not built (${dist} is missing): /kiosk, /staff and /admin say so`,
    );
    return 'missing';
  }
  const hash = rendererSourceHash(root);
  if (isFresh(dist, hash)) return 'fresh';
  fs.mkdirSync(path.dirname(dist), { recursive: true });
  return withBuildLock(`${dist}.build-lock`, async () => {
    if (isFresh(dist, hash)) return 'fresh';
    printLine(io.stderr, 'building the web UI (renderer/) with Vite…');
    let build: (config: InlineConfig) => Promise<unknown>;
    try {
      ({ build } = await import('vite'));
    } catch {
      printLine(
        io.stderr,
        'the web UI cannot be built here: Vite is not installed (npm ci installs it)',
      );
      return 'missing';
    }
    await build({ configFile: config, logLevel: 'warn' });
    fs.writeFileSync(path.join(dist, HASH_FILE), hash);
    return 'built';
  });
}
