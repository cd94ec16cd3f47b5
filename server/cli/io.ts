import * as fs from 'node:fs';
import * as readline from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import { OWN_ERROR } from '../own-error.js';

/** The process's streams and environment, passed in so the CLI runs in tests without a process. */
export interface CliIo {
  stdout: Writable;
  stderr: Writable;
  stdin: Readable;
  env: NodeJS.ProcessEnv;
  /** True when a person is at a terminal (passphrase prompts are possible). */
  interactive: boolean;
  /** Called by `start` to wait until the appliance should stop (SIGINT/SIGTERM in the real CLI). */
  waitForShutdown: () => Promise<string>;
}

export function processIo(): CliIo {
  return {
    stdout: process.stdout,
    stderr: process.stderr,
    stdin: process.stdin,
    env: process.env,
    interactive: Boolean(process.stdin.isTTY && process.stderr.isTTY),
    waitForShutdown: () =>
      new Promise((resolve) => {
        const stop = (signal: string) => () => resolve(signal);
        process.once('SIGINT', stop('SIGINT'));
        process.once('SIGTERM', stop('SIGTERM'));
      }),
  };
}

/** A usage error or refused input: exit code 2. */
export class UsageError extends Error {
  override name = 'UsageError';
  /** verikiosk's own error: its message names files, rules and ids, never values (see log/). */
  readonly [OWN_ERROR] = true;
  constructor(
    message: string,
    readonly field: string | null = null,
  ) {
    super(message);
  }
}

/**
 * Reads standard input line by line (`--jsonl` requests), calling `handle` for each non-blank
 * line with its 1-based number; one line is answered before the next is read. Returns how many
 * lines were read, blank ones included.
 */
export async function forEachInputLine(
  io: CliIo,
  handle: (line: string, lineNumber: number) => Promise<void>,
): Promise<number> {
  const lines = readline.createInterface({ input: io.stdin, crlfDelay: Infinity });
  let lineNumber = 0;
  for await (const line of lines) {
    lineNumber += 1;
    if (line.trim() !== '') await handle(line, lineNumber);
  }
  return lineNumber;
}

export function printLine(out: Writable, text = ''): void {
  out.write(`${text}\n`);
}

export function printJson(out: Writable, value: unknown): void {
  out.write(`${JSON.stringify(value, null, 2)}\n`);
}

/** A table of rows as aligned columns. */
export function printTable(
  out: Writable,
  headers: readonly string[],
  rows: readonly (readonly string[])[],
): void {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd();
  printLine(out, line(headers));
  for (const row of rows) printLine(out, line(row));
}

/** Reads the first line of a file (a passphrase or password file); trailing newline removed. */
export function readSecretFile(file: string, what: string): string {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    throw new UsageError(`the ${what} file ${file} cannot be read`);
  }
  const line = text.split(/\r?\n/)[0] ?? '';
  if (line.length === 0) throw new UsageError(`the ${what} file ${file} is empty`);
  return line;
}

/**
 * Asks for a secret at the terminal without echoing it. The terminal is put in raw mode (no
 * echo) before the question is written, and the line is read here, so nothing rewrites the
 * question (readline redraws its prompt line, erasing text it did not write) and nothing typed
 * is shown. Backspace and Ctrl-U edit, Enter ends, Ctrl-C and Ctrl-D cancel.
 */
export async function promptSecret(io: CliIo, question: string): Promise<string> {
  if (!io.interactive)
    throw new UsageError(
      `${question.replace(/:\s*$/, '')} is needed but there is no terminal to ask at`,
    );
  const input = io.stdin as Readable & { isTTY?: boolean; setRawMode?: (raw: boolean) => void };
  const raw = Boolean(input.isTTY && input.setRawMode);
  if (raw) input.setRawMode?.(true);
  input.setEncoding('utf8');
  io.stderr.write(question);
  let onData: ((chunk: string) => void) | undefined;
  let onEnd: (() => void) | undefined;
  try {
    return await new Promise<string>((resolve, reject) => {
      let value = '';
      let escape = false;
      onEnd = () => reject(new UsageError('the terminal closed before the secret was entered'));
      onData = (chunk: string) => {
        const chars = Array.from(chunk);
        for (let i = 0; i < chars.length; i += 1) {
          const ch = chars[i] as string;
          if (escape) {
            // an escape sequence (arrow keys and the like): skip to its final character
            if (/[A-Za-z~]/.test(ch)) escape = false;
            continue;
          }
          if (ch === '\r' || ch === '\n') {
            let rest = chars.slice(i + 1).join('');
            if (ch === '\r' && rest.startsWith('\n')) rest = rest.slice(1);
            // typed ahead (the next prompt's answer): leave it for the next reader
            if (rest) input.unshift(rest);
            resolve(value);
            return;
          }
          if (ch === '\u0003' || (ch === '\u0004' && value === '')) {
            reject(new UsageError('cancelled at the prompt'));
            return;
          }
          if (ch === '\u007f' || ch === '\b') value = Array.from(value).slice(0, -1).join('');
          else if (ch === '\u0015') value = '';
          else if (ch === '\u001b') escape = true;
          else if (ch >= ' ') value += ch;
        }
      };
      input.on('data', onData);
      input.once('end', onEnd);
      input.resume();
    });
  } finally {
    if (onData) input.off('data', onData);
    if (onEnd) input.off('end', onEnd);
    input.pause();
    if (raw) input.setRawMode?.(false);
    io.stderr.write('\n');
  }
}
