import { createAppliance, serveAppliance } from '../app.js';
import { isLoopbackHost, loadConfig } from '../config/index.js';
import { createLogger } from '../log/index.js';
import { acquireApplianceLock, isInitialised } from '../vault/index.js';
import { packageVersion } from '../version.js';
import { resolveKeySource, type UnlockOptions } from './context.js';
import { startDevices } from './devices.js';
import { initialise, printProvisioned, printUnattendedWarning } from './init.js';
import { printLine, UsageError, type CliIo } from './io.js';

export interface StartOptions extends UnlockOptions {
  dataDir: string;
  host?: string | undefined;
  port?: string | undefined;
  /** Attach the simulated pads and reader (`--simulate`, added by addDeviceCommands). */
  simulate?: boolean | undefined;
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
 * mode (with a warning) and prints the first credentials once.
 */
export async function start(options: StartOptions, io: CliIo): Promise<number> {
  if (!isInitialised(options.dataDir)) {
    printLine(io.stderr, `First run: initialising ${options.dataDir}`);
    const provisioned = await initialise(
      { dataDir: options.dataDir, unattended: true, adminUsername: 'admin', json: false },
      io,
    );
    if (provisioned.unattendedKeyFile) printUnattendedWarning(io, provisioned.unattendedKeyFile);
    printProvisioned(io, provisioned, false);
  }
  const { config } = loadConfig(options.dataDir);
  const host = options.host ?? config.server.host;
  const port = options.port !== undefined ? parsePort(options.port) : config.server.port;
  if (!isLoopbackHost(host) && !config.server.tls) {
    throw new UsageError(`binding to ${host} needs TLS: set server.tls in config.json`, 'host');
  }
  const logger = createLogger({
    level: config.logging.level,
    write: (line) => io.stderr.write(`${line}\n`),
  });
  const keySource = await resolveKeySource(options, options.dataDir, config, io);
  const lock = acquireApplianceLock(options.dataDir);
  try {
    const appliance = await createAppliance({
      dataDir: options.dataDir,
      keySource,
      config,
      logger,
    });
    // Devices never stop the core from starting: failures are device states, not errors.
    const devices = await startDevices(config, {
      simulate: options.simulate ? 'always' : config.devices.simulate,
      logger,
    });
    if (devices.simulated) printLine(io.stdout, 'simulated devices attached (no hardware needed)');
    try {
      const running = await serveAppliance(appliance, { host, port });
      lock.setUrl(running.url);
      logger.info('appliance.started', { version: packageVersion(), url: running.url });
      printLine(
        io.stdout,
        `verikiosk ${packageVersion()} serving on ${running.url} (data dir ${options.dataDir})`,
      );
      const signal = await io.waitForShutdown();
      logger.info('appliance.stopping', { signal });
      await running.close();
    } finally {
      await devices.stop();
      appliance.close();
    }
  } finally {
    lock.release();
  }
  return 0;
}
