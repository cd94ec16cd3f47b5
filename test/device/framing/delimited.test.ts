import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import {
  aamvaDeclaredLength,
  createDelimitedFramer,
  createStxEtxFramer,
} from '../../../device/framing/index.js';
import type { FrameEvent, Framer } from '../../../device/framing/index.js';
import { ascii, buildAamva, concat, cutPoints, splitAt, text } from '../helpers.js';

/** The AAMVA example of research §3.2 (benhovinga/aamva_barcode_library), completed to its lengths. */
const DL_BODY = `DLDAQT64235789\nDCSSAMPLE\nDACJOHN\nDBB01011990\nDBA01012030\nDAG123 MAIN ST\nDAIANYTOWN\nDAJVA\nDAK123450000  \nDCFDOC123\nDCGUSA\nDBC1\nDAYBRO\nDAU070 in\r`;
const AAMVA = buildAamva([
  { type: 'DL', body: DL_BODY },
  { type: 'ZV', body: 'ZVZVA01\r' },
]);
const MRZ_TD3 =
  'P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<\rL898902C36UTO7408122F1204159ZE184226B<<<<<10\r';

function feed(framer: Framer, chunks: Uint8Array[]): FrameEvent[] {
  return [...chunks.flatMap((c) => framer.push(c)), ...framer.flush()];
}

const frames = (events: FrameEvent[]): string[] =>
  events.flatMap((e) => (e.type === 'frame' ? [text(e.bytes)] : []));

describe('AAMVA header length', () => {
  it('reads the subfile directory of the research example', () => {
    const example = ascii('@\n\x1e\rANSI 636000100102DL00410278ZV03190008DL');
    expect(aamvaDeclaredLength(example)).toEqual({ status: 'known', length: 327 });
    expect(aamvaDeclaredLength(ascii(AAMVA))).toEqual({ status: 'known', length: AAMVA.length });
    expect(aamvaDeclaredLength(ascii('@\n\x1e'))).toEqual({ status: 'need-more' });
    expect(aamvaDeclaredLength(ascii('@\r'))).toEqual({ status: 'not-aamva' });
    expect(aamvaDeclaredLength(ascii('@\n\x1e\rANSI 6360001001XXDL'))).toEqual({
      status: 'not-aamva',
    });
  });
});

describe('STX/ETX framing', () => {
  const wire = concat(
    ascii('noise'),
    Uint8Array.of(0x02),
    ascii(AAMVA),
    Uint8Array.of(0x03, 0x02),
    ascii(MRZ_TD3),
    Uint8Array.of(0x03),
  );

  it('keeps an AAMVA payload with CR, LF and RS whole, across any chunking', () => {
    fc.assert(
      fc.property(cutPoints, (cuts) => {
        const events = feed(createStxEtxFramer(), splitAt(wire, cuts));
        expect(frames(events)).toEqual([AAMVA, MRZ_TD3]);
        expect(events).toContainEqual({ type: 'discarded', reason: 'noise', bytes: 5 });
      }),
    );
  });

  it('an STX inside a frame means the ETX was lost: the partial frame is reported, the next kept', () => {
    const framer = createStxEtxFramer();
    const events = feed(framer, [ascii('\x02lost\x02kept\x03')]);
    expect(events).toEqual([
      { type: 'discarded', reason: 'incomplete', bytes: 4 },
      { type: 'frame', bytes: ascii('kept') },
    ]);
  });

  it('reports a cut-off frame at flush and an oversized frame as overflow', () => {
    const framer = createStxEtxFramer({ maxFrameBytes: 8 });
    expect(framer.push(ascii('\x02abc'))).toEqual([]);
    expect(framer.flush()).toEqual([{ type: 'discarded', reason: 'incomplete', bytes: 3 }]);
    const events = feed(framer, [ascii('\x02abcdefghijklmnop\x03\x02ok\x03')]);
    expect(events[0]).toMatchObject({ type: 'overflow' });
    // The overflowed frame's tail before the next STX is noise; the next frame is intact.
    expect(frames(events)).toEqual(['ok']);
  });
});

describe('prefix/suffix framing', () => {
  it('splits on a CR suffix but never inside an AAMVA payload', () => {
    const wire = ascii(`${MRZ_TD3}${AAMVA}\r123456789012\r`);
    fc.assert(
      fc.property(cutPoints, (cuts) => {
        const events = feed(createDelimitedFramer({ suffix: ascii('\r') }), splitAt(wire, cuts));
        expect(frames(events)).toEqual([
          'P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<',
          'L898902C36UTO7408122F1204159ZE184226B<<<<<10',
          AAMVA,
          '123456789012',
        ]);
      }),
    );
  });

  it('without AAMVA awareness a CR suffix does split the payload (why the option exists)', () => {
    const events = feed(createDelimitedFramer({ suffix: ascii('\r'), aamvaAware: false }), [
      ascii(`${AAMVA}\r`),
    ]);
    expect(frames(events).length).toBeGreaterThan(1);
  });

  it('handles a multi-byte prefix and suffix split anywhere', () => {
    const wire = ascii('xx[[one]]zz[[two]]yy[[');
    fc.assert(
      fc.property(cutPoints, (cuts) => {
        const framer = createDelimitedFramer({ prefix: ascii('[['), suffix: ascii(']]') });
        const events = feed(framer, splitAt(wire, cuts));
        expect(frames(events)).toEqual(['one', 'two']);
        const noise = events.filter((e) => e.type === 'discarded' && e.reason === 'noise');
        expect(noise.reduce((n, e) => n + (e.type === 'discarded' ? e.bytes : 0), 0)).toBe(6);
      }),
    );
  });

  it('drops empty frames (CR LF with a LF suffix) and recovers after an overflow', () => {
    const framer = createDelimitedFramer({ suffix: ascii('\n'), maxFrameBytes: 4 });
    const events = feed(framer, [ascii('ab\r\n\ntoolongline\nok\n')]);
    expect(frames(events)).toEqual(['ab\r', 'ok']);
    expect(events).toContainEqual({ type: 'overflow', dropped: 6 });
  });

  it('rejects a missing suffix as a programming error', () => {
    expect(() => createDelimitedFramer({ suffix: new Uint8Array(0) })).toThrow(RangeError);
  });
});

describe('framers on random bytes', () => {
  const configs: [string, () => Framer][] = [
    ['stx/etx', () => createStxEtxFramer({ maxFrameBytes: 64 })],
    ['cr', () => createDelimitedFramer({ suffix: ascii('\r'), maxFrameBytes: 64 })],
    [
      'prefix',
      () =>
        createDelimitedFramer({ prefix: ascii('@\n'), suffix: ascii('\r\n'), maxFrameBytes: 64 }),
    ],
  ];
  for (const [name, make] of configs) {
    it(`${name}: only typed events, frames within the cap, bytes accounted for`, () => {
      fc.assert(
        fc.property(
          fc.uint8Array({ maxLength: 600 }),
          fc.constantFrom(0x02, 0x03, 0x0d, 0x0a, 0x40, 0x1e),
          cutPoints,
          (random, hot, cuts) => {
            // Salt with delimiter bytes so frames actually happen.
            const salted = random.map((b, i) => (i % 7 === 0 ? hot : b));
            const events = feed(make(), splitAt(salted, cuts));
            for (const event of events) {
              expect(['frame', 'overflow', 'discarded']).toContain(event.type);
              if (event.type === 'frame') expect(event.bytes.length).toBeLessThanOrEqual(66);
            }
          },
        ),
      );
    });
  }
});
