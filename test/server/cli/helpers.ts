import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { PassThrough } from 'node:stream';
import { expect } from 'vitest';
import { main, type CliIo } from '../../../server/cli/index.js';

/**
 * Shared fixtures for the CLI, API, auth and app tests: temp dirs removed after each test, an
 * in-process CLI runner with collecting streams, and a content hash of a data dir.
 */

/** Obviously synthetic secrets and "personal" values; none of them may show up where they must not. */
export const FAKE = {
  passphrase: 'zz-cli-test-passphrase-not-real',
  newPassphrase: 'zz-cli-test-new-passphrase-not-real',
  wrongPassphrase: 'zz-cli-test-wrong-passphrase-x',
  surname: 'ZZTEST SURNAME',
} as const;

const dirs: string[] = [];

export function tempDir(prefix = 'vk-cli-test-'): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  dirs.push(dir);
  return dir;
}

export function cleanupDirs(): void {
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
}

/** Writes a one-line secret file (0600) in a fresh temp dir outside any data dir. */
export function secretFile(content: string): string {
  const file = path.join(tempDir('vk-cli-secret-'), 'secret.txt');
  fs.writeFileSync(file, `${content}\n`, { mode: 0o600 });
  return file;
}

export interface TestIo extends CliIo {
  out(): string;
  err(): string;
}

function collect(stream: PassThrough): () => string {
  const chunks: Buffer[] = [];
  stream.on('data', (chunk: Buffer | string) => chunks.push(Buffer.from(chunk)));
  return () => Buffer.concat(chunks).toString('utf8');
}

export function testIo(
  env: NodeJS.ProcessEnv = {},
  waitForShutdown?: () => Promise<string>,
): TestIo {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const out = collect(stdout);
  const err = collect(stderr);
  return {
    stdout,
    stderr,
    stdin: new PassThrough(),
    env,
    interactive: false,
    waitForShutdown: waitForShutdown ?? (() => Promise.resolve('SIGTERM')),
    out,
    err,
  };
}

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `verikiosk <args>` in-process. */
export async function cli(args: readonly string[], env: NodeJS.ProcessEnv = {}): Promise<CliRun> {
  const io = testIo(env);
  const code = await main(args, io);
  // let the PassThroughs deliver what was written last
  await new Promise((resolve) => setImmediate(resolve));
  return { code, stdout: io.out(), stderr: io.err() };
}

/**
 * The JSON lines a command printed (`--jsonl` answers, `--json` listings), one value each. Every
 * line between the first and the last must parse, unless `objectsOnly` keeps only the lines that
 * start with `{` (output that mixes JSON lines with plain text).
 */
export function jsonLines<T = Record<string, unknown>>(
  text: string,
  { objectsOnly = false }: { objectsOnly?: boolean } = {},
): T[] {
  const lines = objectsOnly
    ? text.split('\n').filter((line) => line.startsWith('{'))
    : text.trim().split('\n');
  return lines.map((line) => JSON.parse(line) as T);
}

export function parseJson<T = Record<string, unknown>>(run: CliRun): T {
  try {
    return JSON.parse(run.stdout) as T;
  } catch {
    throw new Error(
      `stdout is not JSON (exit ${run.code}):\n${run.stdout}\nstderr:\n${run.stderr}`,
    );
  }
}

export interface Provisioned {
  dataDir: string;
  installationId: string;
  admin: { username: string; password: string };
  apiKey: { clientId: string; key: string; scopes: string[] };
  kioskToken: { kioskId: string; token: string };
  unattendedKeyFile: string | null;
}

/** `verikiosk init --unattended --json` in a fresh temp dir. */
export async function initUnattended(): Promise<Provisioned> {
  const dataDir = path.join(tempDir(), 'data');
  const run = await cli(['init', '--unattended', '--json', '--data-dir', dataDir]);
  expect(run.code, run.stderr).toBe(0);
  return parseJson<Provisioned>(run);
}

/** `verikiosk init --passphrase-file … --kdf interactive --json` in a fresh temp dir. */
export async function initWithPassphrase(
  passphrase: string = FAKE.passphrase,
): Promise<Provisioned & { passphraseFile: string }> {
  const dataDir = path.join(tempDir(), 'data');
  const passphraseFile = secretFile(passphrase);
  const run = await cli([
    'init',
    '--passphrase-file',
    passphraseFile,
    '--kdf',
    'interactive',
    '--json',
    '--data-dir',
    dataDir,
  ]);
  expect(run.code, run.stderr).toBe(0);
  return { ...parseJson<Provisioned>(run), passphraseFile };
}

/** Name and sha256 of every file under a dir, sorted: equal iff nothing was created, removed or written. */
export function hashDir(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const name of fs.readdirSync(d).sort()) {
      const file = path.join(d, name);
      if (fs.statSync(file).isDirectory()) {
        out.push(`${path.relative(dir, file)}/`);
        walk(file);
      } else {
        out.push(
          `${path.relative(dir, file)} ${createHash('sha256').update(fs.readFileSync(file)).digest('hex')}`,
        );
      }
    }
  };
  walk(dir);
  return out;
}

/** Runs a command that must be refused: exit 2, the message on stderr, and the data dir byte-for-byte unchanged. */
export async function expectRefusedUnchanged(
  dataDir: string,
  args: readonly string[],
  message: RegExp,
  env: NodeJS.ProcessEnv = {},
): Promise<CliRun> {
  const before = hashDir(dataDir);
  const run = await cli(args, env);
  expect(run.code, `stdout:\n${run.stdout}\nstderr:\n${run.stderr}`).toBe(2);
  expect(run.stderr).toMatch(message);
  expect(run.stderr).not.toMatch(/internal error/);
  expect(hashDir(dataDir)).toEqual(before);
  return run;
}
