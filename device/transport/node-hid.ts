import { readFile } from 'node:fs/promises';
import path from 'node:path';

import { loadBinding } from './binding.js';
import type { BindingLoad } from './binding.js';
import { TransportError, toTransportError } from './errors.js';
import type { HidTransport } from './hid.js';
import { createOperationQueue } from './operation-queue.js';
import type { Timers } from './timers.js';
import { systemTimers } from './timers.js';
import { withTimeout } from './timeout.js';
import type { TransportListener } from './transport.js';
import { TransportListeners } from './transport.js';

/** A HID device as enumeration reports it. */
export interface HidDeviceInfo {
  path: string;
  vendorId: number;
  productId: number;
  serialNumber?: string;
  product?: string;
  manufacturer?: string;
  usagePage?: number;
  usage?: number;
  interface?: number;
}

/** What the device manager needs from a HID library. */
export interface HidBinding {
  devices(): Promise<HidDeviceInfo[]>;
  open(path: string, options?: { timeoutMs?: number }): Promise<HidTransport>;
}

// The parts of node-hid 3 used here (structural, so tests can pass a stand-in that fails).
interface HidAsyncLike {
  on(event: 'data', listener: (report: Buffer) => void): unknown;
  on(event: 'error', listener: (error: unknown) => void): unknown;
  close(): Promise<void>;
  write(values: Buffer): Promise<number>;
  sendFeatureReport(data: Buffer): Promise<number>;
  getFeatureReport(reportId: number, length: number): Promise<Buffer>;
}
export interface NodeHidModuleLike {
  devicesAsync(): Promise<
    {
      path?: string | undefined;
      vendorId: number;
      productId: number;
      serialNumber?: string | undefined;
      product?: string | undefined;
      manufacturer?: string | undefined;
      usagePage?: number | undefined;
      usage?: number | undefined;
      interface: number;
    }[]
  >;
  HIDAsync: { open(path: string, options?: { nonExclusive?: boolean }): Promise<HidAsyncLike> };
}

/**
 * The report descriptor of a hidraw node from sysfs (node-hid 3 does not expose it, research
 * §4): /dev/hidrawN → /sys/class/hidraw/hidrawN/device/report_descriptor.
 */
export async function readSysfsReportDescriptor(
  devicePath: string,
  sysfsRoot = '/sys/class/hidraw',
): Promise<Uint8Array | undefined> {
  const node = path.basename(devicePath);
  if (!/^hidraw\d+$/.test(node)) return undefined;
  try {
    return new Uint8Array(
      await readFile(path.join(sysfsRoot, node, 'device', 'report_descriptor')),
    );
  } catch {
    return undefined;
  }
}

const toBuffer = (bytes: Uint8Array): Buffer =>
  Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);

/** Wraps node-hid (or anything shaped like it) as a HidBinding. */
export function createHidBinding(
  module: NodeHidModuleLike,
  timers: Timers = systemTimers,
): HidBinding {
  return {
    async devices() {
      let list;
      try {
        list = await module.devicesAsync();
      } catch (error) {
        throw toTransportError(error, 'hid enumeration');
      }
      const out: HidDeviceInfo[] = [];
      for (const d of list) {
        if (!d.path) continue;
        const info: HidDeviceInfo = { path: d.path, vendorId: d.vendorId, productId: d.productId };
        if (d.serialNumber) info.serialNumber = d.serialNumber;
        if (d.product) info.product = d.product;
        if (d.manufacturer) info.manufacturer = d.manufacturer;
        if (d.usagePage !== undefined) info.usagePage = d.usagePage;
        if (d.usage !== undefined) info.usage = d.usage;
        info.interface = d.interface;
        out.push(info);
      }
      return out;
    },
    async open(devicePath, options = {}) {
      const description = `hid:${devicePath}`;
      let device: HidAsyncLike;
      try {
        device = await withTimeout(
          module.HIDAsync.open(devicePath, { nonExclusive: true }),
          options.timeoutMs ?? 5000,
          `${description}: open`,
          timers,
        );
      } catch (error) {
        throw toTransportError(error, description);
      }
      return wrapHidDevice(device, devicePath, description, timers);
    },
  };
}

const FEATURE_TIMEOUT_MS = 2000;

function wrapHidDevice(
  device: HidAsyncLike,
  devicePath: string,
  description: string,
  timers: Timers,
): HidTransport {
  const listeners = new TransportListeners();
  const queue = createOperationQueue(description);
  let closed = false;

  function finish(): void {
    if (closed) return;
    closed = true;
    queue.close(new TransportError(`${description}: disconnected`, 'disconnected'));
    listeners.emit({ type: 'close' });
    listeners.clear();
  }

  function operation<T>(what: string, run: () => Promise<T>): Promise<T> {
    return queue.run(async () => {
      if (closed) throw new TransportError(`${description}: disconnected`, 'disconnected');
      try {
        return await withTimeout(run(), FEATURE_TIMEOUT_MS, `${description}: ${what}`, timers);
      } catch (error) {
        throw toTransportError(error, description);
      }
    });
  }

  device.on('data', (report) => {
    if (!closed) listeners.emit({ type: 'data', bytes: new Uint8Array(report) });
  });
  device.on('error', (error) => {
    // node-hid reports an unplugged device as a read error ("could not read from HID device")
    // and stops reading: the transport is over.
    if (closed) return;
    const reason = toTransportError(error, description);
    listeners.emit({
      type: 'error',
      error:
        reason.kind === 'io'
          ? new TransportError(`${description}: disconnected`, 'disconnected', { cause: error })
          : reason,
    });
    void device.close().catch(() => undefined);
    finish();
  });

  return {
    description,
    write: (bytes) =>
      operation('write', () => device.write(toBuffer(Uint8Array.from(bytes)))).then(
        () => undefined,
      ),
    sendFeatureReport: (report) =>
      operation('send feature report', () =>
        device.sendFeatureReport(toBuffer(Uint8Array.from(report))),
      ).then(() => undefined),
    getFeatureReport: (reportId, length) =>
      operation('get feature report', () => device.getFeatureReport(reportId, length)).then(
        (buffer) => new Uint8Array(buffer),
      ),
    readReportDescriptor: () => readSysfsReportDescriptor(devicePath),
    on: (listener: TransportListener) => listeners.add(listener),
    async close() {
      if (closed) return;
      finish();
      await device.close().catch(() => undefined);
    },
  };
}

/**
 * Loads node-hid lazily: its native module links libusb-1.0 and libudev even in hidraw mode, and
 * without them the import throws (research §5.1). The failure becomes a status, not a crash.
 */
export function loadHidBinding(
  importer: () => Promise<NodeHidModuleLike> = () => import('node-hid'),
  timers: Timers = systemTimers,
): Promise<BindingLoad<HidBinding>> {
  return loadBinding('node-hid', importer, (module) => createHidBinding(module, timers));
}
