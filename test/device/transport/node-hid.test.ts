import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { describe, expect, it } from 'vitest';

import {
  BindingUnavailableError,
  createMemoryHidDevice,
  loadHidBinding,
  readSysfsReportDescriptor,
  TransportError,
  type TransportEvent,
} from '../../../device/transport/index.js';

describe('node-hid binding', () => {
  it('loads lazily and enumerates (no HID devices in this sandbox)', async () => {
    const load = await loadHidBinding();
    expect(load.ok).toBe(true);
    if (!load.ok) return;
    const devices = await load.binding.devices();
    expect(Array.isArray(devices)).toBe(true);
  });

  it('opening a hidraw path that does not exist fails with a TransportError', async () => {
    const load = await loadHidBinding();
    if (!load.ok) throw load.error;
    const error = await load.binding.open('/dev/hidraw-vk-none').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TransportError);
  });

  it('a missing libusb becomes BindingUnavailableError with the package to install', async () => {
    const load = await loadHidBinding(() =>
      Promise.reject(
        new Error('libusb-1.0.so.0: cannot open shared object file: No such file or directory'),
      ),
    );
    expect(load.ok).toBe(false);
    if (load.ok) return;
    expect(load.error).toBeInstanceOf(BindingUnavailableError);
    expect(load.error.name).toBe('BindingUnavailableError');
    expect(load.error.missingLibrary).toBe('libusb-1.0.so.0');
    expect(load.error.message).toBe('node-hid is unavailable (libusb-1.0.so.0 not found)');
    expect(load.error.hint).toMatch(/libusb-1\.0-0/);
  });

  it('reads the report descriptor from sysfs for /dev/hidrawN only', async () => {
    const root = mkdtempSync(path.join(tmpdir(), 'vk-sysfs-'));
    try {
      mkdirSync(path.join(root, 'hidraw3', 'device'), { recursive: true });
      writeFileSync(
        path.join(root, 'hidraw3', 'device', 'report_descriptor'),
        Uint8Array.of(5, 13, 9, 2),
      );
      expect(await readSysfsReportDescriptor('/dev/hidraw3', root)).toEqual(
        Uint8Array.of(5, 13, 9, 2),
      );
      expect(await readSysfsReportDescriptor('/dev/hidraw4', root)).toBeUndefined();
      expect(await readSysfsReportDescriptor('/dev/../etc/passwd', root)).toBeUndefined();
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});

describe('in-memory HID device', () => {
  it('serialises feature reports and output reports in call order', async () => {
    const order: string[] = [];
    const device = createMemoryHidDevice({
      getFeature: (id, length) => {
        order.push(`get ${id}`);
        return id === 0x09 ? Uint8Array.of(id, 1, 2, 3).slice(0, length) : undefined;
      },
      setFeature: (r) => order.push(`set ${r[0]}`),
      output: (r) => order.push(`out ${r[0]}`),
    });
    const [, feature] = await Promise.all([
      device.host.sendFeatureReport(Uint8Array.of(0x20, 0)),
      device.host.getFeatureReport(0x09, 3),
      device.host.write(Uint8Array.of(0xfd)),
    ]);
    expect(order).toEqual(['set 32', 'get 9', 'out 253']);
    expect(feature).toEqual(Uint8Array.of(9, 1, 2));
    await expect(device.host.getFeatureReport(0x77, 4)).rejects.toMatchObject({ kind: 'io' });
  });

  it('an unplug delivers the reports already sent, then close; later calls fail as disconnected', async () => {
    const device = createMemoryHidDevice({});
    const events: TransportEvent[] = [];
    device.host.on((e) => events.push(e));
    device.sendInputReport(Uint8Array.of(1, 2));
    device.unplug();
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(events.map((e) => e.type)).toEqual(['data', 'close']);
    await expect(device.host.sendFeatureReport(Uint8Array.of(1))).rejects.toMatchObject({
      kind: 'disconnected',
    });
  });
});
