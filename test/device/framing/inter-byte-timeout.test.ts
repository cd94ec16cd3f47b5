import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { createInterByteTimeoutFramer } from '../../../device/framing/index.js';
import type { FrameEvent } from '../../../device/framing/index.js';
import { FakeTimers, ascii, buildAamva, cutPoints, splitAt, text } from '../helpers.js';

const AAMVA = buildAamva([{ type: 'DL', body: 'DLDAQT64235789\nDCSSAMPLE\nDACJOHN\r' }]);

function setup(maxFrameBytes?: number) {
  const timers = new FakeTimers();
  const events: FrameEvent[] = [];
  const framer = createInterByteTimeoutFramer({
    intervalMs: 50,
    timers,
    onEvent: (e) => events.push(e),
    ...(maxFrameBytes === undefined ? {} : { maxFrameBytes }),
  });
  return { timers, events, framer };
}

describe('inter-byte timeout framing', () => {
  it('one burst with pauses shorter than the interval is one frame, whatever the chunking', () => {
    fc.assert(
      fc.property(
        cutPoints,
        fc.array(fc.integer({ min: 0, max: 49 }), { maxLength: 13 }),
        (cuts, gaps) => {
          const { timers, events, framer } = setup();
          splitAt(ascii(AAMVA), cuts).forEach((chunk, i) => {
            framer.push(chunk);
            // An empty chunk carries no byte, so it does not restart the silence.
            if (chunk.length > 0) timers.advance(gaps[i] ?? 1);
          });
          expect(events).toEqual([]);
          timers.advance(50);
          expect(events.map((e) => (e.type === 'frame' ? text(e.bytes) : e.type))).toEqual([AAMVA]);
          expect(timers.pendingCount).toBe(0);
        },
      ),
    );
  });

  it('a silence of the interval separates frames', () => {
    const { timers, events, framer } = setup();
    framer.push(ascii('first'));
    timers.advance(49);
    framer.push(ascii('+more'));
    timers.advance(50);
    framer.push(ascii('second'));
    timers.advance(100);
    expect(events.map((e) => (e.type === 'frame' ? text(e.bytes) : e.type))).toEqual([
      'first+more',
      'second',
    ]);
  });

  it('overflow drops the burst up to the next silence; flush emits; dispose is silent', () => {
    const { timers, events, framer } = setup(4);
    framer.push(ascii('abcdefgh'));
    timers.advance(50);
    expect(events).toEqual([
      { type: 'overflow', dropped: 5 },
      { type: 'discarded', reason: 'incomplete', bytes: 3 },
    ]);
    events.length = 0;
    framer.push(ascii('ok'));
    framer.flush();
    expect(events.map((e) => e.type)).toEqual(['frame']);
    framer.push(ascii('cut'));
    framer.dispose();
    timers.advance(1000);
    expect(events).toHaveLength(1);
    expect(timers.pendingCount).toBe(0);
  });

  it('random bytes and pauses: frames within the cap, every byte accounted for', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.uint8Array({ maxLength: 40 }), fc.integer({ min: 0, max: 120 })), {
          maxLength: 20,
        }),
        (bursts) => {
          const { timers, events, framer } = setup(64);
          let sent = 0;
          for (const [chunk, pause] of bursts) {
            framer.push(chunk);
            sent += chunk.length;
            timers.advance(pause);
          }
          framer.flush();
          let seen = 0;
          for (const event of events) {
            if (event.type === 'frame') {
              expect(event.bytes.length).toBeLessThanOrEqual(64);
              seen += event.bytes.length;
            } else if (event.type === 'overflow') seen += event.dropped;
            else seen += event.bytes;
          }
          expect(seen).toBe(sent);
          expect(timers.pendingCount).toBe(0);
        },
      ),
    );
  });
});
