import type { Timers } from '../transport/index.js';

export type MrzFormat = 'TD1' | 'TD2' | 'TD3';

export type MrzAssemblyEvent =
  | { type: 'mrz'; format: MrzFormat; lines: string[] }
  /** Lines that never made a whole MRZ: a timeout, or a line of another format cut in. */
  | { type: 'incomplete'; reason: 'timeout' | 'format-change' | 'flush'; lines: string[] }
  /** A line that is not an MRZ line (wrong length or characters); never echoed (it is personal data). */
  | { type: 'rejected'; length: number };

const LINES_BY_LENGTH: ReadonlyMap<number, { format: MrzFormat; count: number }> = new Map([
  [30, { format: 'TD1', count: 3 }],
  [36, { format: 'TD2', count: 2 }],
  [44, { format: 'TD3', count: 2 }],
]);

const MRZ_LINE = /^[A-Z0-9<]+$/;

export interface MrzLineAssemblerOptions {
  /** How long to wait for the rest of an MRZ after its first line. */
  timeoutMs: number;
  timers: Timers;
  onEvent: (event: MrzAssemblyEvent) => void;
}

export interface MrzLineAssembler {
  /** One line, without its terminator; surrounding whitespace and `_` padding are removed. */
  pushLine(line: string): void;
  /** Text holding one or more CR/LF-separated lines. */
  pushText(text: string): void;
  flush(): void;
  dispose(): void;
}

/**
 * Assembles MRZ lines that arrive one at a time (Honeywell OCR templates send rows separately and
 * may send only one). TD1 needs 3 lines of 30, TD2 2 of 36, TD3 (and MRV-A) 2 of 44; MRV-B has
 * TD2's shape. Blank lines are ignored.
 */
export function createMrzLineAssembler(options: MrzLineAssemblerOptions): MrzLineAssembler {
  const { timers, onEvent, timeoutMs } = options;
  let lines: string[] = [];
  let shape: { format: MrzFormat; count: number } | undefined;
  let timer: unknown;

  function stopTimer(): void {
    if (timer !== undefined) timers.clearTimeout(timer);
    timer = undefined;
  }

  function giveUp(reason: 'timeout' | 'format-change' | 'flush'): void {
    stopTimer();
    if (lines.length > 0) onEvent({ type: 'incomplete', reason, lines });
    lines = [];
    shape = undefined;
  }

  function pushLine(raw: string): void {
    const line = raw.trim().replace(/_+$/, '');
    if (line.length === 0) return;
    const lineShape = LINES_BY_LENGTH.get(line.length);
    if (!lineShape || !MRZ_LINE.test(line)) {
      onEvent({ type: 'rejected', length: line.length });
      return;
    }
    if (shape && shape.format !== lineShape.format) giveUp('format-change');
    if (!shape) {
      shape = lineShape;
      timer = timers.setTimeout(() => {
        timer = undefined;
        giveUp('timeout');
      }, timeoutMs);
    }
    lines.push(line);
    if (lines.length === shape.count) {
      stopTimer();
      const done = { type: 'mrz' as const, format: shape.format, lines };
      lines = [];
      shape = undefined;
      onEvent(done);
    }
  }

  return {
    pushLine,
    pushText(text) {
      for (const line of text.split(/\r\n|\r|\n/)) pushLine(line);
    },
    flush() {
      giveUp('flush');
    },
    dispose() {
      stopTimer();
      lines = [];
      shape = undefined;
    },
  };
}
