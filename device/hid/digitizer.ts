import type { PadEvent, PadResolution } from '../pads/index.js';
import { StrokeTracker } from '../pads/index.js';
import { HidUsage, inputValueLocations, readHidValue } from './descriptor.js';
import type { HidReportDescriptor, HidValueLocation } from './descriptor.js';

/** Where a pen's values sit in one input report. */
export interface DigitizerFields {
  reportId: number;
  usesReportIds: boolean;
  x: HidValueLocation;
  y: HidValueLocation;
  tipSwitch?: HidValueLocation;
  inRange?: HidValueLocation;
  tipPressure?: HidValueLocation;
  barrelSwitch?: HidValueLocation;
  eraser?: HidValueLocation;
  /** Report length in bytes, report id included. */
  reportBytes: number;
}

/**
 * Finds the first input report that carries X, Y and a tip switch or in-range bit inside a
 * Digitizers-page collection. Undefined when the device is not a pen/touch digitizer.
 */
export function findDigitizerFields(descriptor: HidReportDescriptor): DigitizerFields | undefined {
  const reportIds = [
    ...new Set(
      descriptor.fields
        .filter(
          (f) =>
            f.reportType === 'input' &&
            f.collections.some((c) => c >>> 16 === HidUsage.DigitizerPage),
        )
        .map((f) => f.reportId),
    ),
  ];
  for (const reportId of reportIds) {
    const values = inputValueLocations(descriptor, reportId);
    const x = values.get(HidUsage.X);
    const y = values.get(HidUsage.Y);
    const tipSwitch = values.get(HidUsage.TipSwitch);
    const inRange = values.get(HidUsage.InRange);
    if (!x || !y || (!tipSwitch && !inRange)) continue;
    let bits = 0;
    for (const f of descriptor.fields) {
      if (f.reportType === 'input' && f.reportId === reportId) {
        bits = Math.max(bits, f.bitOffset + f.bitSize * f.count);
      }
    }
    const fields: DigitizerFields = {
      reportId,
      usesReportIds: descriptor.usesReportIds,
      x,
      y,
      reportBytes: Math.ceil(bits / 8) + (descriptor.usesReportIds ? 1 : 0),
    };
    if (tipSwitch) fields.tipSwitch = tipSwitch;
    if (inRange) fields.inRange = inRange;
    const pressure = values.get(HidUsage.TipPressure);
    if (pressure) fields.tipPressure = pressure;
    const barrel = values.get(HidUsage.BarrelSwitch);
    if (barrel) fields.barrelSwitch = barrel;
    const eraser = values.get(HidUsage.Eraser);
    if (eraser) fields.eraser = eraser;
    return fields;
  }
  return undefined;
}

const UNIT_CENTIMETRE = 0x11;
const UNIT_INCH = 0x13;

/** Logical units per inch from the physical extent and unit (SI cm or English inch), or null. */
export function unitsPerInch(location: HidValueLocation): number | null {
  const logical = location.logicalMax - location.logicalMin;
  const physical = location.physicalMax - location.physicalMin;
  if (logical <= 0 || physical <= 0) return null;
  const length = physical * 10 ** location.unitExponent;
  if (location.unit === UNIT_INCH) return logical / length;
  if (location.unit === UNIT_CENTIMETRE) return logical / (length / 2.54);
  return null;
}

export interface HidDigitizerDecoder {
  push(report: Uint8Array): PadEvent[];
  flush(): PadEvent[];
  readonly stats: Readonly<{ reports: number; ignored: number }>;
}

/** Barrel switch is button 1, eraser button 2 in the emitted button events. */
export function createHidDigitizerDecoder(options: {
  fields: DigitizerFields;
  now: () => number;
}): HidDigitizerDecoder {
  const { fields, now } = options;
  const resolution: PadResolution = {
    maxX: fields.x.logicalMax,
    maxY: fields.y.logicalMax,
    maxPressure: fields.tipPressure ? fields.tipPressure.logicalMax : 1,
    unitsPerInch: unitsPerInch(fields.x),
  };
  const stats = { reports: 0, ignored: 0 };
  const tracker = new StrokeTracker();
  const buttons = new Map<number, boolean>();
  let lastT = 0;

  return {
    stats,
    push(report) {
      const out: PadEvent[] = [];
      let data = report;
      if (fields.usesReportIds) {
        if (report[0] !== fields.reportId) {
          stats.ignored += 1;
          return out;
        }
        data = report.subarray(1);
      }
      const x = readHidValue(data, fields.x);
      const y = readHidValue(data, fields.y);
      if (x === undefined || y === undefined) {
        stats.ignored += 1;
        return out;
      }
      stats.reports += 1;
      const t = now();
      lastT = t;
      const read = (location: HidValueLocation | undefined): number | undefined =>
        location ? readHidValue(data, location) : undefined;
      for (const [button, location] of [
        [1, fields.barrelSwitch],
        [2, fields.eraser],
      ] as const) {
        const value = read(location);
        if (value === undefined) continue;
        const pressed = value !== 0;
        if ((buttons.get(button) ?? false) !== pressed) {
          buttons.set(button, pressed);
          out.push({ type: 'button', button, pressed, t });
        }
      }
      const pressure = read(fields.tipPressure);
      const tip = read(fields.tipSwitch);
      const inRange = read(fields.inRange);
      const contact =
        (tip !== undefined ? tip !== 0 : (pressure ?? 0) > 0) &&
        (inRange === undefined || inRange !== 0);
      const p = pressure ?? (contact ? 1 : 0);
      tracker.update(contact, { x, y, pressure: p, t }, resolution, out);
      return out;
    },
    flush() {
      const out: PadEvent[] = [];
      tracker.lift(lastT, out);
      return out;
    },
  };
}
