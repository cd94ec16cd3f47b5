/** `verikiosk config check [file]`: validates a config file as start would read it. */
import type { Command } from 'commander';
import { CONFIG_FILE_NAME, checkConfigFile } from '../config/index.js';
import { dataDirPaths } from '../vault/index.js';
import { dataDirFrom } from './context.js';
import { printJson, printLine, type CliIo } from './io.js';
import { EXIT_USAGE, withDataDir, type CommonOptions } from './options.js';

export function addConfigCommands(
  program: Command,
  io: CliIo,
  setExit: (code: number) => void,
): void {
  const config = program.command('config').description('configuration');
  withDataDir(
    config
      .command('check')
      .description(`validate a config file (default: the data dir's ${CONFIG_FILE_NAME})`),
  )
    .argument('[file]', 'the config file to check')
    .option('--json', 'print JSON')
    .action((file: string | undefined, o: CommonOptions) => {
      const dataDir = dataDirFrom(o, io);
      const path = file ?? dataDirPaths(dataDir).config;
      // Files the config names (TLS, key file) are checked where start would look for them.
      const outcome = checkConfigFile(path, dataDir);
      if (o.json)
        printJson(
          io.stdout,
          outcome.ok ? { ok: true, path } : { ok: false, path, errors: outcome.errors },
        );
      else if (outcome.ok) printLine(io.stdout, `${path}: valid`);
      else
        for (const issue of outcome.errors)
          printLine(io.stderr, `${path}: ${issue.message} [${issue.rule}]`);
      if (!outcome.ok) setExit(EXIT_USAGE);
    });
}
