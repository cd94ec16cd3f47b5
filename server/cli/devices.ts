import * as readline from 'node:readline';
import type { Command } from 'commander';
import {
  SPECIMEN_DOCUMENTS,
  type DeviceEvent,
  type DeviceStatus,
  type SimulatedDevices,
  type SpecimenDocument,
} from '../../device/index.js';
import { loadConfig } from '../config/index.js';
import { deviceEventJson, startDevices, type ApplianceDevices } from '../devices/index.js';
import type { DocumentRecord } from '../documents/index.js';
import { dataDirFrom } from './context.js';
import { printJson, printLine, printTable, type CliIo } from './io.js';

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
  const list = devices.list();
  const buses = devices.buses();
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
 */
export function addDeviceCommands(
  program: Command,
  io: CliIo,
  setExit: (code: number) => void,
): void {
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
      for (const device of started.list()) write({ type: 'state', device });
      const unsubscribe = started.on(write);
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
