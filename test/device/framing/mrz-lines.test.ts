import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { createMrzLineAssembler } from '../../../device/framing/index.js';
import type { MrzAssemblyEvent } from '../../../device/framing/index.js';
import { FakeTimers } from '../helpers.js';

const TD3 = [
  'P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<',
  'L898902C36UTO7408122F1204159ZE184226B<<<<<10',
];
const TD2 = ['I<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<', 'D231458907UTO7408122F1204159<<<<<<<6'];
const TD1 = [
  'I<UTOD231458907<<<<<<<<<<<<<<<',
  '7408122F1204159UTO<<<<<<<<<<<6',
  'ERIKSSON<<ANNA<MARIA<<<<<<<<<<',
];

function setup() {
  const timers = new FakeTimers();
  const events: MrzAssemblyEvent[] = [];
  const assembler = createMrzLineAssembler({
    timeoutMs: 500,
    timers,
    onEvent: (e) => events.push(e),
  });
  return { timers, events, assembler };
}

describe('MRZ line assembly', () => {
  it('assembles lines arriving one at a time within the timeout', () => {
    const { timers, events, assembler } = setup();
    assembler.pushLine(`${TD1[0]}\r`);
    timers.advance(200);
    assembler.pushLine(TD1[1]!);
    timers.advance(200);
    assembler.pushLine(`  ${TD1[2]}___`);
    expect(events).toEqual([{ type: 'mrz', format: 'TD1', lines: TD1 }]);
    expect(timers.pendingCount).toBe(0);
  });

  it('takes TD3 and TD2 from one text with CR/LF separators', () => {
    const { events, assembler } = setup();
    assembler.pushText(`${TD3.join('\r\n')}\r\n\r\n${TD2.join('\r')}\r`);
    expect(events).toEqual([
      { type: 'mrz', format: 'TD3', lines: TD3 },
      { type: 'mrz', format: 'TD2', lines: TD2 },
    ]);
  });

  it('gives up on a lone row after the timeout (a row the reader could not decode)', () => {
    const { timers, events, assembler } = setup();
    assembler.pushLine(TD3[1]!);
    timers.advance(499);
    expect(events).toEqual([]);
    timers.advance(1);
    expect(events).toEqual([{ type: 'incomplete', reason: 'timeout', lines: [TD3[1]] }]);
    assembler.pushText(TD3.join('\n'));
    expect(events.at(-1)).toEqual({ type: 'mrz', format: 'TD3', lines: TD3 });
  });

  it('a line of another format restarts assembly; non-MRZ lines are rejected without their text', () => {
    const { events, assembler } = setup();
    assembler.pushLine(TD1[0]!);
    assembler.pushLine(TD3[0]!);
    assembler.pushLine('HELLO');
    assembler.pushLine('p<utoeriksson<<anna<maria<<<<<<<<<<<<<<<<<<<');
    assembler.pushLine(TD3[1]!);
    expect(events).toEqual([
      { type: 'incomplete', reason: 'format-change', lines: [TD1[0]] },
      { type: 'rejected', length: 5 },
      { type: 'rejected', length: 44 },
      { type: 'mrz', format: 'TD3', lines: TD3 },
    ]);
  });

  it('flush reports a partial MRZ; dispose stops the timer silently', () => {
    const { timers, events, assembler } = setup();
    assembler.pushLine(TD2[0]!);
    assembler.flush();
    expect(events).toEqual([{ type: 'incomplete', reason: 'flush', lines: [TD2[0]] }]);
    assembler.pushLine(TD2[0]!);
    assembler.dispose();
    timers.advance(10_000);
    expect(events).toHaveLength(1);
  });

  it('random lines and pauses: typed events, never more lines than a format holds', () => {
    const line = fc.oneof(
      fc.constantFrom(...TD1, ...TD2, ...TD3),
      fc.string({ maxLength: 50 }),
      fc.stringMatching(/^[A-Z0-9<]{30}$/),
    );
    fc.assert(
      fc.property(
        fc.array(fc.tuple(line, fc.integer({ min: 0, max: 700 })), { maxLength: 20 }),
        (input) => {
          const { timers, events, assembler } = setup();
          for (const [text, pause] of input) {
            assembler.pushText(text);
            timers.advance(pause);
          }
          assembler.flush();
          for (const event of events) {
            if (event.type === 'mrz')
              expect(event.lines).toHaveLength(event.format === 'TD1' ? 3 : 2);
            if (event.type === 'incomplete') expect(event.lines.length).toBeLessThan(3);
          }
          expect(timers.pendingCount).toBe(0);
        },
      ),
    );
  });
});
