import { describe, expect, it } from 'vitest';

import {
  createDeviceManager,
  type DeviceEvent,
  type DeviceManager,
  type VirtualDevice,
} from '../../../device/manager/index.js';
import { encodeWacomPenReport } from '../../../device/pads/index.js';
import {
  createSimulatedDevices,
  createWacomStuSimulator,
  generateSyntheticSignature,
} from '../../../device/simulators/index.js';
import {
  BindingUnavailableError,
  type HidBinding,
  type HidDeviceInfo,
  TransportError,
  UDEV_PERMISSION_HINT,
} from '../../../device/transport/index.js';
import { parseDeviceDocument } from '../../../server/devices/index.js';
import type { DocumentRecord } from '../../../server/documents/index.js';
import { EventLog } from '../pty.js';

type Event = DeviceEvent<DocumentRecord>;

const parseDocument = parseDeviceDocument;

function watch(manager: DeviceManager<DocumentRecord>): EventLog<Event> {
  const log = new EventLog<Event>();
  manager.on(log.push);
  return log;
}

const stateOf = (id: string) => (e: Event) => e.type === 'state' && e.device.id === id;

describe('device manager with the simulated devices', () => {
  it('attaches the simulators through the real drivers: pen samples, reads and parsed documents', async () => {
    const simulated = createSimulatedDevices();
    const manager = createDeviceManager<DocumentRecord>({
      virtualDevices: simulated.devices,
      pollIntervalMs: 200,
      parseDocument,
    });
    const log = watch(manager);
    await manager.start();
    try {
      expect(manager.list().map((d) => [d.id, d.state, d.source])).toEqual([
        ['sim:topaz-pad', 'connected', 'simulator'],
        ['sim:wacom-stu', 'connected', 'simulator'],
        ['sim:document-reader', 'connected', 'simulator'],
      ]);
      const signature = generateSyntheticSignature(3);
      await simulated.sign('topaz', signature, { realtime: false });
      await simulated.sign('wacom', signature, { realtime: false });
      const points = signature.strokes.reduce((n, s) => n + s.length, 0);
      await log.waitForCount(
        (e) => e.type === 'pad' && e.event.type === 'strokeEnd',
        signature.strokes.length * 2,
      );
      for (const id of ['sim:topaz-pad', 'sim:wacom-stu']) {
        expect(manager.list().find((d) => d.id === id)?.samples).toBe(points);
      }
      await simulated.present('passport-td3');
      const doc = await log.waitFor((e) => e.type === 'document');
      expect(doc).toMatchObject({
        deviceId: 'sim:document-reader',
        kind: 'mrz',
        document: { valid: true, documentNumber: 'L898902C3' },
      });
      const reader = manager.list().find((d) => d.id === 'sim:document-reader');
      expect(reader).toMatchObject({ reads: 1, documents: 1 });
    } finally {
      await manager.stop();
    }
    expect(manager.list().every((d) => d.state === 'disconnected')).toBe(true);
  });

  it('an unplug mid-stroke: a state event, the stroke discarded with a reason, then a reconnect', async () => {
    const pad = createWacomStuSimulator();
    let present = true;
    const device: VirtualDevice = {
      id: 'pad',
      name: 'pad',
      driver: 'wacom-stu',
      open: () => Promise.resolve(pad.connect()),
      present: () => present,
    };
    const manager = createDeviceManager<DocumentRecord>({
      virtualDevices: [device],
      pollIntervalMs: 100,
    });
    const log = watch(manager);
    await manager.start();
    try {
      for (let i = 0; i < 4; i++) {
        pad.device!.sendInputReport(
          encodeWacomPenReport({ rdy: true, sw: 1, pressure: 500, x: i, y: i }),
        );
      }
      await log.waitForCount((e) => e.type === 'pad' && e.event.type === 'sample', 4);
      present = false;
      pad.unplug();
      const mark = log.events.length;
      await log.waitFor(
        (e) => stateOf('sim:pad')(e) && e.type === 'state' && e.device.state === 'disconnected',
        mark,
      );
      expect(log.events.slice(mark)).toContainEqual({
        type: 'discarded',
        deviceId: 'sim:pad',
        reason: 'disconnected-mid-stroke',
        count: 4,
        unit: 'samples',
      });
      present = true;
      await log.waitFor(
        (e) => e.type === 'state' && e.device.state === 'connected',
        log.events.length,
      );
      expect(manager.list()[0]).toMatchObject({ state: 'connected', connects: 2 });
      await pad.play(generateSyntheticSignature(5), { realtime: false });
      await log.waitFor((e) => e.type === 'pad' && e.event.type === 'strokeEnd');
    } finally {
      await manager.stop();
    }
  });
});

/** A HID bus of simulated devices: the enumeration and open calls of a HidBinding. */
function simulatedHidBus(devices: HidDeviceInfo[], open: HidBinding['open']): HidBinding {
  return { devices: () => Promise.resolve(devices.map((d) => ({ ...d }))), open };
}

describe('device table and hotplug by polling', () => {
  it('claims a Wacom STU by its ids, drops it when it leaves the bus, claims it again on return', async () => {
    const pad = createWacomStuSimulator();
    const attached: HidDeviceInfo[] = [
      {
        path: '/dev/hidraw7',
        vendorId: 0x056a,
        productId: 0x00a8,
        serialNumber: 'SIM1',
        interface: 0,
      },
      { path: '/dev/hidraw8', vendorId: 0x046d, productId: 0xc077, interface: 0 },
    ];
    const manager = createDeviceManager<DocumentRecord>({
      hid: { ok: true, binding: simulatedHidBus(attached, () => Promise.resolve(pad.connect())) },
      pollIntervalMs: 100,
    });
    const log = watch(manager);
    await manager.start();
    try {
      expect(manager.list()).toMatchObject([
        {
          id: 'hid:056a:00a8:SIM1:0',
          driver: 'wacom-stu',
          source: 'table',
          state: 'connected',
          name: 'Wacom STU signature pad',
        },
      ]);
      expect(manager.list()[0]?.lastSeen).toMatch(/^\d{4}-\d\d-\d\dT/);
      attached.splice(0, 1);
      await log.waitFor((e) => e.type === 'state' && e.device.state === 'disconnected');
      expect(pad.device?.unplugged).toBe(true);
      attached.push({
        path: '/dev/hidraw9',
        vendorId: 0x056a,
        productId: 0x00a8,
        serialNumber: 'SIM1',
        interface: 0,
      });
      await log.waitFor(
        (e) => e.type === 'state' && e.device.state === 'connected',
        log.events.length,
      );
      expect(manager.list()[0]).toMatchObject({ path: '/dev/hidraw9', connects: 2 });
    } finally {
      await manager.stop();
    }
  });

  it('config rows extend the table; a permission error is a state with the udev hint, retried', async () => {
    let opens = 0;
    const manager = createDeviceManager<DocumentRecord>({
      hid: {
        ok: true,
        binding: simulatedHidBus(
          [{ path: '/dev/hidraw2', vendorId: 0x1234, productId: 0x0001 }],
          () => {
            opens += 1;
            return Promise.reject(
              new TransportError('hid:/dev/hidraw2: permission denied', 'permission'),
            );
          },
        ),
      },
      knownDevices: [
        { name: 'Site pad', vendorId: 0x1234, productIds: [1], driver: 'hid-digitizer' },
      ],
      pollIntervalMs: 100,
    });
    const log = watch(manager);
    await manager.start();
    try {
      expect(manager.list()[0]).toMatchObject({
        name: 'Site pad',
        driver: 'hid-digitizer',
        state: 'error',
        lastError: 'hid:/dev/hidraw2: permission denied',
        hint: UDEV_PERMISSION_HINT,
      });
      const before = opens;
      await manager.refresh();
      expect(opens).toBe(before + 1);
      // The same error again is not a new state event.
      expect(
        log.events.filter((e) => e.type === 'state' && e.device.state === 'error'),
      ).toHaveLength(1);
    } finally {
      await manager.stop();
    }
  });

  it('a bus whose library did not load is reported, and the rest works', async () => {
    const simulated = createSimulatedDevices();
    const manager = createDeviceManager<DocumentRecord>({
      hid: { ok: false, error: new BindingUnavailableError('node-hid') },
      virtualDevices: simulated.devices.slice(0, 1),
    });
    await manager.start();
    try {
      expect(manager.buses()).toEqual([
        {
          bus: 'hid',
          available: false,
          error: 'node-hid is unavailable',
          hint: expect.stringMatching(/libusb-1\.0-0/),
        },
      ]);
      expect(manager.list()[0]?.state).toBe('connected');
    } finally {
      await manager.stop();
    }
  });

  it('a bus whose enumeration fails keeps its devices as they were and reports the bus', async () => {
    let fail = false;
    const pad = createWacomStuSimulator();
    const manager = createDeviceManager<DocumentRecord>({
      hid: {
        ok: true,
        binding: {
          devices: () =>
            fail
              ? Promise.reject(new Error('spawn udevadm ENOENT'))
              : Promise.resolve([{ path: '/dev/hidraw1', vendorId: 0x056a, productId: 0x00a4 }]),
          open: () => Promise.resolve(pad.connect()),
        },
      },
      pollIntervalMs: 100,
    });
    const log = watch(manager);
    await manager.start();
    try {
      fail = true;
      await log.waitFor((e) => e.type === 'bus' && !e.bus.available);
      expect(manager.list()[0]?.state).toBe('connected');
    } finally {
      await manager.stop();
    }
  });
});
