/**
 * The device manager as the core runs it: config rows to device/'s tables, documents parsed by
 * server/documents, state to the log, and the simulators when asked. Built by the composition
 * root (server/app.ts) for the running appliance, and by `verikiosk devices …` for one-shot use.
 */
import {
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
} from '../../device/index.js';
import type { Config } from '../config/index.js';
import { parseAamva, parseMrz, type DocumentRecord } from '../documents/index.js';
import type { Logger } from '../log/index.js';
import { DeviceJournal, type DeviceErrorRecord, type DeviceTransition } from './journal.js';

/** When the simulators are attached: 'auto' only when enumeration found no device (SPEC OPS-1). */
export type SimulateMode = 'auto' | 'always' | 'never';

type Manager = DeviceManager<DocumentRecord>;

/** The running device manager, with the simulators when they are attached. */
export interface ApplianceDevices {
  /** Every device known now, with its state, last error and hint. */
  list(): DeviceStatus[];
  /** Whether each bus (HID, serial) could be used, with a hint when not. */
  buses(): ReturnType<Manager['buses']>;
  /** Subscribes to device events (states, reads, documents, pen samples); returns the unsubscribe. */
  on(listener: Parameters<Manager['on']>[0]): () => void;
  /** The device's last errors (by the manager's id), oldest first. */
  recentErrors(id: string): DeviceErrorRecord[];
  /** Enumerates now: finds devices, retries those in error; resolves when they were opened or failed. */
  refresh(): Promise<void>;
  /** The simulators, when attached (they are driven from the simulator console or tests). */
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
 * Device state goes to the log (never reads or documents: they are personal data). Devices
 * never stop the core from starting: failures are device states, not errors.
 */
export async function startDevices(
  config: Config,
  options: {
    simulate: SimulateMode;
    logger?: Logger;
    /** Told of each connection, disconnection and error from the start (not during stop). */
    onTransition?: (transition: DeviceTransition) => void;
  },
): Promise<ApplianceDevices> {
  let stopping = false;
  const journal = new DeviceJournal((transition) => {
    if (!stopping) options.onTransition?.(transition);
  });
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
    m.on((event) => journal.observe(event));
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
  return {
    list: () => running.list(),
    buses: () => running.buses(),
    on: (listener) => running.on(listener),
    recentErrors: (id) => journal.recentErrors(id),
    refresh: () => running.refresh(),
    simulated,
    skipped,
    stop: () => {
      stopping = true;
      return running.stop();
    },
  };
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
