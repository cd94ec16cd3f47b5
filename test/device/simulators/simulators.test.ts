import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import {
  createDocumentRecognizer,
  type DriverEvent,
  hexBytes,
} from '../../../device/drivers/index.js';
import { createTopazDecoder, type PadEvent, TOPAZ_MODELS } from '../../../device/pads/index.js';
import {
  createTopazPadSimulator,
  generateSyntheticSignature,
  readerFramesFor,
  SPECIMEN_DOCUMENTS,
} from '../../../device/simulators/index.js';
import { createMemoryTransportPair } from '../../../device/transport/index.js';
import { FakeTimers } from '../helpers.js';
import { itWithDevData } from '../../support/with-dev-data.js';
import { EventLog, readSvc2004, svc2004Files } from '../pty.js';

describe('synthetic signature generator', () => {
  it('is deterministic per seed, stays in the unit square, and its time only moves forward', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 31 - 1 }), (seed) => {
        const signature = generateSyntheticSignature(seed);
        expect(generateSyntheticSignature(seed)).toEqual(signature);
        expect(signature.strokes.length).toBeGreaterThanOrEqual(2);
        let last = -1;
        let inRange = true;
        let forward = true;
        for (const stroke of signature.strokes) {
          expect(stroke.length).toBeGreaterThanOrEqual(8);
          for (const p of stroke) {
            for (const v of [p.x, p.y, p.pressure]) inRange &&= v >= 0 && v <= 1;
            forward &&= p.t > last;
            last = p.t;
          }
        }
        expect(inRange).toBe(true);
        expect(forward).toBe(true);
        // A signature lasts about as long as a real one (SVC2004: 1–5 s).
        expect(last).toBeGreaterThan(800);
        expect(last).toBeLessThan(6000);
      }),
      { numRuns: 50 },
    );
  });
});

describe('Topaz pad simulator', () => {
  const replay = async (signature: ReturnType<typeof generateSyntheticSignature>) => {
    const [host, device] = createMemoryTransportPair('topaz');
    const decoder = createTopazDecoder({ model: TOPAZ_MODELS[0]!, now: () => 0 });
    const events: PadEvent[] = [];
    host.on((e) => {
      if (e.type === 'data') events.push(...decoder.push(e.bytes));
    });
    await createTopazPadSimulator({ transport: device }).play(signature, { realtime: false });
    await new Promise((resolve) => setTimeout(resolve, 0));
    return events;
  };

  it('replays a synthetic signature stroke for stroke', async () => {
    const signature = generateSyntheticSignature(2);
    const events = await replay(signature);
    expect(events.filter((e) => e.type === 'strokeStart')).toHaveLength(signature.strokes.length);
    expect(events.filter((e) => e.type === 'strokeEnd')).toHaveLength(signature.strokes.length);
    expect(events.filter((e) => e.type === 'sample')).toHaveLength(
      signature.strokes.reduce((n, s) => n + s.length, 0),
    );
  });

  itWithDevData(
    'svc2004',
    'replays SVC2004 signatures (read at run time) sample for sample',
    async () => {
      for (const file of svc2004Files(5)) {
        const signature = readSvc2004(file);
        const events = await replay(signature);
        expect(events.filter((e) => e.type === 'strokeStart')).toHaveLength(
          signature.strokes.length,
        );
        expect(events.filter((e) => e.type === 'sample')).toHaveLength(
          signature.strokes.reduce((n, s) => n + s.length, 0),
        );
        // Calibrated to the model's logical size (2000 × 600): the pad's shape survives.
        const first = events.find((e) => e.type === 'sample');
        const point = signature.strokes[0]![0]!;
        expect(first).toMatchObject({
          x: Math.round(point.x * 2000),
          y: Math.round(point.y * 600),
        });
      }
    },
  );

  it('keeps the signature timing in real-time mode (on a fake clock)', async () => {
    const timers = new FakeTimers();
    const [, device] = createMemoryTransportPair('topaz');
    const writes: number[] = [];
    const write = device.write.bind(device);
    device.write = (bytes) => {
      writes.push(timers.now());
      return write(bytes);
    };
    const signature = generateSyntheticSignature(4);
    const done = createTopazPadSimulator({ transport: device, timers }).play(signature);
    const end = signature.strokes.at(-1)!.at(-1)!.t + 1;
    for (let t = 0; t <= end + 20; t += 5) {
      timers.advance(5);
      await new Promise((resolve) => setTimeout(resolve, 0));
    }
    await done;
    expect(writes[0]).toBe(0);
    expect(writes.at(-1)).toBeGreaterThanOrEqual(end - 10);
    for (let i = 1; i < writes.length; i++)
      expect(writes[i]!).toBeGreaterThanOrEqual(writes[i - 1]!);
  });
});

describe('reader simulator frames', () => {
  it('every specimen in every framing is recognised as its document kind', () => {
    for (const document of SPECIMEN_DOCUMENTS) {
      for (const framing of ['stx-etx', 'cr-lines', 'rte'] as const) {
        expect(readerFramesFor(document, framing).length).toBeGreaterThan(0);
      }
    }
  });
});

describe('document recognizer and settings parsers (property)', () => {
  it('hexBytes accepts whole hex bytes only', () => {
    expect(hexBytes('0d0A')).toEqual(Uint8Array.of(13, 10));
    for (const bad of ['', '0', 'zz', '0d0', undefined]) expect(hexBytes(bad)).toBeUndefined();
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 16 }), (bytes) => {
        const text = [...bytes].map((b) => b.toString(16).padStart(2, '0')).join('');
        expect(hexBytes(text) ?? new Uint8Array(0)).toEqual(bytes);
      }),
    );
    fc.assert(fc.property(fc.string(), (text) => void hexBytes(text)));
  });

  it('random reads never throw; only MRZ-shaped text or AAMVA headers reach the parser', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.oneof(
            fc.uint8Array({ maxLength: 200 }),
            fc
              .stringMatching(/^[A-Z0-9<\r\n]{0,120}$/)
              .map((s) => Uint8Array.from(s, (c) => c.charCodeAt(0))),
          ),
          { maxLength: 10 },
        ),
        (reads) => {
          const timers = new FakeTimers();
          const log = new EventLog<DriverEvent<string>>();
          const inputs: string[] = [];
          const recognizer = createDocumentRecognizer<string>({
            timers,
            parseDocument: (input) => {
              inputs.push(input.kind);
              if (input.kind === 'mrz')
                expect(input.text.split('\n').length).toBeGreaterThanOrEqual(2);
              return input.kind;
            },
            emit: log.push,
          });
          for (const read of reads) recognizer.push(read);
          timers.advance(10_000);
          recognizer.flush();
          for (const e of log.events) expect(['document', 'discarded', 'notice']).toContain(e.type);
          expect(log.events.filter((e) => e.type === 'document')).toHaveLength(inputs.length);
        },
      ),
      { numRuns: 300 },
    );
  });
});
