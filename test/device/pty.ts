import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { devDataPath, hasDevData } from '../support/dev-data.js';

/**
 * A pseudo-terminal pair from socat (research §6): `device` is the end a simulator writes to,
 * `host` the end the code under test opens, both as stable symlinks so a "replug" (a new socat
 * on the same links) reappears at the same path, as /dev/serial/by-id links do.
 */
export interface PtyPair {
  readonly device: string;
  readonly host: string;
  /** Unplug: socat exits, both PTYs hang up and the links disappear. */
  unplug(): Promise<void>;
  /** Replug: a new pair on the same links. */
  replug(): Promise<void>;
  dispose(): Promise<void>;
}

const dirs: string[] = [];

async function waitUntil(check: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

export async function createPtyPair(): Promise<PtyPair> {
  const dir = mkdtempSync(path.join(tmpdir(), 'vk-pty-'));
  dirs.push(dir);
  const device = path.join(dir, 'device');
  const host = path.join(dir, 'host');
  let child: ChildProcess | undefined;

  async function plug(): Promise<void> {
    const started = spawn(
      'socat',
      ['-d', '-d', `pty,raw,echo=0,link=${device}`, `pty,raw,echo=0,link=${host}`],
      {
        stdio: ['pipe', 'ignore', 'pipe'],
      },
    );
    let ready = false;
    started.stderr?.on('data', (chunk: Buffer) => {
      if (chunk.toString('latin1').includes('starting data transfer loop')) ready = true;
    });
    child = started;
    await waitUntil(() => ready && existsSync(device) && existsSync(host), 'socat');
  }

  async function unplug(): Promise<void> {
    const running = child;
    child = undefined;
    if (!running || running.exitCode !== null) return;
    const exited = new Promise<void>((resolve) => running.once('exit', () => resolve()));
    running.kill('SIGTERM');
    await exited;
    await waitUntil(() => !existsSync(device) && !existsSync(host), 'the PTY links to go');
  }

  await plug();
  return {
    device,
    host,
    unplug,
    replug: plug,
    async dispose() {
      await unplug();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Collects events and waits for the first that matches (no sleeps, generous deadlines). */
export class EventLog<E> {
  readonly events: E[] = [];
  readonly #waiters: { match: (e: E) => boolean; resolve: (e: E) => void }[] = [];

  readonly push = (event: E): void => {
    this.events.push(event);
    for (const waiter of [...this.#waiters]) {
      if (waiter.match(event)) {
        this.#waiters.splice(this.#waiters.indexOf(waiter), 1);
        waiter.resolve(event);
      }
    }
  };

  /** The first event matching, counting from index `from` (events already logged included). */
  waitFor<T extends E>(match: (e: E) => e is T, from?: number, timeoutMs?: number): Promise<T>;
  waitFor(match: (e: E) => boolean, from?: number, timeoutMs?: number): Promise<E>;
  waitFor(match: (e: E) => boolean, from = 0, timeoutMs = 20_000): Promise<E> {
    const found = this.events.slice(from).find(match);
    if (found !== undefined) return Promise.resolve(found);
    return new Promise<E>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#waiters.splice(this.#waiters.indexOf(waiter), 1);
        reject(new Error(`no matching event within ${timeoutMs} ms; saw ${this.events.length}`));
      }, timeoutMs);
      const waiter = {
        match,
        resolve: (e: E) => {
          clearTimeout(timer);
          resolve(e);
        },
      };
      this.#waiters.push(waiter);
    });
  }

  /** Waits until `count` events match. */
  async waitForCount(match: (e: E) => boolean, count: number, timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.events.filter(match).length < count) {
      if (Date.now() > deadline) {
        throw new Error(`saw ${this.events.filter(match).length} of ${count} matching events`);
      }
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }
}

/** SVC2004 Task 2 files, read at run time from the development data (never copied into the repo). */
export const SVC2004_DIR = devDataPath('svc2004');

export function svc2004Available(): boolean {
  return hasDevData('svc2004');
}

/** Points of one file as strokes, scaled to [0, 1] with its own bounding box, t from 0. */
export function readSvc2004(file: string): {
  strokes: { x: number; y: number; pressure: number; t: number }[][];
} {
  const lines = readFileSync(path.join(SVC2004_DIR, 'task2', file), 'latin1')
    .trim()
    .split(/\r?\n/)
    .slice(1);
  const rows = lines.map((l) => l.trim().split(/\s+/).map(Number));
  const xs = rows.map((r) => r[0] ?? 0);
  const ys = rows.map((r) => r[1] ?? 0);
  const [minX, maxX, minY, maxY] = [
    Math.min(...xs),
    Math.max(...xs),
    Math.min(...ys),
    Math.max(...ys),
  ];
  const span = Math.max(maxX - minX, maxY - minY, 1);
  const t0 = rows[0]?.[2] ?? 0;
  const strokes: { x: number; y: number; pressure: number; t: number }[][] = [];
  for (const r of rows) {
    // Button 0 opens a stroke (the SVC2004 README); so does the first row.
    if (r[3] === 0 || strokes.length === 0) strokes.push([]);
    strokes[strokes.length - 1]!.push({
      x: ((r[0] ?? 0) - minX) / span,
      // SVC2004 y grows upwards; pads' y grows downwards.
      y: 1 - ((r[1] ?? 0) - minY) / span,
      pressure: (r[6] ?? 0) / 1023,
      t: (r[2] ?? 0) - t0,
    });
  }
  return { strokes: strokes.filter((s) => s.length > 0) };
}

export function svc2004Files(count: number): string[] {
  return readdirSync(path.join(SVC2004_DIR, 'task2'))
    .filter((f) => /^U\d+S\d+\.TXT$/.test(f))
    .sort()
    .slice(0, count);
}

export function cleanupPtyDirs(): void {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
}
