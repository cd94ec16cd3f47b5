import { existsSync } from 'node:fs';

import { DRIVERS, isDriverName } from '../drivers/index.js';
import type {
  DeviceDriver,
  DeviceSettings,
  DiscardedReason,
  DocumentInput,
  DocumentParser,
  DriverEvent,
  DriverName,
  ReaderRead,
} from '../drivers/index.js';
import type { PadEvent } from '../pads/index.js';
import { TransportError, systemTimers } from '../transport/index.js';
import type {
  BindingLoad,
  HidBinding,
  HidTransport,
  SerialBinding,
  Timers,
  Transport,
} from '../transport/index.js';
import { KNOWN_DEVICES, matchKnownDevice } from './known-devices.js';
import type { ExplicitDevice, KnownDevice } from './known-devices.js';

export type Bus = 'hid' | 'serial';

/**
 * Why a device failed, as a code: the transport's kinds (permission, io, timeout, disconnected),
 * `protocol` when the device answered what its driver cannot use, `unexpected` for anything else.
 */
export type DeviceErrorCode =
  'permission' | 'io' | 'timeout' | 'disconnected' | 'protocol' | 'unexpected';
export type DeviceState = 'connecting' | 'connected' | 'disconnected' | 'error';

/** What the manager knows about one device (the admin page's row; no device data inside). */
export interface DeviceStatus {
  id: string;
  name: string;
  driver: DriverName;
  /** What the driver makes of the device: a signature pad or a document reader. */
  kind: 'pad' | 'reader';
  bus: Bus;
  path: string;
  /** Where the device came from: the device table, a config entry by path, or a simulator. */
  source: 'table' | 'config' | 'simulator';
  vendorId: number | null;
  productId: number | null;
  state: DeviceState;
  connected: boolean;
  /** When enumeration last saw the device (ISO time). */
  lastSeen: string | null;
  lastError: string | null;
  /** The kind of lastError, a stable code: see DeviceErrorCode. */
  lastErrorCode: DeviceErrorCode | null;
  /** What the operator can do about lastError (the udev rules for permission errors). */
  hint: string | null;
  connects: number;
  reads: number;
  documents: number;
  samples: number;
}

/** Whether a bus's library loaded and its enumeration works. */
export interface BusStatus {
  bus: Bus;
  available: boolean;
  error: string | null;
  hint: string | null;
}

export type DeviceEvent<D> =
  | { type: 'state'; device: DeviceStatus }
  | { type: 'bus'; bus: BusStatus }
  | { type: 'pad'; deviceId: string; event: PadEvent }
  | { type: 'read'; deviceId: string; read: ReaderRead }
  | { type: 'document'; deviceId: string; kind: DocumentInput['kind']; document: D }
  | {
      type: 'discarded';
      deviceId: string;
      reason: DiscardedReason;
      count: number;
      unit: 'bytes' | 'samples' | 'lines';
    }
  | { type: 'notice'; deviceId: string; message: string };

export type DeviceListener<D> = (event: DeviceEvent<D>) => void;

/** A device that is not on a bus: a simulator speaking the wire protocol over memory. */
export interface VirtualDevice {
  id: string;
  name: string;
  driver: DriverName;
  settings?: DeviceSettings;
  /** Opens a fresh connection (each reconnect calls it again). */
  open(): Promise<Transport | HidTransport>;
  /** False while the simulated device is "unplugged". Default: always present. */
  present?(): boolean;
}

export interface DeviceManagerOptions<D> {
  /** The HID library (or why it is unavailable); null: no HID bus. */
  hid?: BindingLoad<HidBinding> | null;
  serial?: BindingLoad<SerialBinding> | null;
  /** Rows added to KNOWN_DEVICES (config's devices.models). */
  knownDevices?: readonly KnownDevice[];
  /** Devices named by path (config's devices.ports). */
  explicitDevices?: readonly ExplicitDevice[];
  virtualDevices?: readonly VirtualDevice[];
  pollIntervalMs?: number;
  timers?: Timers;
  clock?: () => Date;
  parseDocument?: DocumentParser<D>;
  pathExists?: (path: string) => boolean;
}

export interface DeviceManager<D> {
  /** Enumerates once (devices found are opened before it resolves), then polls. */
  start(): Promise<void>;
  /** One enumeration now; resolves when the devices it found were opened (or failed). */
  refresh(): Promise<void>;
  stop(): Promise<void>;
  list(): DeviceStatus[];
  buses(): BusStatus[];
  on(listener: DeviceListener<D>): () => void;
}

interface Candidate {
  id: string;
  name: string;
  driver: DriverName;
  bus: Bus;
  path: string;
  source: DeviceStatus['source'];
  vendorId: number | null;
  productId: number | null;
  settings: DeviceSettings;
  open: () => Promise<Transport | HidTransport>;
}

interface Entry {
  status: DeviceStatus;
  candidate: Candidate;
  transport?: Transport | HidTransport;
  driver?: DeviceDriver;
  opening?: Promise<void>;
  unsubscribe?: () => void;
}

const hex4 = (n: number): string => n.toString(16).padStart(4, '0');

function describeError(error: unknown): {
  message: string;
  hint: string | null;
  code: DeviceErrorCode;
} {
  if (error instanceof TransportError)
    return { message: error.message, hint: error.hint ?? null, code: error.kind };
  if (error instanceof RangeError) return { message: error.message, hint: null, code: 'protocol' };
  // Foreign errors may quote data: the name only.
  return {
    message: `unexpected ${error instanceof Error ? error.name : 'error'}`,
    hint: null,
    code: 'unexpected',
  };
}

/**
 * DEV-3: enumerates the HID and serial buses, claims devices through the device table and the
 * config's explicit paths, opens them with their driver, polls for hotplug, reconnects after an
 * unplug and keeps per-device state. Events carry pad samples, reads and parsed documents.
 */
export function createDeviceManager<D = unknown>(
  options: DeviceManagerOptions<D> = {},
): DeviceManager<D> {
  const timers = options.timers ?? systemTimers;
  const clock = options.clock ?? (() => new Date());
  const pathExists = options.pathExists ?? existsSync;
  const pollIntervalMs = options.pollIntervalMs ?? 2000;
  const table = [...KNOWN_DEVICES, ...(options.knownDevices ?? [])];
  const explicit = options.explicitDevices ?? [];
  const virtual = options.virtualDevices ?? [];
  const listeners = new Set<DeviceListener<D>>();
  const entries = new Map<string, Entry>();
  const busStatus = new Map<Bus, BusStatus>();
  let timer: unknown;
  let running = false;
  let polling: Promise<void> | undefined;

  function emit(event: DeviceEvent<D>): void {
    for (const listener of [...listeners]) {
      try {
        listener(event);
      } catch {
        // One listener's bug must not stop the others or the manager.
      }
    }
  }

  const snapshot = (entry: Entry): DeviceStatus => ({ ...entry.status });

  function setState(entry: Entry, state: DeviceState, error?: unknown): void {
    const before = `${entry.status.state}|${entry.status.lastError ?? ''}`;
    entry.status.state = state;
    entry.status.connected = state === 'connected';
    if (error !== undefined) {
      const { message, hint, code } = describeError(error);
      entry.status.lastError = message;
      entry.status.lastErrorCode = code;
      entry.status.hint = hint;
    }
    if (`${state}|${entry.status.lastError ?? ''}` !== before) {
      emit({ type: 'state', device: snapshot(entry) });
    }
  }

  function setBus(bus: Bus, status: Omit<BusStatus, 'bus'>): void {
    const previous = busStatus.get(bus);
    const next = { bus, ...status };
    busStatus.set(bus, next);
    if (!previous || previous.available !== next.available || previous.error !== next.error) {
      emit({ type: 'bus', bus: next });
    }
  }

  for (const [bus, load] of [
    ['hid', options.hid],
    ['serial', options.serial],
  ] as const) {
    if (load === undefined || load === null) continue;
    if (!load.ok) {
      busStatus.set(bus, {
        bus,
        available: false,
        error: load.error.message,
        hint: load.error.hint,
      });
    } else busStatus.set(bus, { bus, available: true, error: null, hint: null });
  }

  const hidBinding = options.hid?.ok ? options.hid.binding : undefined;
  const serialBinding = options.serial?.ok ? options.serial.binding : undefined;

  function openWith(
    bus: Bus,
    path: string,
    driver: DriverName,
    settings: DeviceSettings,
  ): () => Promise<Transport | HidTransport> {
    return async () => {
      if (bus === 'hid') {
        if (!hidBinding) throw new TransportError('the HID bus is unavailable', 'io');
        return hidBinding.open(path);
      }
      if (!serialBinding) throw new TransportError('the serial bus is unavailable', 'io');
      const factory = DRIVERS[driver];
      const line = factory.bus === 'serial' ? factory.lineSettings(settings) : undefined;
      return serialBinding.open({
        path,
        baudRate: settings.baudRate ?? line?.baudRate ?? 9600,
        dataBits: settings.dataBits ?? line?.dataBits ?? 8,
        parity: settings.parity ?? line?.parity ?? 'none',
        stopBits: settings.stopBits ?? line?.stopBits ?? 1,
        flowControl: settings.flowControl ?? line?.flowControl ?? 'none',
      });
    };
  }

  /** Everything present now; `undefined` for a bus whose enumeration failed (presence unknown). */
  async function enumerate(): Promise<{ found: Map<string, Candidate>; unknownBuses: Set<Bus> }> {
    const found = new Map<string, Candidate>();
    const unknownBuses = new Set<Bus>();
    const explicitPaths = new Set(explicit.map((e) => e.path));

    if (hidBinding) {
      try {
        for (const device of await hidBinding.devices()) {
          if (explicitPaths.has(device.path)) continue;
          const row = matchKnownDevice(table, device);
          if (!row || DRIVERS[row.driver].bus !== 'hid') continue;
          const unit = device.serialNumber
            ? `${device.serialNumber}:${device.interface ?? 0}`
            : device.path;
          const id = `hid:${hex4(device.vendorId)}:${hex4(device.productId)}:${unit}`;
          const settings = { ...row.settings };
          found.set(id, {
            id,
            name: row.name,
            driver: row.driver,
            bus: 'hid',
            path: device.path,
            source: 'table',
            vendorId: device.vendorId,
            productId: device.productId,
            settings,
            open: openWith('hid', device.path, row.driver, settings),
          });
        }
        setBus('hid', { available: true, error: null, hint: null });
      } catch (error) {
        unknownBuses.add('hid');
        setBus('hid', { available: false, ...describeErrorForBus(error) });
      }
    }
    if (serialBinding) {
      try {
        for (const port of await serialBinding.list()) {
          if (explicitPaths.has(port.path) || port.vendorId === undefined) continue;
          const row = matchKnownDevice(table, port);
          if (!row || DRIVERS[row.driver].bus !== 'serial') continue;
          const unit = port.serialNumber ?? port.path;
          const id = `serial:${hex4(port.vendorId)}:${hex4(port.productId ?? 0)}:${unit}`;
          const settings = { ...row.settings };
          found.set(id, {
            id,
            name: row.name,
            driver: row.driver,
            bus: 'serial',
            path: port.path,
            source: 'table',
            vendorId: port.vendorId,
            productId: port.productId ?? null,
            settings,
            open: openWith('serial', port.path, row.driver, settings),
          });
        }
        setBus('serial', { available: true, error: null, hint: null });
      } catch (error) {
        unknownBuses.add('serial');
        setBus('serial', { available: false, ...describeErrorForBus(error) });
      }
    }
    for (const entry of explicit) {
      if (!isDriverName(entry.driver) || !pathExists(entry.path)) continue;
      const bus = DRIVERS[entry.driver].bus;
      const id = `path:${entry.path}`;
      const settings = { ...entry.settings };
      found.set(id, {
        id,
        name: entry.name ?? `${entry.driver} at ${entry.path}`,
        driver: entry.driver,
        bus,
        path: entry.path,
        source: 'config',
        vendorId: null,
        productId: null,
        settings,
        open: openWith(bus, entry.path, entry.driver, settings),
      });
    }
    for (const device of virtual) {
      if (device.present && !device.present()) continue;
      const id = `sim:${device.id}`;
      found.set(id, {
        id,
        name: device.name,
        driver: device.driver,
        bus: DRIVERS[device.driver].bus,
        path: `simulator:${device.id}`,
        source: 'simulator',
        vendorId: null,
        productId: null,
        settings: { ...device.settings },
        open: () => device.open(),
      });
    }
    return { found, unknownBuses };
  }

  function describeErrorForBus(error: unknown): { error: string; hint: string | null } {
    const { message, hint } = describeError(error);
    return { error: message, hint };
  }

  function onDriverEvent(entry: Entry, event: DriverEvent<D>): void {
    const deviceId = entry.status.id;
    switch (event.type) {
      case 'pad':
        if (event.event.type === 'sample') entry.status.samples += 1;
        emit({ type: 'pad', deviceId, event: event.event });
        break;
      case 'read':
        entry.status.reads += 1;
        emit({ type: 'read', deviceId, read: event.read });
        break;
      case 'document':
        entry.status.documents += 1;
        emit({ type: 'document', deviceId, kind: event.kind, document: event.document });
        break;
      case 'discarded':
        emit({
          type: 'discarded',
          deviceId,
          reason: event.reason,
          count: event.count,
          unit: event.unit,
        });
        break;
      case 'notice':
        emit({ type: 'notice', deviceId, message: event.message });
        break;
    }
  }

  /** The transport ended (unplug) or the manager let go of it: stop the driver once. */
  function release(entry: Entry, reason: 'disconnected' | 'stopped'): Transport | undefined {
    const transport = entry.transport;
    if (!transport) return undefined;
    entry.unsubscribe?.();
    entry.unsubscribe = undefined;
    entry.transport = undefined;
    const driver = entry.driver;
    entry.driver = undefined;
    driver?.stop(reason);
    return transport;
  }

  async function connect(entry: Entry): Promise<void> {
    // A retry after an error stays in 'error' until it succeeds: no event per poll.
    if (entry.status.state !== 'error') setState(entry, 'connecting');
    let transport: Transport | HidTransport | undefined;
    try {
      transport = await entry.candidate.open();
      if (!running) {
        await transport.close();
        return;
      }
      const factory = DRIVERS[entry.candidate.driver];
      const context = {
        settings: entry.candidate.settings,
        timers,
        emit: (event: DriverEvent<D>) => onDriverEvent(entry, event),
        parseDocument: options.parseDocument,
      };
      const driver =
        factory.bus === 'hid'
          ? factory.create(transport as HidTransport, context)
          : factory.create(transport, context);
      entry.transport = transport;
      entry.driver = driver;
      let closedEarly = false;
      entry.unsubscribe = transport.on((event) => {
        if (event.type === 'error') {
          // Reported like any other change (the state stays): the API's recent errors see it.
          setState(entry, entry.status.state, event.error);
        } else if (event.type === 'close') {
          closedEarly = true;
          if (release(entry, 'disconnected')) setState(entry, 'disconnected');
        }
      });
      await driver.start();
      if (closedEarly || entry.transport !== transport) return;
      entry.status.connects += 1;
      entry.status.lastError = null;
      entry.status.lastErrorCode = null;
      entry.status.hint = null;
      setState(entry, 'connected');
    } catch (error) {
      const owned = entry.transport === transport ? release(entry, 'stopped') : transport;
      await owned?.close().catch(() => undefined);
      setState(entry, 'error', error);
    }
  }

  async function poll(): Promise<void> {
    const { found, unknownBuses } = await enumerate();
    const now = clock().toISOString();
    const opening: Promise<void>[] = [];
    for (const candidate of found.values()) {
      let entry = entries.get(candidate.id);
      if (!entry) {
        entry = {
          candidate,
          status: {
            id: candidate.id,
            name: candidate.name,
            driver: candidate.driver,
            kind: DRIVERS[candidate.driver].kind,
            bus: candidate.bus,
            path: candidate.path,
            source: candidate.source,
            vendorId: candidate.vendorId,
            productId: candidate.productId,
            state: 'disconnected',
            connected: false,
            lastSeen: null,
            lastError: null,
            lastErrorCode: null,
            hint: null,
            connects: 0,
            reads: 0,
            documents: 0,
            samples: 0,
          },
        };
        entries.set(candidate.id, entry);
      } else {
        // A replugged HID device may come back under another hidraw node.
        entry.candidate = candidate;
        entry.status.path = candidate.path;
      }
      entry.status.lastSeen = now;
      if (!entry.transport && !entry.opening && running) {
        const current = entry;
        current.opening = connect(current).finally(() => {
          current.opening = undefined;
        });
        opening.push(current.opening);
      }
    }
    for (const entry of entries.values()) {
      if (found.has(entry.status.id) || unknownBuses.has(entry.status.bus)) continue;
      // Gone from the bus while its transport has not noticed yet (or it never opened).
      const transport = release(entry, 'disconnected');
      await transport?.close().catch(() => undefined);
      if (entry.status.state !== 'disconnected') setState(entry, 'disconnected');
    }
    await Promise.all(opening);
  }

  function schedule(): void {
    if (!running) return;
    timer = timers.setTimeout(() => {
      timer = undefined;
      void refresh().finally(schedule);
    }, pollIntervalMs);
  }

  function refresh(): Promise<void> {
    polling ??= poll()
      .catch(() => undefined)
      .finally(() => {
        polling = undefined;
      });
    return polling;
  }

  return {
    async start() {
      if (running) return;
      running = true;
      await refresh();
      schedule();
    },
    refresh,
    async stop() {
      running = false;
      if (timer !== undefined) timers.clearTimeout(timer);
      timer = undefined;
      await polling;
      await Promise.all([...entries.values()].map((e) => e.opening ?? Promise.resolve()));
      for (const entry of entries.values()) {
        const transport = release(entry, 'stopped');
        await transport?.close().catch(() => undefined);
        if (entry.status.state !== 'disconnected') setState(entry, 'disconnected');
      }
    },
    list: () => [...entries.values()].map(snapshot),
    buses: () => [...busStatus.values()].map((b) => ({ ...b })),
    on(listener) {
      listeners.add(listener);
      return () => {
        listeners.delete(listener);
      };
    },
  };
}
