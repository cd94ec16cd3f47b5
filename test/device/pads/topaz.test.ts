import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import {
  TOPAZ_MODELS,
  createTopazDecoder,
  decodeTopazPacket,
  encodeTopazCoordinate,
} from '../../../device/pads/index.js';
import type { PadEvent, TopazModel } from '../../../device/pads/index.js';
import { concat, cutPoints, splitAt } from '../helpers.js';

const model = (name: string): TopazModel => {
  const found = TOPAZ_MODELS.find((m) => m.model === name);
  if (!found) throw new Error(name);
  return found;
};
const gem1x5 = model('SignatureGem1X5');
const uncalibrated = model('SigLite1X5');

describe('Topaz serial packets', () => {
  it('decodes the research test vector C1 68 07 58 04', () => {
    expect(decodeTopazPacket(Uint8Array.of(0xc1, 0x68, 0x07, 0x58, 0x04))).toEqual({
      kind: 'coordinate',
      near: true,
      down: true,
      x: 1000,
      y: 600,
    });
  });

  it('decodes pressure, info and no-data packets; rejects bad digits', () => {
    expect(decodeTopazPacket(Uint8Array.of(0x80 | 0x40 | (7 << 2) | 1, 0, 0, 0x7f, 0x07))).toEqual({
      kind: 'pressure',
      near: true,
      down: true,
      pressure: 1023,
    });
    // d0 = 0x15 | (0x01 << 7) = 0x95 -> model 0x25, serial ((0x95 & 3) << 16) | d1
    expect(decodeTopazPacket(Uint8Array.of(0x80 | (2 << 2), 0x15, 0x01, 0x02, 0x01))).toEqual({
      kind: 'info',
      model: 0x25,
      serial: (1 << 16) | (0x02 | (0x01 << 7)),
    });
    expect(
      decodeTopazPacket(encodeTopazCoordinate({ x: 0xfff, y: 0xfff, near: true, down: false })),
    ).toEqual({
      kind: 'no-data',
    });
    expect(decodeTopazPacket(Uint8Array.of(0xc1, 0x68, 0x27, 0x58, 0x04))).toEqual({
      kind: 'invalid',
    });
    expect(decodeTopazPacket(Uint8Array.of(0xc1, 0x68))).toEqual({ kind: 'invalid' });
  });

  it('has line settings for every model and calibration where measured', () => {
    expect(gem1x5).toMatchObject({ baudRate: 19200, dataBits: 8, parity: 'odd', stopBits: 1 });
    expect(model('SigGemColor57').baudRate).toBe(115200);
    expect(model('ClipGem').baudRate).toBe(9600);
    expect(model('SignatureGemLCD1X5')).toMatchObject({ dataBits: 7, packetFormat: 1 });
    expect(() => createTopazDecoder({ model: model('SignatureGemLCD1X5'), now: () => 0 })).toThrow(
      RangeError,
    );
  });
});

describe('Topaz decoder', () => {
  // A stroke of three points, a hover, a second stroke of one point, then pen away.
  const points = [
    { x: 400, y: 350, down: true },
    { x: 1400, y: 650, down: true },
    { x: 2400, y: 950, down: true },
    { x: 2500, y: 1000, down: false },
    { x: 1000, y: 600, down: true },
    { x: 1000, y: 600, down: false },
  ];
  const wire = concat(...points.map((p) => encodeTopazCoordinate({ ...p, near: true })));

  it('emits strokes with calibrated coordinates across any chunking, stamped when their read arrived', () => {
    fc.assert(
      fc.property(cutPoints, (cuts) => {
        let clock = 0;
        const decoder = createTopazDecoder({ model: gem1x5, now: () => (clock += 5) });
        // Packets completed by one read share its arrival time, however long decoding takes
        // (the clock moves on at every reading): the time of the read each packet ended in.
        const arrival: number[] = [];
        const events: PadEvent[] = [];
        let received = 0;
        for (const chunk of splitAt(wire, cuts)) {
          events.push(...decoder.push(chunk));
          received += chunk.length;
          while (arrival.length < Math.floor(received / 5)) arrival.push(clock);
        }
        events.push(...decoder.flush());
        const at = (k: number) => arrival[k]!;
        const resolution = { maxX: 2000, maxY: 600, maxPressure: 1, unitsPerInch: null };
        expect(events).toEqual<PadEvent[]>([
          { type: 'strokeStart', t: at(0) },
          { type: 'sample', x: 0, y: 0, pressure: 1, t: at(0), resolution },
          { type: 'sample', x: 1000, y: 300, pressure: 1, t: at(1), resolution },
          { type: 'sample', x: 2000, y: 600, pressure: 1, t: at(2), resolution },
          { type: 'strokeEnd', t: at(3) },
          { type: 'strokeStart', t: at(4) },
          { type: 'sample', x: 600, y: 250, pressure: 1, t: at(4), resolution },
          { type: 'strokeEnd', t: at(5) },
        ]);
        expect(decoder.stats).toEqual({ packets: 6, dropped: 0, noiseBytes: 0 });
      }),
    );
  });

  it('stamps the packets of one read with one time, not the clock moving on while decoding', () => {
    let clock = 0;
    const decoder = createTopazDecoder({ model: gem1x5, now: () => (clock += 0.005) });
    const samples = decoder.push(wire).filter((e) => e.type === 'sample');
    expect(new Set(samples.map((e) => e.t)).size).toBe(1);
  });

  it('passes raw coordinates through for uncalibrated models; resyncs on a sync byte', () => {
    const decoder = createTopazDecoder({ model: uncalibrated, now: () => 0 });
    const packet = encodeTopazCoordinate({ x: 1234, y: 567, near: true, down: true });
    const events = decoder.push(concat(Uint8Array.of(0x05, 0x06), packet.subarray(0, 3), packet));
    expect(events.filter((e) => e.type === 'sample')).toEqual([
      {
        type: 'sample',
        x: 1234,
        y: 567,
        pressure: 1,
        t: 0,
        resolution: { maxX: 4095, maxY: 4095, maxPressure: 1, unitsPerInch: null },
      },
    ]);
    expect(decoder.stats).toEqual({ packets: 1, dropped: 1, noiseBytes: 2 });
    expect(decoder.flush()).toEqual([{ type: 'strokeEnd', t: 0 }]);
  });

  it('uses pressure packets when the pad sends them', () => {
    const decoder = createTopazDecoder({ model: uncalibrated, now: () => 0 });
    const pressure = Uint8Array.of(0x80 | 0x40 | (7 << 2) | 1, 0, 0, 0x10, 0x02);
    const events = decoder.push(
      concat(pressure, encodeTopazCoordinate({ x: 1, y: 2, near: true, down: true })),
    );
    expect(events[1]).toMatchObject({
      type: 'sample',
      pressure: 0x110,
      resolution: { maxPressure: 1023 },
    });
  });

  it('random bytes: no exceptions, only pad events, strokes balanced after flush', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 400 }), cutPoints, (random, cuts) => {
        const decoder = createTopazDecoder({ model: gem1x5, now: () => 0 });
        const events = [
          ...splitAt(random, cuts).flatMap((c) => decoder.push(c)),
          ...decoder.flush(),
        ];
        let depth = 0;
        for (const event of events) {
          if (event.type === 'strokeStart') depth += 1;
          if (event.type === 'strokeEnd') depth -= 1;
          expect(depth === 0 || depth === 1).toBe(true);
          if (event.type === 'sample') {
            expect(depth).toBe(1);
            expect(event.x).toBeGreaterThanOrEqual(0);
            expect(event.x).toBeLessThanOrEqual(2000);
          }
        }
        expect(depth).toBe(0);
      }),
    );
  });
});
