import { spawn, type ChildProcess } from 'node:child_process';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The real package bin run as a separate process, as an admin runs it: `node bin/verikiosk.js …`
 * from the repo root, with an environment that holds nothing that would steer the CLI.
 */

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
export const bin = path.join(repoRoot, 'bin', 'verikiosk.js');

/** The test process's environment without anything that would steer the CLI. */
export function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (!key.startsWith('VERIKIOSK_') && key !== 'CREDENTIALS_DIRECTORY') env[key] = value;
  }
  return { ...env, ...extra };
}

export interface Spawned {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const children: ChildProcess[] = [];

export function spawnBin(
  args: readonly string[],
  env: Record<string, string> = {},
  command: { file: string; args: readonly string[] } = {
    file: process.execPath,
    args: [bin, ...args],
  },
): Spawned {
  const child = spawn(command.file, command.args, {
    cwd: repoRoot,
    env: cleanEnv(env),
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  children.push(child);
  let out = '';
  let err = '';
  child.stdout.setEncoding('utf8').on('data', (s: string) => (out += s));
  child.stderr.setEncoding('utf8').on('data', (s: string) => (err += s));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('close', (code, signal) => resolve({ code, signal })),
  );
  return { child, stdout: () => out, stderr: () => err, exited };
}

export interface BinRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs `verikiosk <args>` to completion in its own process; stdin is closed at once. */
export async function runBin(
  args: readonly string[],
  env: Record<string, string> = {},
): Promise<BinRun> {
  const s = spawnBin(args, env);
  s.child.stdin!.end();
  const { code, signal } = await s.exited;
  return { code, signal, stdout: s.stdout(), stderr: s.stderr() };
}

/** Resolves with the first match of `pattern` in `read()`; rejects if the process exits first. */
export function waitForOutput(
  s: Spawned,
  pattern: RegExp,
  timeoutMs: number,
  read: () => string = s.stdout,
): Promise<RegExpExecArray> {
  return new Promise((resolve, reject) => {
    const check = (): boolean => {
      const match = pattern.exec(read());
      if (match) {
        cleanup();
        resolve(match);
      }
      return Boolean(match);
    };
    const onExit = (code: number | null) => {
      cleanup();
      // the last output may arrive with the exit
      if (!check())
        reject(
          new Error(
            `exited with ${code} before printing ${pattern}\nstdout:\n${s.stdout()}\nstderr:\n${s.stderr()}`,
          ),
        );
    };
    const timer = setTimeout(() => {
      cleanup();
      reject(
        new Error(
          `no ${pattern} within ${timeoutMs} ms\nstdout:\n${s.stdout()}\nstderr:\n${s.stderr()}`,
        ),
      );
    }, timeoutMs);
    const cleanup = () => {
      clearTimeout(timer);
      s.child.stdout!.off('data', check);
      s.child.stderr!.off('data', check);
      s.child.off('close', onExit);
    };
    s.child.stdout!.on('data', check);
    s.child.stderr!.on('data', check);
    s.child.once('close', onExit);
    check();
  });
}

/** Kills (SIGKILL) every child still running; for afterEach. */
export function killChildren(): void {
  for (const child of children.splice(0)) {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
}
