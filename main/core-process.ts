import { fork, type ChildProcess } from 'node:child_process';

/**
 * How the shell starts the core: the CLI's `start` in its own Node process, forked with an IPC
 * channel over which the core sends its ready message (contract/shell.ts). The core runs on the
 * system's Node (the packages depend on nodejs >= 20.19), not on Electron's: better-sqlite3 is
 * not N-API, so one build cannot serve both ABIs, and Electron's headers cannot be fetched on our
 * build machines. A crash of one process does not take the other.
 */
export interface CoreCommand {
  /** The Node binary (default /usr/bin/node, or $VERIKIOSK_NODE). */
  nodePath: string;
  /** bin/verikiosk.js of the installed core. */
  cliEntry: string;
  /** Arguments after `start` (e.g. --data-dir). */
  args: readonly string[];
  env: NodeJS.ProcessEnv;
}

export function coreCommand(
  cliEntry: string,
  args: readonly string[],
  env: NodeJS.ProcessEnv,
): CoreCommand {
  // ELECTRON_RUN_AS_NODE must not leak: the child is a real Node.
  const { ELECTRON_RUN_AS_NODE: _drop, ...rest } = env;
  return { nodePath: env.VERIKIOSK_NODE || '/usr/bin/node', cliEntry, args, env: rest };
}

/** `output`: where the core's stdout/stderr go (the shell's own, i.e. the journal, by default). */
export function forkCore(
  command: CoreCommand,
  output: 'inherit' | 'ignore' = 'inherit',
): ChildProcess {
  return fork(command.cliEntry, ['start', ...command.args], {
    execPath: command.nodePath,
    env: command.env,
    stdio: ['ignore', output, output, 'ipc'],
    serialization: 'json',
  });
}
