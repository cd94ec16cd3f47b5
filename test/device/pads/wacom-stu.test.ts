import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import {
  WACOM_STU_MODELS,
  createWacomStuDecoder,
  decodeWacomCapability,
  decodeWacomPenReport,
  encodeWacomPenReport,
  wacomStuCommands,
} from '../../../device/pads/index.js';
import type { PadEvent, WacomCapability } from '../../../device/pads/index.js';

// Capability 0x09 of an STU-540-like pad: 10800 x 6480, 1023 levels, 800 x 480, 200 Hz, 2540 lpi.
const CAPABILITY_REPORT = Uint8Array.of(
  0x09,
  0x2a,
  0x30,
  0x19,
  0x50,
  0x03,
  0xff,
  0x03,
  0x20,
  0x01,
  0xe0,
  0xc8,
  0x09,
  0xec,
  0x1f,
  0x00,
  0x00,
);
const capability: WacomCapability = {
  tabletMaxX: 10800,
  tabletMaxY: 6480,
  tabletMaxPressure: 1023,
  screenWidth: 800,
  screenHeight: 480,
  maxReportRate: 200,
  resolution: 2540,
  encodingFlag: 0x1f,
};
const resolution = { maxX: 10800, maxY: 6480, maxPressure: 1023, unitsPerInch: 2540 };

describe('Wacom STU reports', () => {
  it('decodes the capability feature report', () => {
    expect(decodeWacomCapability(CAPABILITY_REPORT)).toEqual(capability);
    expect(decodeWacomCapability(CAPABILITY_REPORT.subarray(0, 16))).toBeUndefined();
    expect(
      decodeWacomCapability(Uint8Array.of(0x08, ...CAPABILITY_REPORT.subarray(1))),
    ).toBeUndefined();
  });

  it('decodes the research pen-data vector 01 91 23 12 34 0A BC with the SDK bit layout', () => {
    expect(decodeWacomPenReport(Uint8Array.of(0x01, 0x91, 0x23, 0x12, 0x34, 0x0a, 0xbc))).toEqual({
      kind: 'pen',
      reportId: 1,
      rdy: true,
      sw: 1,
      pressure: 291,
      x: 4660,
      y: 2748,
    });
  });

  it('decodes option and time-count reports; reports encrypted ones as such', () => {
    expect(
      decodeWacomPenReport(Uint8Array.of(0x30, 0x91, 0x23, 0x12, 0x34, 0x0a, 0xbc, 0x00, 0x07)),
    ).toMatchObject({
      option: 7,
    });
    expect(
      decodeWacomPenReport(Uint8Array.of(0x34, 0x80, 0x00, 0, 1, 0, 2, 0xff, 0xfe, 0x01, 0x00)),
    ).toMatchObject({ rdy: true, sw: 0, timeCount: 0xfffe, sequence: 256 });
    for (const id of [0x10, 0x31, 0x33]) {
      expect(decodeWacomPenReport(new Uint8Array(17).fill(id, 0, 1))).toEqual({
        kind: 'encrypted',
        reportId: id,
      });
    }
    expect(decodeWacomPenReport(Uint8Array.of(0x01, 0x80))).toEqual({
      kind: 'malformed',
      reportId: 1,
    });
    expect(decodeWacomPenReport(new Uint8Array(0))).toEqual({
      kind: 'malformed',
      reportId: undefined,
    });
    expect(decodeWacomPenReport(Uint8Array.of(0x50, 1))).toEqual({ kind: 'other', reportId: 0x50 });
  });

  it('builds the set-up feature reports and knows the STU product ids', () => {
    expect([...wacomStuCommands.clearScreen()]).toEqual([0x20, 0]);
    expect([...wacomStuCommands.inkingMode(true)]).toEqual([0x21, 1]);
    expect([...wacomStuCommands.penDataOptionMode(3)]).toEqual([0x32, 3]);
    expect(WACOM_STU_MODELS.find((m) => m.productId === 0x00a8)?.model).toBe('STU-540');
  });
});

describe('Wacom STU decoder', () => {
  it('turns pen reports into strokes, with time from the pad across the 16-bit wrap', () => {
    const decoder = createWacomStuDecoder({ capability, now: () => 1000 });
    const reports = [
      { rdy: true, sw: 0, pressure: 0, x: 10, y: 10, timeCount: 0xfffd, sequence: 1 },
      { rdy: true, sw: 1, pressure: 300, x: 20, y: 30, timeCount: 0xfffe, sequence: 2 },
      { rdy: true, sw: 1, pressure: 310, x: 25, y: 35, timeCount: 0x0003, sequence: 3 },
      { rdy: true, sw: 0, pressure: 0, x: 25, y: 35, timeCount: 0x0008, sequence: 6 },
    ].map(encodeWacomPenReport);
    const events = reports.flatMap((r) => decoder.push(r));
    expect(events).toEqual<PadEvent[]>([
      { type: 'strokeStart', t: 1001 },
      { type: 'sample', x: 20, y: 30, pressure: 300, t: 1001, resolution },
      { type: 'sample', x: 25, y: 35, pressure: 310, t: 1006, resolution },
      { type: 'strokeEnd', t: 1011 },
    ]);
    expect(decoder.stats).toEqual({
      penReports: 4,
      encryptedReports: 0,
      malformedReports: 0,
      lostReports: 2,
    });
  });

  it('uses the host clock for plain pen data, ends a stroke at flush, counts encrypted reports', () => {
    let clock = 0;
    const decoder = createWacomStuDecoder({ capability, now: () => (clock += 5) });
    decoder.push(encodeWacomPenReport({ rdy: true, sw: 1, pressure: 5, x: 1, y: 2 }));
    decoder.push(new Uint8Array(17).fill(0x10, 0, 1));
    expect(decoder.flush()).toEqual([{ type: 'strokeEnd', t: 5 }]);
    expect(decoder.stats.encryptedReports).toBe(1);
  });

  it('random reports: no exceptions, balanced strokes', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.oneof(
            fc.uint8Array({ maxLength: 20 }),
            fc.uint8Array({ minLength: 7, maxLength: 11 }).map((r) => {
              r[0] = 0x01;
              return r;
            }),
          ),
        ),
        (reports) => {
          const decoder = createWacomStuDecoder({ capability, now: () => 0 });
          const events = [...reports.flatMap((r) => decoder.push(r)), ...decoder.flush()];
          const starts = events.filter((e) => e.type === 'strokeStart').length;
          expect(events.filter((e) => e.type === 'strokeEnd').length).toBe(starts);
        },
      ),
    );
  });
});
