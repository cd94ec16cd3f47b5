import { fork, type ChildProcess } from 'node:child_process';
import * as readline from 'node:readline';

/**
 * The core runs as its own Node process (Electron's binary in Node mode), started through the
 * CLI's `start` command: main never reaches into it, and a crash of one does not take the other.
 */
export interface CoreProcess {
  /** Resolves with the core's URL once it listens. */
  ready: Promise<string>;
  child: ChildProcess;
  stop(): void;
}

const SERVING = /serving on (https?:\/\/\S+)/;

export function startCore(cliEntry: string, args: readonly string[]): CoreProcess {
  const child = fork(cliEntry, ['start', ...args], {
    env: { ...process.env, ELECTRON_RUN_AS_NODE: '1' },
    stdio: ['ignore', 'pipe', 'inherit', 'ipc'],
  });
  const ready = new Promise<string>((resolve, reject) => {
    const lines = readline.createInterface({ input: child.stdout as NodeJS.ReadableStream });
    lines.on('line', (line) => {
      const match = SERVING.exec(line);
      if (match?.[1]) resolve(match[1]);
    });
    child.once('exit', (code) =>
      reject(new Error(`the core exited with code ${String(code)} before serving`)),
    );
  });
  return { ready, child, stop: () => child.kill('SIGTERM') };
}
