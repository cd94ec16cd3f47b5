import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import {
  HONEYWELL_HID_MODE_FEATURE,
  createHoneywellReassembler,
  decodeHoneywellReport,
  encodeHoneywellReports,
  honeywellCommands,
} from '../../../device/scanners/index.js';
import type { ScanEvent } from '../../../device/scanners/index.js';
import { ascii, buildAamva, text } from '../helpers.js';

/** A menu response in the layout of research §3.3 (AIM "]Z6", ACK before the closing "."). */
function revinfReport(): Uint8Array {
  const report = new Uint8Array(64);
  const payload = ascii('REVINF\x06.');
  report.set([0x02, payload.length, ...ascii(']Z6'), ...payload]);
  report[61] = 0x36;
  return report;
}

const AAMVA = buildAamva([
  {
    type: 'DL',
    body: 'DLDAQT64235789\nDCSSAMPLE\nDACJOHN\nDBB01011990\nDBA01012030\nDAG123 MAIN ST\nDAIANYTOWN\nDAJVA\r',
  },
]);

describe('Honeywell HID POS reports', () => {
  it('decodes a single 64-byte report', () => {
    expect(decodeHoneywellReport(revinfReport())).toEqual({
      ok: true,
      packet: { aim: ']Z6', codeId: '6', payload: ascii('REVINF\x06.'), more: false },
    });
    // WebHID strips the report id: every offset is one smaller.
    expect(
      decodeHoneywellReport(revinfReport().subarray(1), { reportIdIncluded: false }),
    ).toMatchObject({
      ok: true,
      packet: { aim: ']Z6' },
    });
  });

  it('refuses other reports and malformed ones', () => {
    expect(decodeHoneywellReport(Uint8Array.of(0x01, 5))).toEqual({
      ok: false,
      reason: 'not-a-scan',
    });
    expect(decodeHoneywellReport(revinfReport().subarray(0, 40))).toEqual({
      ok: false,
      reason: 'malformed',
    });
    const tooLong = revinfReport();
    tooLong[1] = 57;
    expect(decodeHoneywellReport(tooLong)).toEqual({ ok: false, reason: 'malformed' });
    const badFlag = revinfReport();
    badFlag[63] = 7;
    expect(decodeHoneywellReport(badFlag)).toEqual({ ok: false, reason: 'malformed' });
  });

  it('reassembles a multi-packet PDF417 AAMVA read, CR/LF/RS intact', () => {
    const reports = encodeHoneywellReports({ aim: ']L2', codeId: 'r', bytes: ascii(AAMVA) });
    expect(reports.length).toBeGreaterThan(2);
    expect(reports.map((r) => r[63])).toEqual([...reports.slice(1).map(() => 1), 0]);
    const reassembler = createHoneywellReassembler();
    const events = reports.flatMap((r) => reassembler.push(r));
    expect(events).toHaveLength(1);
    const [read] = events;
    expect(read).toMatchObject({ type: 'read', aim: ']L2', codeId: 'r' });
    if (read?.type === 'read') expect(text(read.bytes)).toBe(AAMVA);
  });

  it('caps the read size, drops the rest of an oversized read, reports a cut-off read at flush', () => {
    const reassembler = createHoneywellReassembler({ maxReadBytes: 100 });
    const big = encodeHoneywellReports({
      aim: ']L2',
      codeId: 'r',
      bytes: new Uint8Array(300).fill(0x41),
    });
    const small = encodeHoneywellReports({ aim: ']Q1', codeId: 's', bytes: ascii('hello') });
    const events = [...big, ...small].flatMap((r) => reassembler.push(r));
    expect(events.map((e) => e.type)).toEqual(['discarded', 'read']);
    expect(events[0]).toEqual({ type: 'discarded', reason: 'overflow', bytes: 112 });
    reassembler.push(big[0]!);
    expect(reassembler.flush()).toEqual([{ type: 'discarded', reason: 'incomplete', bytes: 56 }]);
  });

  it('host commands and the HID-mode feature report', () => {
    expect([...HONEYWELL_HID_MODE_FEATURE]).toEqual([0xfe, 0x01]);
    expect([...honeywellCommands.trigger()]).toEqual([0xfd, 0x03, 0x16, 0x54, 0x0d]);
    expect([...honeywellCommands.beep()]).toEqual([0xfd, 0x03, 0x16, 0x07, 0x0d]);
  });

  it('random reports: typed events only, reads within the cap', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.oneof(
            fc.uint8Array({ maxLength: 70 }),
            fc.uint8Array({ minLength: 64, maxLength: 64 }).map((r) => {
              r[0] = 2;
              r[1] = (r[1] ?? 0) % 60;
              r[63] = (r[63] ?? 0) % 2;
              return r;
            }),
          ),
          { maxLength: 30 },
        ),
        (reports) => {
          const reassembler = createHoneywellReassembler({ maxReadBytes: 200 });
          const events: ScanEvent[] = [
            ...reports.flatMap((r) => reassembler.push(r)),
            ...reassembler.flush(),
          ];
          for (const event of events) {
            if (event.type === 'read') expect(event.bytes.length).toBeLessThanOrEqual(200);
          }
        },
      ),
    );
  });
});
