import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { createSymbolSimpleComDecoder } from '../../../device/scanners/index.js';
import type { ScanEvent } from '../../../device/scanners/index.js';
import { FakeTimers, ascii, buildAamva, text } from '../helpers.js';

const AAMVA = buildAamva([
  { type: 'DL', body: 'DLDAQT64235789\nDCSSAMPLE\nDACJOHN\nDBB01011990\r' },
]);

/** Chunks of at most 63 bytes, `[len][bytes]`, in 64-byte reports as hidraw delivers them. */
function chunks(bytes: Uint8Array, size = 63): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let at = 0; at < bytes.length; at += size) {
    const part = bytes.subarray(at, at + size);
    const report = new Uint8Array(64);
    report[0] = part.length;
    report.set(part, 1);
    out.push(report);
  }
  return out;
}

function setup(maxReadBytes?: number) {
  const timers = new FakeTimers();
  const events: ScanEvent[] = [];
  const decoder = createSymbolSimpleComDecoder({
    timers,
    onEvent: (e) => events.push(e),
    ...(maxReadBytes === undefined ? {} : { maxReadBytes }),
  });
  return { timers, events, decoder };
}

describe('Symbol simple COM port emulation', () => {
  it('concatenates chunks until 100 ms of quiet', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 63 }),
        fc.array(fc.integer({ min: 0, max: 99 })),
        (size, gaps) => {
          const { timers, events, decoder } = setup();
          chunks(ascii(AAMVA), size).forEach((report, i) => {
            decoder.push(report);
            timers.advance(gaps[i] ?? 10);
          });
          timers.advance(100);
          expect(events.map((e) => (e.type === 'read' ? text(e.bytes) : e.type))).toEqual([AAMVA]);
        },
      ),
    );
  });

  it('refuses malformed chunks, caps reads, flushes and disposes', () => {
    const { timers, events, decoder } = setup(100);
    decoder.push(Uint8Array.of(64, 1, 2));
    decoder.push(Uint8Array.of(5, 1, 2));
    for (const report of chunks(new Uint8Array(150).fill(0x41))) decoder.push(report);
    timers.advance(100);
    expect(events).toEqual([
      { type: 'discarded', reason: 'malformed', bytes: 3 },
      { type: 'discarded', reason: 'malformed', bytes: 3 },
      { type: 'discarded', reason: 'overflow', bytes: 126 },
    ]);
    events.length = 0;
    for (const report of chunks(ascii('ok'))) decoder.push(report);
    decoder.flush();
    expect(events.map((e) => e.type)).toEqual(['read']);
    for (const report of chunks(ascii('cut'))) decoder.push(report);
    decoder.dispose();
    timers.advance(1000);
    expect(events).toHaveLength(1);
    expect(timers.pendingCount).toBe(0);
  });

  it('random reports: typed events, reads within the cap', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 64 }), { maxLength: 30 }), (reports) => {
        const { timers, events, decoder } = setup(200);
        for (const report of reports) {
          decoder.push(report);
          timers.advance(30);
        }
        decoder.flush();
        for (const event of events) {
          if (event.type === 'read') expect(event.bytes.length).toBeLessThanOrEqual(200);
        }
      }),
    );
  });
});
