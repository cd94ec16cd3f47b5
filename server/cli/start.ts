import { X509Certificate, createHash } from 'node:crypto';
import * as fs from 'node:fs';
import type { Command } from 'commander';
import { createAppliance, listenForAppliance } from '../app.js';
import { isLoopbackHost, loadConfig, resolveDataDirPath } from '../config/index.js';
import { createLogger } from '../log/index.js';
import {
  acquireApplianceLock,
  dataDirPaths,
  dataDirState,
  notInitialisedError,
  refuseIfLocked,
} from '../vault/index.js';
import { packageVersion } from '../version.js';
import { coreReadyMessage } from '../../contract/shell.js';
import { dataDirFrom, resolveKeySource, type UnlockOptions } from './context.js';
import { initialise, printProvisioned, printUnattendedWarning } from './init.js';
import { printLine, UsageError, type CliIo } from './io.js';
import { withUnlock, type CommonOptions } from './options.js';
import { ensureRendererBuilt } from './ui-build.js';
import { announceDemo } from './demo.js';

export interface StartOptions extends UnlockOptions {
  dataDir: string;
  host?: string | undefined;
  port?: string | undefined;
  /** `--simulate`: attach the simulated pads and reader (otherwise config devices.simulate). */
  simulate?: boolean | undefined;
  /** `--headless`: no kiosk shell (the systemd unit); no ready message over IPC. */
  headless?: boolean | undefined;
  /** `--demo`: the simulators, and a demo kiosk whose link is printed (server/cli/demo.ts). */
  demo?: boolean | undefined;
}

function parsePort(value: string): number {
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new UsageError('--port must be an integer from 0 to 65535', 'port');
  }
  return port;
}

/**
 * Starts the appliance. On a fresh machine the first run initialises the data dir in unattended
 * mode (with a warning) and prints the first credentials once. Everything that can be refused
 * is checked first (flags, config, TLS beyond loopback, another appliance serving), then the
 * port is bound, and only then is anything initialised, opened or written.
 */
export async function start(options: StartOptions, io: CliIo): Promise<number> {
  const dataDir = dataDirPaths(options.dataDir).dir;
  const port = options.port !== undefined ? parsePort(options.port) : undefined;
  const state = dataDirState(dataDir);
  if (state === 'damaged') throw notInitialisedError(dataDir);
  // Before the first run this is the admin's config.json or the defaults the starter file holds.
  const { config } = loadConfig(dataDir);
  const host = options.host ?? config.server.host;
  if (!isLoopbackHost(host) && !config.server.tls) {
    throw new UsageError(
      `binding to ${host} needs TLS: set server.tls in config.json (a new data dir: \`verikiosk init --host ${host}\` makes a self-signed certificate)`,
      'host',
    );
  }
  refuseIfLocked(dataDir);
  // A source checkout builds the web UI here when it changed (a fresh clone's first start).
  await ensureRendererBuilt(io);
  const logger = createLogger({
    level: config.logging.level,
    write: (line) => io.stderr.write(`${line}\n`),
  });
  const listener = await listenForAppliance(config, dataDir, {
    host,
    port: port ?? config.server.port,
  });
  try {
    fs.mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    const lock = acquireApplianceLock(dataDir);
    try {
      if (state !== 'initialised') {
        printLine(io.stderr, `First run: initialising ${dataDir}`);
        const provisioned = await initialise(
          { dataDir, unattended: true, adminUsername: 'admin', json: false, holdingLock: true },
          io,
        );
        if (provisioned.unattendedKeyFile)
          printUnattendedWarning(io, provisioned.unattendedKeyFile);
        printProvisioned(io, provisioned, false);
      }
      const keySource = await resolveKeySource(options, dataDir, config, io);
      // Production starts never attach simulators unless asked (config devices.simulate 'never').
      const appliance = await createAppliance({
        dataDir,
        keySource,
        config,
        logger,
        simulate: options.simulate || options.demo ? 'always' : undefined,
      });
      try {
        if (appliance.devices.simulated)
          printLine(io.stdout, 'simulated devices attached (no hardware needed)');
        listener.attach(appliance);
        lock.setUrl(listener.url);
        logger.info('appliance.started', { version: packageVersion(), url: listener.url });
        printLine(
          io.stdout,
          `verikiosk ${packageVersion()} serving on ${listener.url} (data dir ${dataDir})`,
        );
        // The kiosk shell (main/core-process.ts) forks the core with an IPC channel and learns
        // its URL from this message, not from stdout; a headless start has no shell to tell.
        if (!options.headless && process.send) {
          const tls = config.server.tls;
          const pem = tls ? fs.readFileSync(resolveDataDirPath(dataDir, tls.certFile)) : null;
          const sha256 =
            pem && createHash('sha256').update(new X509Certificate(pem).raw).digest('hex');
          process.send(coreReadyMessage(listener.url, sha256));
        }
        if (options.demo) announceDemo(appliance, listener.url, io);
        const signal = await io.waitForShutdown();
        logger.info('appliance.stopping', { signal });
        await listener.close();
      } finally {
        await appliance.close();
      }
    } finally {
      lock.release();
    }
  } finally {
    await listener.close();
  }
  return 0;
}

/** `verikiosk start`: parses the flags and starts the appliance (see `start`). */
export function addStartCommand(
  program: Command,
  io: CliIo,
  setExit: (code: number) => void,
): void {
  withUnlock(
    program
      .command('start')
      .description('start the appliance (initialises the data dir on first run)'),
  )
    .option('--host <host>', 'address to listen on (default from config: 127.0.0.1)')
    .option('--port <port>', 'port to listen on (default from config: 8420)')
    .option(
      '--simulate',
      'attach the simulated signature pads and document reader (never without this flag unless config devices.simulate says so)',
    )
    .option('--headless', 'run without the kiosk shell (the systemd unit of the server package)')
    .option(
      '--demo',
      'a first try: attach the simulators and print a kiosk link (sessions marked simulated, never approved without staff)',
    )
    .action(
      async (
        o: CommonOptions & {
          host?: string;
          port?: string;
          simulate?: boolean;
          headless?: boolean;
          demo?: boolean;
        },
      ) => {
        setExit(await start({ ...o, dataDir: dataDirFrom(o, io) }, io));
      },
    );
}
