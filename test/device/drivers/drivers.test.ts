import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import {
  type DeviceSettings,
  type DriverContext,
  type DriverEvent,
  hidDigitizerDriver,
  honeywellHidPosDriver,
  serialReaderDriver,
  symbolSimpleComDriver,
  wacomStuDriver,
} from '../../../device/drivers/index.js';
import { encodeWacomPenReport } from '../../../device/pads/index.js';
import { encodeHoneywellReports } from '../../../device/scanners/index.js';
import {
  createReaderSimulator,
  createWacomStuSimulator,
  generateSyntheticSignature,
  readerFramesFor,
  SPECIMEN_AAMVA,
  SPECIMEN_MRZ,
} from '../../../device/simulators/index.js';
import {
  createMemoryHidDevice,
  createMemoryTransportPair,
  TransportError,
} from '../../../device/transport/index.js';
import { parseDeviceDocument } from '../../../server/devices/index.js';
import type { DocumentRecord } from '../../../server/documents/index.js';
import { FakeTimers, ascii } from '../helpers.js';
import { BLE_PEN, BOOT_KEYBOARD } from '../hid/descriptors.js';
import { EventLog } from '../pty.js';

type Event = DriverEvent<DocumentRecord>;

const parseDocument = parseDeviceDocument;

function context(
  log: EventLog<Event>,
  settings: DeviceSettings = {},
  timers = new FakeTimers(),
): DriverContext<DocumentRecord> {
  return { settings, timers, emit: log.push, parseDocument };
}

const settle = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 0));

const padEvents = (log: EventLog<Event>) =>
  log.events.flatMap((e) => (e.type === 'pad' ? [e.event] : []));

describe('Wacom STU driver over the simulated STU-540 (in-memory HID)', () => {
  it('sets the pad up and turns pen reports into strokes with the capability resolution', async () => {
    const pad = createWacomStuSimulator();
    const log = new EventLog<Event>();
    const driver = wacomStuDriver.create(pad.connect(), context(log));
    await driver.start();
    expect(pad.inking).toBe(true);
    expect(pad.device?.featureReports.map((r) => [...r])).toEqual([
      [0x20, 0],
      [0x32, 3],
      [0x21, 1],
    ]);
    const signature = generateSyntheticSignature(7);
    await pad.play(signature, { realtime: false });
    const points = signature.strokes.reduce((n, s) => n + s.length, 0);
    await log.waitForCount(
      (e) => e.type === 'pad' && e.event.type === 'strokeEnd',
      signature.strokes.length,
    );
    const events = padEvents(log);
    expect(events.filter((e) => e.type === 'strokeStart')).toHaveLength(signature.strokes.length);
    const samples = events.flatMap((e) => (e.type === 'sample' ? [e] : []));
    expect(samples).toHaveLength(points);
    expect(samples[0]?.resolution).toEqual({
      maxX: 9600,
      maxY: 6000,
      maxPressure: 1023,
      unitsPerInch: 2540,
    });
    // Time comes from the pad's 1 ms time count (0x34 reports), so it follows the signature's.
    const first = signature.strokes[0]!;
    expect(samples[1]!.t - samples[0]!.t).toBe(first[1]!.t - first[0]!.t);
    for (let i = 1; i < samples.length; i++)
      expect(samples[i]!.t).toBeGreaterThanOrEqual(samples[i - 1]!.t);
  });

  it('says once that encrypted pen data is unsupported', async () => {
    const pad = createWacomStuSimulator();
    const log = new EventLog<Event>();
    const driver = wacomStuDriver.create(pad.connect(), context(log));
    await driver.start();
    for (let i = 0; i < 3; i++) pad.device!.sendInputReport(new Uint8Array(21).fill(0x10, 0, 1));
    await settle();
    expect(log.events.filter((e) => e.type === 'notice')).toHaveLength(1);
    expect(padEvents(log)).toEqual([]);
  });

  it('refuses a device without a Wacom capability report', async () => {
    const device = createMemoryHidDevice({});
    const driver = wacomStuDriver.create(device.host, context(new EventLog<Event>()));
    await expect(driver.start()).rejects.toBeInstanceOf(TransportError);
  });

  it('an unplug mid-stroke discards the stroke with its sample count instead of ending it', async () => {
    const pad = createWacomStuSimulator();
    const log = new EventLog<Event>();
    const transport = pad.connect();
    const driver = wacomStuDriver.create(transport, context(log));
    transport.on((e) => {
      if (e.type === 'close') driver.stop('disconnected');
    });
    await driver.start();
    for (let i = 0; i < 5; i++) {
      pad.device!.sendInputReport(
        encodeWacomPenReport({ rdy: true, sw: 1, pressure: 300, x: 100 + i, y: 200 }),
      );
    }
    pad.unplug();
    await log.waitFor((e) => e.type === 'discarded');
    expect(log.events.at(-1)).toEqual({
      type: 'discarded',
      reason: 'disconnected-mid-stroke',
      count: 5,
      unit: 'samples',
    });
    expect(padEvents(log).filter((e) => e.type === 'strokeEnd')).toEqual([]);
  });
});

describe('generic HID digitizer driver', () => {
  it('decodes a pen from the report descriptor the transport reads', async () => {
    const device = createMemoryHidDevice({ descriptor: BLE_PEN });
    const log = new EventLog<Event>();
    const driver = hidDigitizerDriver.create(device.host, context(log));
    await driver.start();
    device.sendInputReport(Uint8Array.of(1, 0b101, 0x10, 0x27, 0x88, 0x13));
    device.sendInputReport(Uint8Array.of(1, 0b100, 0x10, 0x27, 0x88, 0x13));
    await log.waitFor((e) => e.type === 'pad' && e.event.type === 'strokeEnd');
    expect(padEvents(log)).toMatchObject([
      { type: 'strokeStart' },
      { type: 'sample', x: 10000, y: 5000, pressure: 1, resolution: { maxX: 32767, maxY: 32767 } },
      { type: 'strokeEnd' },
    ]);
  });

  it('refuses a device that is not a pen digitizer, or has no descriptor', async () => {
    const keyboard = createMemoryHidDevice({ descriptor: BOOT_KEYBOARD });
    await expect(
      hidDigitizerDriver.create(keyboard.host, context(new EventLog())).start(),
    ).rejects.toThrow(/not a pen digitizer/);
    const bare = createMemoryHidDevice({});
    await expect(
      hidDigitizerDriver.create(bare.host, context(new EventLog())).start(),
    ).rejects.toThrow(/no report descriptor/);
  });
});

describe('HID POS scanner drivers', () => {
  it('Honeywell: switches to HID POS mode, reassembles a PDF417 read and parses the AAMVA document', async () => {
    const device = createMemoryHidDevice({});
    const log = new EventLog<Event>();
    const driver = honeywellHidPosDriver.create(device.host, context(log));
    await driver.start();
    expect([...device.featureReports[0]!]).toEqual([0xfe, 0x01]);
    const reports = encodeHoneywellReports({
      aim: ']L2',
      codeId: 'r',
      bytes: ascii(SPECIMEN_AAMVA),
    });
    expect(reports.length).toBeGreaterThan(3);
    for (const report of reports) device.sendInputReport(report);
    const documentEvent = await log.waitFor((e) => e.type === 'document');
    const read = log.events.find((e) => e.type === 'read');
    expect(read).toMatchObject({ type: 'read', read: { symbology: ']L2' } });
    expect(documentEvent).toMatchObject({
      kind: 'aamva',
      document: { valid: true, surname: 'SPECIMEN' },
    });
  });

  it('Honeywell: an unplug between packets discards the partial read as disconnected-mid-frame', async () => {
    const device = createMemoryHidDevice({});
    const log = new EventLog<Event>();
    const driver = honeywellHidPosDriver.create(device.host, context(log));
    device.host.on((e) => {
      if (e.type === 'close') driver.stop('disconnected');
    });
    await driver.start();
    const reports = encodeHoneywellReports({
      aim: ']L2',
      codeId: 'r',
      bytes: ascii(SPECIMEN_AAMVA),
    });
    device.sendInputReport(reports[0]!);
    device.sendInputReport(reports[1]!);
    device.unplug();
    const discarded = await log.waitFor((e) => e.type === 'discarded');
    expect(discarded).toEqual({
      type: 'discarded',
      reason: 'disconnected-mid-frame',
      count: 112,
      unit: 'bytes',
    });
    expect(log.events.some((e) => e.type === 'read')).toBe(false);
  });

  it('Symbol simple COM: a read ends after the quiet period', async () => {
    const device = createMemoryHidDevice({});
    const log = new EventLog<Event>();
    const timers = new FakeTimers();
    const driver = symbolSimpleComDriver.create(device.host, context(log, {}, timers));
    await driver.start();
    const text = SPECIMEN_MRZ['passport-td3'].join('\r') + '\r';
    for (let at = 0; at < text.length; at += 63) {
      const chunk = ascii(text.slice(at, at + 63));
      device.sendInputReport(Uint8Array.of(chunk.length, ...chunk));
    }
    await settle();
    expect(log.events).toEqual([]);
    timers.advance(100);
    expect(log.events.map((e) => e.type)).toEqual(['read', 'document']);
    expect(log.events[1]).toMatchObject({ document: { valid: true, documentNumber: 'L898902C3' } });
  });
});

function readerOver(settings: DeviceSettings, timers = new FakeTimers()) {
  const [host, device] = createMemoryTransportPair('reader');
  const log = new EventLog<Event>();
  const driver = serialReaderDriver.create(host, context(log, settings, timers));
  return { host, device, log, driver, timers };
}

describe('serial reader driver', () => {
  for (const [framing, settings] of [
    ['stx-etx', { framing: 'stx-etx' }],
    ['cr-lines', { framing: 'suffix', suffix: '0d' }],
    ['rte', { framing: 'rte' }],
  ] as const) {
    it(`${framing}: each specimen gives a raw read and a valid parsed document`, async () => {
      const { device, log, driver } = readerOver(settings);
      await driver.start();
      const simulator = createReaderSimulator({ transport: device, framing, lineGapMs: 0 });
      for (const specimen of ['passport-td3', 'id-card-td1', 'driving-licence-aamva'] as const) {
        const before = log.events.length;
        await simulator.present(specimen);
        const doc = await log.waitFor((e) => e.type === 'document', before);
        expect(doc).toMatchObject({
          kind: specimen === 'driving-licence-aamva' ? 'aamva' : 'mrz',
          document: { valid: true },
        });
      }
      expect(log.events.filter((e) => e.type === 'discarded')).toEqual([]);
    });
  }

  it('inter-byte-timeout framing: a burst is a frame once the line goes quiet', async () => {
    const { device, log, driver, timers } = readerOver({
      framing: 'inter-byte-timeout',
      intervalMs: 50,
    });
    await driver.start();
    await device.write(ascii(SPECIMEN_AAMVA.slice(0, 100)));
    await device.write(ascii(SPECIMEN_AAMVA.slice(100)));
    await settle();
    expect(log.events).toEqual([]);
    timers.advance(50);
    expect(log.events.map((e) => e.type)).toEqual(['read', 'document']);
  });

  it('a stop mid-frame after an unplug discards the partial frame as disconnected-mid-frame', async () => {
    const { device, log, driver } = readerOver({ framing: 'stx-etx' });
    await driver.start();
    const frame = readerFramesFor('passport-td3', 'stx-etx')[0]!;
    await device.write(frame.subarray(0, 40));
    await settle();
    driver.stop('disconnected');
    expect(log.events).toEqual([
      { type: 'discarded', reason: 'disconnected-mid-frame', count: 39, unit: 'bytes' },
    ]);
  });

  it('one MRZ line alone is discarded when the rest does not come in time', async () => {
    const { device, log, driver, timers } = readerOver({
      framing: 'suffix',
      suffix: '0d',
      mrzTimeoutMs: 500,
    });
    await driver.start();
    await device.write(ascii(`${SPECIMEN_MRZ['passport-td3'][0]}\r`));
    await settle();
    expect(log.events.map((e) => e.type)).toEqual(['read']);
    timers.advance(500);
    expect(log.events.at(-1)).toEqual({
      type: 'discarded',
      reason: 'mrz-incomplete',
      count: 1,
      unit: 'lines',
    });
  });

  it('a parser that throws is a notice, not a crash', async () => {
    const [host, device] = createMemoryTransportPair('reader');
    const log = new EventLog<Event>();
    const driver = serialReaderDriver.create(host, {
      settings: {},
      timers: new FakeTimers(),
      emit: log.push,
      parseDocument: () => {
        throw new Error('bug');
      },
    });
    await driver.start();
    await device.write(readerFramesFor('driving-licence-aamva', 'stx-etx')[0]!);
    await log.waitFor((e) => e.type === 'notice');
    expect(log.events.map((e) => e.type)).toEqual(['read', 'notice']);
  });

  it('property: random bytes in random chunks never throw, and reads stay under the frame cap', async () => {
    const framings: DeviceSettings[] = [
      { framing: 'stx-etx', maxFrameBytes: 256 },
      { framing: 'suffix', suffix: '0d0a', prefix: '02', maxFrameBytes: 256 },
      { framing: 'rte', maxFrameBytes: 256 },
      { framing: 'inter-byte-timeout', maxFrameBytes: 256 },
    ];
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...framings),
        fc.array(fc.uint8Array({ maxLength: 400 }), { maxLength: 8 }),
        async (settings, chunks) => {
          const timers = new FakeTimers();
          const events: Event[] = [];
          const [host] = createMemoryTransportPair();
          const driver = serialReaderDriver.create(host, {
            settings,
            timers,
            emit: (e) => events.push(e),
            parseDocument,
          });
          await driver.start();
          for (const chunk of chunks) {
            host.inject({ type: 'data', bytes: chunk });
            timers.advance(30);
          }
          timers.advance(5000);
          driver.stop('disconnected');
          for (const event of events) {
            expect(['read', 'document', 'discarded', 'notice']).toContain(event.type);
            if (event.type === 'read') expect(event.read.bytes.length).toBeLessThanOrEqual(256 + 2);
            if (event.type === 'discarded') expect(event.count).toBeGreaterThanOrEqual(0);
          }
        },
      ),
      { numRuns: 200 },
    );
  });
});
