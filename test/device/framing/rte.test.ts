import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import {
  createRteFramer,
  decodeRteOpticalData,
  encodeRteBlock,
  rteBlockCheck,
} from '../../../device/framing/index.js';
import type { FrameEvent } from '../../../device/framing/index.js';
import { ascii, concat, cutPoints, splitAt } from '../helpers.js';

// ICAO 9303 specimen TD1 (Utopia), padded with '_' to 30 as the RTE6701 sends it.
const TD1 = [
  'I<UTOD231458907<<<<<<<<<<<<<<<',
  '7408122F1204159UTO<<<<<<<<<<<6',
  'ERIKSSON<<ANNA<MARIA<<<<<<<<<<',
];
const td1Text = ascii(`0${TD1.join('\r')}\r`);
// A two-line read: the missing top line still sends its CR; short lines are '_'-padded.
const td3Text = ascii(
  '0\rP<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<\rL898902C36UTO7408122F1204159ZE184226B<<<<<10\r',
);

function feed(chunks: Uint8Array[]): FrameEvent[] {
  const framer = createRteFramer();
  return [...chunks.flatMap((c) => framer.push(c)), ...framer.flush()];
}

describe('3M RTE block framing', () => {
  it('builds the documented block layout', () => {
    const block = encodeRteBlock(ascii('0AB\r'));
    expect([...block.subarray(0, 6)]).toEqual([0x01, 10, 0, 0x4f, 0x55, 0x02]);
    expect(block[block.length - 2]).toBe(0x03);
    expect(block[block.length - 1]).toBe(rteBlockCheck(block.subarray(1, block.length - 1)));
  });

  it('frames blocks between noise across any chunking', () => {
    const wire = concat(
      ascii('\r\n'),
      encodeRteBlock(td1Text),
      ascii('x'),
      encodeRteBlock(td3Text),
    );
    fc.assert(
      fc.property(cutPoints, (cuts) => {
        const events = feed(splitAt(wire, cuts));
        const frames = events.flatMap((e) => (e.type === 'frame' ? [e.bytes] : []));
        expect(frames.map((f) => decodeRteOpticalData(f)?.lines)).toEqual([
          TD1,
          [
            '',
            'P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<',
            'L898902C36UTO7408122F1204159ZE184226B<<<<<10',
          ],
        ]);
        expect(
          events
            .filter((e) => e.type === 'discarded')
            .map((e) => e.type === 'discarded' && e.reason),
        ).toEqual(['noise', 'noise']);
      }),
    );
  });

  it('strips underscore padding', () => {
    expect(decodeRteOpticalData(ascii('1ABC___\r\r'))).toEqual({ flag: 0x31, lines: ['ABC', ''] });
    expect(decodeRteOpticalData(new Uint8Array(0))).toBeUndefined();
  });

  it('rejects a wrong BCC, a bad header, and a cut-off block', () => {
    const bad = encodeRteBlock(td1Text);
    bad[bad.length - 1] = (bad[bad.length - 1] ?? 0) ^ 0xff;
    expect(feed([bad])).toEqual([{ type: 'discarded', reason: 'bad-checksum', bytes: bad.length }]);
    const wrongType = encodeRteBlock(td1Text);
    wrongType[4] = 0x58; // 'OX'
    expect(feed([wrongType])[0]).toMatchObject({ type: 'discarded', reason: 'malformed' });
    const good = encodeRteBlock(td1Text);
    expect(feed([good.subarray(0, 20)])).toEqual([
      { type: 'discarded', reason: 'incomplete', bytes: 20 },
    ]);
  });

  it('a block right after a broken header is still found', () => {
    const events = feed([
      concat(Uint8Array.of(0x01, 5, 0, 0x4f, 0x01), encodeRteBlock(td1Text).subarray(1)),
    ]);
    expect(events.map((e) => e.type)).toEqual(['discarded', 'frame']);
  });

  it('random bytes: typed events only, frames within the cap', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 500 }), cutPoints, (random, cuts) => {
        const salted = random.map((b, i) =>
          i % 9 === 0 ? ([1, 2, 3, 0x4f, 0x55][i % 5] ?? b) : b,
        );
        const framer = createRteFramer({ maxFrameBytes: 100 });
        for (const chunk of splitAt(salted, cuts)) {
          for (const event of framer.push(chunk)) {
            if (event.type === 'frame') expect(event.bytes.length).toBeLessThanOrEqual(101);
          }
        }
        framer.flush();
      }),
    );
  });
});
