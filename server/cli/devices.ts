import * as readline from 'node:readline';
import type { Command } from 'commander';
import {
  SPECIMEN_DOCUMENTS,
  createDeviceManager,
  createSimulatedDevices,
  isDriverName,
  loadHidBinding,
  loadSerialBinding,
  type DeviceEvent,
  type DeviceManager,
  type DeviceManagerOptions,
  type DeviceSettings,
  type DeviceStatus,
  type ExplicitDevice,
  type KnownDevice,
  type SimulatedDevices,
  type SpecimenDocument,
} from '../../device/index.js';
import { loadConfig, type Config } from '../config/index.js';
import { parseAamva, parseMrz, type DocumentRecord } from '../documents/index.js';
import type { Logger } from '../log/index.js';
import { dataDirFrom } from './context.js';
import { printJson, printLine, printTable, type CliIo } from './io.js';

/** The device manager as the core runs it, with the simulators when they are attached. */
export interface ApplianceDevices {
  manager: DeviceManager<DocumentRecord>;
  simulated: SimulatedDevices | null;
  /** Config rows and ports whose driver is unknown: named so the admin can fix config.json. */
  skipped: string[];
  stop(): Promise<void>;
}

/** server/documents reads what the readers deliver (device/ never imports server/). */
export function parseDeviceDocument(
  input: { kind: 'mrz'; text: string } | { kind: 'aamva'; bytes: Uint8Array },
): DocumentRecord {
  return input.kind === 'mrz' ? parseMrz(input.text) : parseAamva(input.bytes);
}

function deviceSettings(settings: Config['devices']['models'][number]['settings']): DeviceSettings {
  if (!settings) return {};
  const { dataBits, ...rest } = settings;
  return { ...rest, ...(dataBits === undefined ? {} : { dataBits: dataBits as 5 | 6 | 7 | 8 }) };
}

/** The device table's config rows and the config's ports, as device/ takes them. */
export function deviceConfig(config: Config): {
  knownDevices: KnownDevice[];
  explicitDevices: ExplicitDevice[];
  skipped: string[];
} {
  const skipped: string[] = [];
  const knownDevices: KnownDevice[] = [];
  config.devices.models.forEach((model, i) => {
    if (!isDriverName(model.driver)) {
      skipped.push(`devices.models[${i}]: unknown driver "${model.driver}"`);
      return;
    }
    knownDevices.push({
      name: model.name ?? `${model.driver} ${model.vendorId.toString(16).padStart(4, '0')}`,
      vendorId: model.vendorId,
      productIds: model.productIds,
      driver: model.driver,
      ...(model.usagePage === undefined ? {} : { usagePage: model.usagePage }),
      settings: deviceSettings(model.settings),
    });
  });
  const explicitDevices: ExplicitDevice[] = [];
  (config.devices.ports ?? []).forEach((port, i) => {
    if (!isDriverName(port.driver)) {
      skipped.push(`devices.ports[${i}]: unknown driver "${port.driver}"`);
      return;
    }
    explicitDevices.push({
      path: port.path,
      driver: port.driver,
      ...(port.name === undefined ? {} : { name: port.name }),
      settings: deviceSettings(port.settings),
    });
  });
  return { knownDevices, explicitDevices, skipped };
}

/**
 * Builds and starts the device manager from config. `simulate`: 'always' attaches the
 * simulators, 'auto' only when enumeration found no device (SPEC OPS-1), 'never' not at all.
 * Device state goes to the log (never reads or documents: they are personal data).
 */
export async function startDevices(
  config: Config,
  options: { simulate: 'auto' | 'always' | 'never'; logger?: Logger },
): Promise<ApplianceDevices> {
  const [hid, serial] = await Promise.all([loadHidBinding(), loadSerialBinding()]);
  const { knownDevices, explicitDevices, skipped } = deviceConfig(config);
  const base: DeviceManagerOptions<DocumentRecord> = {
    hid,
    serial,
    knownDevices,
    explicitDevices,
    pollIntervalMs: config.devices.pollIntervalMs,
    parseDocument: parseDeviceDocument,
  };
  let manager = createDeviceManager<DocumentRecord>(base);
  let simulated: SimulatedDevices | null = null;
  const attach = (m: DeviceManager<DocumentRecord>): void => {
    const logger = options.logger;
    if (!logger) return;
    m.on((event) => {
      if (event.type === 'state') {
        const fields = {
          device: event.device.id,
          driver: event.device.driver,
          state: event.device.state,
          ...(event.device.lastError ? { problem: event.device.lastError } : {}),
        };
        if (event.device.source === 'simulator') logger.debug('device.state', fields);
        else logger.info('device.state', fields);
      } else if (event.type === 'bus' && !event.bus.available) {
        logger.warn('device.bus_unavailable', { bus: event.bus.bus, problem: event.bus.error });
      }
    });
  };
  if (options.simulate !== 'always') {
    attach(manager);
    await manager.start();
  }
  if (
    options.simulate === 'always' ||
    (options.simulate === 'auto' && manager.list().length === 0)
  ) {
    if (options.simulate === 'auto') await manager.stop();
    simulated = createSimulatedDevices();
    manager = createDeviceManager<DocumentRecord>({ ...base, virtualDevices: simulated.devices });
    attach(manager);
    await manager.start();
  }
  const running = manager;
  return { manager: running, simulated, skipped, stop: () => running.stop() };
}

/** A JSON-friendly view of an event: reads as text and length, never as raw bytes. */
export function deviceEventJson(event: DeviceEvent<DocumentRecord>): Record<string, unknown> {
  if (event.type === 'read') {
    let text = '';
    for (const byte of event.read.bytes) text += String.fromCharCode(byte);
    return {
      type: 'read',
      deviceId: event.deviceId,
      symbology: event.read.symbology,
      length: event.read.bytes.length,
      text,
    };
  }
  return { ...event };
}

function describeEvent(event: DeviceEvent<DocumentRecord>): string | undefined {
  switch (event.type) {
    case 'state':
      return `${event.device.id}: ${event.device.state}${event.device.lastError ? ` (${event.device.lastError})` : ''}`;
    case 'bus':
      return `${event.bus.bus} bus: ${event.bus.available ? 'available' : `unavailable (${event.bus.error ?? ''})`}`;
    case 'pad':
      if (event.event.type === 'sample') return undefined;
      return event.event.type === 'button'
        ? `${event.deviceId}: button ${event.event.button} ${event.event.pressed ? 'down' : 'up'}`
        : `${event.deviceId}: ${event.event.type}`;
    case 'read':
      return `${event.deviceId}: read ${event.read.bytes.length} bytes${event.read.symbology ? ` (${event.read.symbology})` : ''}`;
    case 'document':
      return `${event.deviceId}: ${event.kind} document, ${event.document.valid ? 'valid' : 'invalid'} (${event.document.documentCode ?? '?'})`;
    case 'discarded':
      return `${event.deviceId}: discarded ${event.count} ${event.unit} (${event.reason})`;
    case 'notice':
      return `${event.deviceId}: ${event.message}`;
  }
}

function printDevices(io: CliIo, devices: ApplianceDevices, json: boolean): void {
  const list = devices.manager.list();
  const buses = devices.manager.buses();
  if (json) {
    printJson(io.stdout, { devices: list, buses, skipped: devices.skipped });
    return;
  }
  if (list.length === 0) printLine(io.stdout, 'No known devices attached.');
  else
    printTable(
      io.stdout,
      ['id', 'driver', 'state', 'path', 'name'],
      list.map((d: DeviceStatus) => [d.id, d.driver, d.state, d.path, d.name]),
    );
  for (const d of list.filter((x) => x.lastError)) {
    printLine(io.stdout, `${d.id}: ${d.lastError}${d.hint ? `\n  hint: ${d.hint}` : ''}`);
  }
  for (const bus of buses.filter((b) => !b.available)) {
    printLine(
      io.stdout,
      `${bus.bus} bus unavailable: ${bus.error ?? ''}${bus.hint ? `\n  hint: ${bus.hint}` : ''}`,
    );
  }
  for (const line of devices.skipped) printLine(io.stdout, `skipped ${line}`);
  printLine(
    io.stdout,
    'Cameras are read by the kiosk window (getUserMedia) and are not listed here.',
  );
}

const SIMULATOR_COMMANDS = `sign, sign wacom, ${SPECIMEN_DOCUMENTS.join(', ')}`;

/** Runs simulator commands typed on stdin (`sign`, `passport-td3`, …) while watching. */
function simulatorConsole(io: CliIo, simulated: SimulatedDevices): { close(): void } {
  const lines = readline.createInterface({ input: io.stdin, crlfDelay: Infinity });
  let closed = false;
  lines.on('line', (line) => {
    const command = line.trim();
    if (command === '') return;
    let action: Promise<void>;
    if (command === 'sign' || command === 'sign topaz') action = simulated.sign('topaz');
    else if (command === 'sign wacom') action = simulated.sign('wacom');
    else if ((SPECIMEN_DOCUMENTS as readonly string[]).includes(command))
      action = simulated.present(command as SpecimenDocument);
    else {
      printLine(io.stderr, `unknown simulator command; try: ${SIMULATOR_COMMANDS}`);
      return;
    }
    action.catch(() => {
      // A playback cut short by the watch stopping is not worth a message.
      if (!closed) printLine(io.stderr, 'the simulated device is not connected');
    });
  });
  return {
    close() {
      closed = true;
      lines.close();
    },
  };
}

/**
 * `verikiosk devices list` (what is attached and which driver claims it) and
 * `verikiosk devices watch [--jsonl]` (live events: the IT admin's commissioning tool).
 * Also adds `--simulate` to `verikiosk start`.
 */
export function addDeviceCommands(
  program: Command,
  io: CliIo,
  setExit: (code: number) => void,
): void {
  program.commands
    .find((c) => c.name() === 'start')
    ?.option('--simulate', 'attach the simulated signature pads and document reader');

  const devices = program
    .command('devices')
    .description('signature pads, document readers, scanners');
  devices
    .command('list')
    .description('enumerate the attached devices and the driver that claims each')
    .option('--data-dir <dir>', 'the data directory whose config.json is used')
    .option('--simulate', 'include the simulated devices')
    .option('--json', 'print JSON')
    .action(async (o: { dataDir?: string; simulate?: boolean; json?: boolean }) => {
      const { config } = loadConfig(dataDirFrom(o, io));
      const started = await startDevices(config, { simulate: o.simulate ? 'always' : 'never' });
      try {
        printDevices(io, started, Boolean(o.json));
      } finally {
        await started.stop();
      }
      setExit(0);
    });
  devices
    .command('watch')
    .description(
      'print live device events until interrupted (reads, documents, pen samples, states)',
    )
    .option('--data-dir <dir>', 'the data directory whose config.json is used')
    .option('--simulate', `attach the simulators; type ${SIMULATOR_COMMANDS} on stdin`)
    .option('--jsonl', 'one JSON object a line, pen samples included')
    .action(async (o: { dataDir?: string; simulate?: boolean; jsonl?: boolean }) => {
      const { config } = loadConfig(dataDirFrom(o, io));
      const started = await startDevices(config, { simulate: o.simulate ? 'always' : 'never' });
      const write = (event: DeviceEvent<DocumentRecord>): void => {
        if (o.jsonl) {
          io.stdout.write(
            `${JSON.stringify({ at: new Date().toISOString(), ...deviceEventJson(event) })}\n`,
          );
          return;
        }
        const line = describeEvent(event);
        if (line !== undefined) printLine(io.stdout, line);
      };
      for (const device of started.manager.list()) write({ type: 'state', device });
      const unsubscribe = started.manager.on(write);
      const console = started.simulated ? simulatorConsole(io, started.simulated) : undefined;
      if (!o.jsonl) printLine(io.stderr, 'watching devices; Ctrl-C stops');
      try {
        await io.waitForShutdown();
      } finally {
        console?.close();
        unsubscribe();
        await started.stop();
      }
    });
}
