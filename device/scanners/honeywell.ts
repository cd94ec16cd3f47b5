import { concatBytes } from './bytes.js';

/**
 * Honeywell HID POS scanners (research §3.3, verified against the REVINF dump): 64-byte input
 * report 0x02 = [id][length ≤ 56][AIM id ×3][payload…][…][Code ID @61][0][more @63].
 */

export const HONEYWELL_REPORT_ID = 0x02;
export const HONEYWELL_REPORT_BYTES = 64;
export const HONEYWELL_MAX_PAYLOAD = 56;

/** Feature report that switches Honeywell scanners into HID POS mode. */
export const HONEYWELL_HID_MODE_FEATURE: Uint8Array = Uint8Array.of(0xfe, 0x01);
/** Output reports: `FD len 16 cmd 0D`. */
export const honeywellCommands = {
  trigger: (): Uint8Array => Uint8Array.of(0xfd, 0x03, 0x16, 0x54, 0x0d),
  beep: (): Uint8Array => Uint8Array.of(0xfd, 0x03, 0x16, 0x07, 0x0d),
};

export interface HoneywellPacket {
  /** AIM symbology identifier, e.g. "]L2" (PDF417), "]Q1" (QR). */
  aim: string;
  /** Honeywell Code ID character, e.g. 'r' PDF417. */
  codeId: string;
  payload: Uint8Array;
  more: boolean;
}

export type HoneywellDecodeResult =
  { ok: true; packet: HoneywellPacket } | { ok: false; reason: 'not-a-scan' | 'malformed' };

/**
 * One input report. `reportIdIncluded`: node-hid delivers the id byte first on hidraw; WebHID
 * strips it and every offset is one smaller.
 */
export function decodeHoneywellReport(
  report: Uint8Array,
  options: { reportIdIncluded?: boolean } = {},
): HoneywellDecodeResult {
  const withId = options.reportIdIncluded ?? true;
  if (withId && report[0] !== HONEYWELL_REPORT_ID) return { ok: false, reason: 'not-a-scan' };
  const base = withId ? 0 : -1;
  if (report.length < HONEYWELL_REPORT_BYTES + base) return { ok: false, reason: 'malformed' };
  const length = report[base + 1] ?? 0;
  if (length > HONEYWELL_MAX_PAYLOAD) return { ok: false, reason: 'malformed' };
  const aim = String.fromCharCode(...report.subarray(base + 2, base + 5));
  const more = report[base + 63];
  if (more !== 0 && more !== 1) return { ok: false, reason: 'malformed' };
  return {
    ok: true,
    packet: {
      aim,
      codeId: String.fromCharCode(report[base + 61] ?? 0),
      payload: report.slice(base + 5, base + 5 + length),
      more: more === 1,
    },
  };
}

export type ScanEvent =
  | { type: 'read'; aim: string; codeId: string; bytes: Uint8Array }
  | { type: 'discarded'; reason: 'malformed' | 'overflow' | 'incomplete'; bytes: number };

export interface ScanReassembler {
  push(report: Uint8Array): ScanEvent[];
  flush(): ScanEvent[];
}

/** Concatenates packet payloads until the one whose more-flag is 0; caps the read size. */
export function createHoneywellReassembler(
  options: { reportIdIncluded?: boolean; maxReadBytes?: number } = {},
): ScanReassembler {
  const max = options.maxReadBytes ?? 8192;
  let parts: Uint8Array[] = [];
  let size = 0;
  let first: HoneywellPacket | undefined;
  let overflowing = false;

  function reset(): void {
    parts = [];
    size = 0;
    first = undefined;
  }

  return {
    push(report) {
      const decoded = decodeHoneywellReport(
        report,
        options.reportIdIncluded === undefined
          ? {}
          : { reportIdIncluded: options.reportIdIncluded },
      );
      if (!decoded.ok) {
        if (decoded.reason === 'not-a-scan') return [];
        const dropped = size;
        reset();
        return [{ type: 'discarded', reason: 'malformed', bytes: dropped + report.length }];
      }
      const { packet } = decoded;
      const out: ScanEvent[] = [];
      if (overflowing) {
        // The rest of an oversized read is dropped up to its last packet.
        if (!packet.more) overflowing = false;
        return out;
      }
      first ??= packet;
      parts.push(packet.payload);
      size += packet.payload.length;
      if (size > max) {
        out.push({ type: 'discarded', reason: 'overflow', bytes: size });
        reset();
        overflowing = packet.more;
        return out;
      }
      if (!packet.more) {
        const bytes = concatBytes(parts, size);
        out.push({ type: 'read', aim: first.aim, codeId: first.codeId, bytes });
        reset();
      }
      return out;
    },
    flush() {
      const out: ScanEvent[] = [];
      if (first) out.push({ type: 'discarded', reason: 'incomplete', bytes: size });
      reset();
      overflowing = false;
      return out;
    },
  };
}

/** Splits a read into 64-byte reports as the scanner sends them (simulators and tests). */
export function encodeHoneywellReports(read: {
  aim: string;
  codeId: string;
  bytes: Uint8Array;
}): Uint8Array[] {
  const reports: Uint8Array[] = [];
  let at = 0;
  do {
    const chunk = read.bytes.subarray(at, at + HONEYWELL_MAX_PAYLOAD);
    at += chunk.length;
    const report = new Uint8Array(HONEYWELL_REPORT_BYTES);
    report[0] = HONEYWELL_REPORT_ID;
    report[1] = chunk.length;
    for (let i = 0; i < 3; i++) report[2 + i] = read.aim.charCodeAt(i) & 0xff;
    report.set(chunk, 5);
    report[61] = read.codeId.charCodeAt(0) & 0xff;
    report[63] = at < read.bytes.length ? 1 : 0;
    reports.push(report);
  } while (at < read.bytes.length);
  return reports;
}
