import { StrokeTracker } from './events.js';
import type { PadEvent, PadResolution } from './events.js';

export const WACOM_VENDOR_ID = 0x056a;

/** Wacom STU product ids (SDK ProductId) and screen sizes (InkPlatform), research §1.2. */
export const WACOM_STU_MODELS: readonly {
  model: string;
  productId: number;
  screen?: { width: number; height: number };
}[] = [
  { model: 'STU-500', productId: 0x00a1, screen: { width: 640, height: 480 } },
  { model: 'STU-300', productId: 0x00a2 },
  { model: 'STU-520A', productId: 0x00a3 },
  { model: 'STU-430', productId: 0x00a4, screen: { width: 320, height: 200 } },
  { model: 'STU-530', productId: 0x00a5, screen: { width: 800, height: 480 } },
  { model: 'STU-430V', productId: 0x00a6, screen: { width: 320, height: 200 } },
  { model: 'STU-540', productId: 0x00a8, screen: { width: 800, height: 480 } },
  { model: 'STU-541', productId: 0x00a9, screen: { width: 800, height: 480 } },
];

/** Report ids used here (SDK ReportId enum, research §1.3). */
export const WacomStuReport = {
  PenData: 0x01,
  Status: 0x03,
  Information: 0x08,
  Capability: 0x09,
  PenDataEncrypted: 0x10,
  ClearScreen: 0x20,
  InkingMode: 0x21,
  PenDataOption: 0x30,
  PenDataEncryptedOption: 0x31,
  PenDataOptionMode: 0x32,
  PenDataTimeCountSequenceEncrypted: 0x33,
  PenDataTimeCountSequence: 0x34,
} as const;

export interface WacomCapability {
  tabletMaxX: number;
  tabletMaxY: number;
  tabletMaxPressure: number;
  screenWidth: number;
  screenHeight: number;
  maxReportRate: number;
  /** Tablet units per inch. */
  resolution: number;
  encodingFlag: number;
}

/** Feature report sizes including the report-id byte (for getFeatureReport). */
export const WACOM_CAPABILITY_REPORT_LENGTH = 17;

const be16 = (bytes: Uint8Array, at: number): number =>
  ((bytes[at] ?? 0) << 8) | (bytes[at + 1] ?? 0);

/** Capability feature report 0x09 (17 bytes with the id), or undefined when it is not one. */
export function decodeWacomCapability(report: Uint8Array): WacomCapability | undefined {
  if (report.length < WACOM_CAPABILITY_REPORT_LENGTH || report[0] !== WacomStuReport.Capability) {
    return undefined;
  }
  return {
    tabletMaxX: be16(report, 1),
    tabletMaxY: be16(report, 3),
    tabletMaxPressure: be16(report, 5),
    screenWidth: be16(report, 7),
    screenHeight: be16(report, 9),
    maxReportRate: report[11] ?? 0,
    resolution: be16(report, 12),
    encodingFlag: report[14] ?? 0,
  };
}

export type WacomPenReport =
  | {
      kind: 'pen';
      reportId: number;
      /** In proximity. */
      rdy: boolean;
      /** Switch state: 0 = not touching. */
      sw: number;
      pressure: number;
      x: number;
      y: number;
      option?: number;
      timeCount?: number;
      sequence?: number;
    }
  /** Encrypted pen data: decryption is out of scope; the driver reports the pad as unsupported. */
  | { kind: 'encrypted'; reportId: number }
  | { kind: 'other'; reportId: number }
  | { kind: 'malformed'; reportId: number | undefined };

const PEN_REPORT_LENGTH: ReadonlyMap<number, number> = new Map([
  [WacomStuReport.PenData, 7],
  [WacomStuReport.PenDataOption, 9],
  [WacomStuReport.PenDataTimeCountSequence, 11],
]);

const ENCRYPTED_REPORTS: ReadonlySet<number> = new Set([
  WacomStuReport.PenDataEncrypted,
  WacomStuReport.PenDataEncryptedOption,
  WacomStuReport.PenDataTimeCountSequenceEncrypted,
]);

/**
 * Decodes an input report as node-hid delivers it (report id first). Layout per the SDK's
 * decodeReport_unsafe: b0 bit 7 rdy, bits 6..4 sw, bits 3..0 pressure[11:8] — not the bit 0/1
 * layout of the community WebHID drivers (research §1.6).
 */
export function decodeWacomPenReport(report: Uint8Array): WacomPenReport {
  const reportId = report[0];
  if (reportId === undefined) return { kind: 'malformed', reportId };
  if (ENCRYPTED_REPORTS.has(reportId)) return { kind: 'encrypted', reportId };
  const length = PEN_REPORT_LENGTH.get(reportId);
  if (length === undefined) return { kind: 'other', reportId };
  if (report.length < length) return { kind: 'malformed', reportId };
  const b0 = report[1] ?? 0;
  const pen: WacomPenReport = {
    kind: 'pen',
    reportId,
    rdy: (b0 & 0x80) !== 0,
    sw: (b0 >> 4) & 0x07,
    pressure: ((b0 & 0x0f) << 8) | (report[2] ?? 0),
    x: be16(report, 3),
    y: be16(report, 5),
  };
  if (reportId === WacomStuReport.PenDataOption) pen.option = be16(report, 7);
  if (reportId === WacomStuReport.PenDataTimeCountSequence) {
    pen.timeCount = be16(report, 7);
    pen.sequence = be16(report, 9);
  }
  return pen;
}

export interface WacomStuDecoderStats {
  penReports: number;
  encryptedReports: number;
  malformedReports: number;
  /** Sequence numbers skipped (reports lost between pad and host). */
  lostReports: number;
}

export interface WacomStuDecoder {
  push(report: Uint8Array): PadEvent[];
  flush(): PadEvent[];
  readonly stats: Readonly<WacomStuDecoderStats>;
}

/**
 * STU pen reports in, pad events out. Time comes from the pad's 1 ms timeCount (0x34, unwrapped
 * across its 16-bit wrap) when present, otherwise from `now()` on arrival.
 */
export function createWacomStuDecoder(options: {
  capability: WacomCapability;
  now: () => number;
}): WacomStuDecoder {
  const { capability, now } = options;
  const resolution: PadResolution = {
    maxX: capability.tabletMaxX,
    maxY: capability.tabletMaxY,
    maxPressure: capability.tabletMaxPressure,
    unitsPerInch: capability.resolution > 0 ? capability.resolution : null,
  };
  const stats: WacomStuDecoderStats = {
    penReports: 0,
    encryptedReports: 0,
    malformedReports: 0,
    lostReports: 0,
  };
  const tracker = new StrokeTracker();
  let clockBase: { t: number; ticks: number } | undefined;
  let lastTimeCount: number | undefined;
  let ticks = 0;
  let lastSequence: number | undefined;
  let lastT = 0;

  function timeOf(pen: Extract<WacomPenReport, { kind: 'pen' }>): number {
    if (pen.timeCount === undefined) return now();
    if (lastTimeCount !== undefined) ticks += (pen.timeCount - lastTimeCount + 0x10000) % 0x10000;
    lastTimeCount = pen.timeCount;
    clockBase ??= { t: now(), ticks };
    return clockBase.t + (ticks - clockBase.ticks);
  }

  return {
    stats,
    push(report) {
      const out: PadEvent[] = [];
      const pen = decodeWacomPenReport(report);
      if (pen.kind === 'encrypted') stats.encryptedReports += 1;
      if (pen.kind === 'malformed') stats.malformedReports += 1;
      if (pen.kind !== 'pen') return out;
      stats.penReports += 1;
      if (pen.sequence !== undefined) {
        if (lastSequence !== undefined) {
          stats.lostReports += (pen.sequence - lastSequence - 1 + 0x10000) % 0x10000;
        }
        lastSequence = pen.sequence;
      }
      const t = timeOf(pen);
      lastT = t;
      const contact = pen.rdy && pen.sw !== 0;
      tracker.update(contact, { x: pen.x, y: pen.y, pressure: pen.pressure, t }, resolution, out);
      return out;
    },
    flush() {
      const out: PadEvent[] = [];
      tracker.lift(lastT, out);
      return out;
    },
  };
}

/** Feature reports that set the pad up (buffers include the report id, research §1.4). */
export const wacomStuCommands = {
  clearScreen: (): Uint8Array => Uint8Array.of(WacomStuReport.ClearScreen, 0),
  inkingMode: (on: boolean): Uint8Array => Uint8Array.of(WacomStuReport.InkingMode, on ? 1 : 0),
  /** 3 = TimeCountSequence (430/530/540): pen reports become 0x34 with a 1 ms time count. */
  penDataOptionMode: (mode: 0 | 1 | 2 | 3): Uint8Array =>
    Uint8Array.of(WacomStuReport.PenDataOptionMode, mode),
};

/** Encodes a pen report (simulators and tests). */
export function encodeWacomPenReport(pen: {
  rdy: boolean;
  sw: number;
  pressure: number;
  x: number;
  y: number;
  timeCount?: number;
  sequence?: number;
}): Uint8Array {
  const timed = pen.timeCount !== undefined;
  const report = new Uint8Array(timed ? 11 : 7);
  report[0] = timed ? WacomStuReport.PenDataTimeCountSequence : WacomStuReport.PenData;
  report[1] = (pen.rdy ? 0x80 : 0) | ((pen.sw & 0x07) << 4) | ((pen.pressure >> 8) & 0x0f);
  report[2] = pen.pressure & 0xff;
  report[3] = (pen.x >> 8) & 0xff;
  report[4] = pen.x & 0xff;
  report[5] = (pen.y >> 8) & 0xff;
  report[6] = pen.y & 0xff;
  if (timed) {
    const tc = pen.timeCount ?? 0;
    const seq = pen.sequence ?? 0;
    report.set([(tc >> 8) & 0xff, tc & 0xff, (seq >> 8) & 0xff, seq & 0xff], 7);
  }
  return report;
}
