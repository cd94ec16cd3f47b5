import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import {
  HidDescriptorError,
  HidUsage,
  createHidDigitizerDecoder,
  findDigitizerFields,
  inputValueLocations,
  parseHidReportDescriptor,
  readHidBits,
  readHidValue,
  unitsPerInch,
} from '../../../device/hid/index.js';
import type { HidReportDescriptor } from '../../../device/hid/index.js';
import type { PadEvent } from '../../../device/pads/index.js';

import { BLE_PEN, BOOT_KEYBOARD, BOOT_MOUSE, PEN_AND_MOUSE, WACOM_I2C } from './descriptors.js';

function parsed(bytes: Uint8Array): HidReportDescriptor {
  const result = parseHidReportDescriptor(bytes);
  if (!result.ok) throw result.error;
  return result.descriptor;
}

/** Packs values LSB first at bit offsets, as HID does (two's complement for negatives). */
function packBits(
  lengthBytes: number,
  values: [offset: number, size: number, value: number][],
): Uint8Array {
  const out = new Uint8Array(lengthBytes);
  for (const [offset, size, value] of values) {
    const v = value < 0 ? value + 2 ** size : value;
    for (let bit = 0; bit < size; bit++) {
      if (Math.floor(v / 2 ** bit) % 2) out[(offset + bit) >> 3]! |= 1 << ((offset + bit) & 7);
    }
  }
  return out;
}

describe('HID report descriptor parser on published descriptors', () => {
  it('HID 1.11 boot keyboard: modifiers, reserved byte, LED output, key array', () => {
    const d = parsed(BOOT_KEYBOARD);
    expect(d.usesReportIds).toBe(false);
    expect(d.applications).toEqual([0x00010006]);
    expect(d.fields.map((f) => [f.reportType, f.bitOffset, f.bitSize, f.count, f.flags])).toEqual([
      ['input', 0, 1, 8, 0x02],
      ['input', 8, 8, 1, 0x01],
      ['output', 0, 1, 5, 0x02],
      ['output', 5, 3, 1, 0x01],
      ['input', 16, 8, 6, 0x00],
    ]);
    expect(d.fields[0]!.usages).toEqual(
      [0xe0, 0xe1, 0xe2, 0xe3, 0xe4, 0xe5, 0xe6, 0xe7].map((u) => 0x00070000 | u),
    );
    expect(d.fields[2]!.usages[0]).toBe(0x00080001);
    expect(d.fields[4]!.usages).toHaveLength(0x66);
    expect(d.fields[4]!.logicalMax).toBe(0x65);
  });

  it('HID 1.11 boot mouse: buttons by usage range, signed relative X/Y', () => {
    const d = parsed(BOOT_MOUSE);
    const xy = d.fields.find((f) => f.usages.includes(HidUsage.X))!;
    expect(xy).toMatchObject({
      bitOffset: 8,
      bitSize: 8,
      count: 2,
      logicalMin: -127,
      logicalMax: 127,
      flags: 0x06,
    });
    expect(xy.collections).toEqual([0x00010002, 0x00010001]);
    const report = Uint8Array.of(0x01, 0xff, 0x05);
    const locations = inputValueLocations(d, 0);
    expect(readHidValue(report, locations.get(HidUsage.X)!)).toBe(-1);
    expect(readHidValue(report, locations.get(HidUsage.Y)!)).toBe(5);
    expect(readHidValue(report, locations.get(0x00090001)!)).toBe(1);
    expect(findDigitizerFields(d)).toBeUndefined();
  });

  it('Wacom I2C pen: unaligned fields, units, signed tilt', () => {
    const d = parsed(WACOM_I2C);
    expect(d.usesReportIds).toBe(true);
    const fields = findDigitizerFields(d)!;
    expect(fields).toMatchObject({
      reportId: 2,
      reportBytes: 12,
      tipSwitch: { bitOffset: 0, bitSize: 1 },
      barrelSwitch: { bitOffset: 1 },
      eraser: { bitOffset: 2 },
      inRange: { bitOffset: 5 },
      x: {
        bitOffset: 7,
        bitSize: 16,
        logicalMax: 20320,
        physicalMax: 20320,
        unitExponent: -3,
        unit: 0x11,
      },
      y: { bitOffset: 23, logicalMax: 15240 },
      tipPressure: { bitOffset: 39, bitSize: 16, logicalMax: 4095 },
    });
    expect(unitsPerInch(fields.x)).toBeCloseTo(2540, 6);
    const tilt = inputValueLocations(d, 2).get(HidUsage.XTilt)!;
    expect(tilt).toMatchObject({
      bitOffset: 55,
      logicalMin: -9000,
      logicalMax: 9000,
      physicalMin: -9000,
      unit: 0x14,
    });

    const data = packBits(11, [
      [0, 1, 1],
      [1, 1, 1],
      [5, 1, 1],
      [7, 16, 10000],
      [23, 16, 5000],
      [39, 16, 2000],
      [55, 16, -4500],
      [71, 16, 100],
    ]);
    expect(readHidValue(data, tilt)).toBe(-4500);
    const decoder = createHidDigitizerDecoder({ fields, now: () => 7 });
    const events = decoder.push(Uint8Array.of(2, ...data));
    expect(events).toEqual<PadEvent[]>([
      { type: 'button', button: 1, pressed: true, t: 7 },
      { type: 'strokeStart', t: 7 },
      {
        type: 'sample',
        x: 10000,
        y: 5000,
        pressure: 2000,
        t: 7,
        resolution: { maxX: 20320, maxY: 15240, maxPressure: 4095, unitsPerInch: 2540 },
      },
    ]);
    // Pen lifted but still in range; then another report id is ignored.
    const lifted = packBits(11, [
      [5, 1, 1],
      [7, 16, 10010],
      [23, 16, 5010],
    ]);
    expect(decoder.push(Uint8Array.of(2, ...lifted))).toEqual([
      { type: 'button', button: 1, pressed: false, t: 7 },
      { type: 'strokeEnd', t: 7 },
    ]);
    expect(decoder.push(Uint8Array.of(3, ...data))).toEqual([]);
    expect(decoder.stats).toEqual({ reports: 2, ignored: 1 });
  });

  it('BLE pen and pen+mouse: digitizer report found among others; no pressure means touch only', () => {
    const ble = findDigitizerFields(parsed(BLE_PEN))!;
    expect(ble).toMatchObject({
      reportId: 1,
      reportBytes: 6,
      x: { bitOffset: 8, logicalMax: 32767 },
      y: { bitOffset: 24 },
    });
    expect(ble.tipPressure).toBeUndefined();
    expect(unitsPerInch(ble.x)).toBeNull();
    const decoder = createHidDigitizerDecoder({ fields: ble, now: () => 0 });
    const events = decoder.push(Uint8Array.of(1, 0b101, 0xff, 0x3f, 0x00, 0x20));
    expect(events.at(-1)).toMatchObject({ type: 'sample', x: 0x3fff, y: 0x2000, pressure: 1 });
    expect(decoder.flush()).toEqual([{ type: 'strokeEnd', t: 0 }]);

    const d = parsed(PEN_AND_MOUSE);
    const pen = findDigitizerFields(d)!;
    expect(pen).toMatchObject({
      reportId: 1,
      reportBytes: 8,
      tipPressure: { bitOffset: 40, logicalMax: 4095 },
    });
    expect(d.applications).toEqual([0x000d0002, 0x00010002]);
    expect(inputValueLocations(d, 2).get(0x00010038)).toMatchObject({
      bitOffset: 24,
      logicalMin: -127,
    });
  });
});

describe('HID report descriptor parser rules', () => {
  it('push/pop restore the global state; extended usages keep their page', () => {
    // prettier-ignore
    const descriptor = Uint8Array.of(
      0x05, 0x0d, 0x09, 0x02, 0xa1, 0x01, // digitizer application
      0x75, 0x10, 0x95, 0x01, 0x15, 0x00, 0x26, 0xff, 0x0f, // size 16, 0..4095
      0xa4, // push
      0x75, 0x01, 0x25, 0x01, 0x09, 0x42, 0x09, 0x32, 0x95, 0x02, 0x81, 0x02, // tip, in range: 1 bit
      0x95, 0x06, 0x81, 0x03, // padding
      0xb4, // pop: size 16, count 1, max 4095 again
      0x0b, 0x30, 0x00, 0x01, 0x00, 0x81, 0x02, // extended usage X (page 1) under page 0x0D
      0x09, 0x31, 0x05, 0x01, 0x81, 0x02, // usage page after usage: applies at the main item (as Linux)
      0xc0,
    );
    const d = parsed(descriptor);
    const fields = findDigitizerFields(d)!;
    expect(fields).toMatchObject({ reportId: 0, usesReportIds: false, reportBytes: 5 });
    expect(fields.x).toMatchObject({ bitOffset: 8, bitSize: 16, logicalMax: 4095 });
    expect(fields.y).toMatchObject({ bitOffset: 24, bitSize: 16 });
    expect(fields.inRange).toMatchObject({ bitOffset: 1, bitSize: 1, logicalMax: 1 });
  });

  it('a one-byte logical maximum of FF is 255 unless the minimum is negative', () => {
    const unsigned = parsed(
      Uint8Array.of(0x15, 0x00, 0x25, 0xff, 0x75, 0x08, 0x95, 0x01, 0x09, 0x01, 0x81, 0x02),
    );
    expect(unsigned.fields[0]).toMatchObject({ logicalMin: 0, logicalMax: 255 });
    const signed = parsed(
      Uint8Array.of(0x15, 0x80, 0x25, 0xff, 0x75, 0x08, 0x95, 0x01, 0x09, 0x01, 0x81, 0x02),
    );
    expect(signed.fields[0]).toMatchObject({ logicalMin: -128, logicalMax: -1 });
  });

  it('skips long items', () => {
    const d = parsed(
      Uint8Array.of(0xfe, 0x02, 0x10, 0xaa, 0xbb, 0x75, 0x08, 0x95, 0x01, 0x81, 0x02),
    );
    expect(d.fields).toHaveLength(1);
  });

  it.each([
    ['a truncated item', [0x26, 0xff]],
    ['pop without push', [0xb4]],
    ['end collection without collection', [0xc0]],
    ['an unclosed collection', [0xa1, 0x01]],
    ['report id 0', [0x85, 0x00]],
    [
      'report ids on some reports only',
      [0x75, 0x08, 0x95, 0x01, 0x81, 0x02, 0x85, 0x01, 0x81, 0x02],
    ],
    ['usage minimum without maximum', [0x19, 0x01, 0x75, 0x01, 0x95, 0x01, 0x81, 0x02]],
    ['a huge usage range', [0x1b, 0, 0, 1, 0, 0x2b, 0xff, 0xff, 1, 0, 0x81, 0x02]],
    ['a reserved item type', [0x0c]],
    ['a report longer than 4096 bytes', [0x75, 0xff, 0x96, 0xff, 0x00, 0x81, 0x02]],
  ])('refuses %s with a typed error', (_name, bytes) => {
    const result = parseHidReportDescriptor(Uint8Array.from(bytes));
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.error).toBeInstanceOf(HidDescriptorError);
  });

  it('reads bits LSB first and refuses reads past the end', () => {
    expect(readHidBits(Uint8Array.of(0b1011_0000, 0b0000_0001), 4, 5)).toBe(0b11011);
    expect(readHidBits(Uint8Array.of(0xff), 4, 5)).toBeUndefined();
    expect(readHidBits(Uint8Array.of(0xff, 0xff, 0xff, 0xff, 0xff), 0, 32)).toBe(0xffffffff);
  });
});

describe('HID descriptors: random and mutated bytes', () => {
  const real = [WACOM_I2C, BLE_PEN, PEN_AND_MOUSE, BOOT_KEYBOARD, BOOT_MOUSE];

  it('random bytes: a result or a HidDescriptorError, never another exception', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        const result = parseHidReportDescriptor(bytes);
        if (!result.ok) expect(result.error).toBeInstanceOf(HidDescriptorError);
      }),
      { numRuns: 2000 },
    );
  });

  it('mutated real descriptors: parse or fail typed; a found digitizer decodes random reports', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...real),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 4 }),
        fc.array(fc.uint8Array({ maxLength: 16 }), { maxLength: 8 }),
        (descriptor, mutations, reports) => {
          const bytes = Uint8Array.from(descriptor);
          for (const [at, value] of mutations) bytes[at % bytes.length] = value;
          const result = parseHidReportDescriptor(bytes);
          if (!result.ok) return;
          const fields = findDigitizerFields(result.descriptor);
          if (!fields) return;
          const decoder = createHidDigitizerDecoder({ fields, now: () => 0 });
          for (const report of reports) decoder.push(report);
          decoder.flush();
        },
      ),
      { numRuns: 1000 },
    );
  });
});
