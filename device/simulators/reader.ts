import { ETX, STX, encodeRteBlock } from '../framing/index.js';
import { systemTimers } from '../transport/index.js';
import type { Timers, Transport } from '../transport/index.js';
import { SPECIMEN_AAMVA, SPECIMEN_MRZ } from './specimens.js';
import type { SpecimenDocument } from './specimens.js';

/** How the simulated reader frames what it sends (matching serialReaderDriver's settings). */
export type SimulatedReaderFraming = 'stx-etx' | 'cr-lines' | 'rte';

const ascii = (text: string): Uint8Array => Uint8Array.from(text, (c) => c.charCodeAt(0) & 0xff);

/**
 * The writes a reader makes for a specimen: STX…ETX around the whole read; `cr-lines`, MRZ rows
 * one write each with CR (as Honeywell OCR templates send them) and AAMVA as-is (its last
 * subfile ends in CR); `rte`, the 3M block with lines padded by `_`.
 */
export function readerFramesFor(
  document: SpecimenDocument,
  framing: SimulatedReaderFraming,
): Uint8Array[] {
  const lines = document === 'driving-licence-aamva' ? undefined : SPECIMEN_MRZ[document];
  if (framing === 'rte') {
    if (!lines) return [encodeRteBlock(ascii(`0${SPECIMEN_AAMVA}`))];
    const width = lines[0]?.length === 30 ? 30 : 44;
    const text = `0${lines.map((l) => `${l.padEnd(width, '_')}\r`).join('')}`;
    return [encodeRteBlock(ascii(text))];
  }
  if (framing === 'stx-etx') {
    const body = lines ? `${lines.join('\r')}\r` : SPECIMEN_AAMVA;
    return [Uint8Array.of(STX, ...ascii(body), ETX)];
  }
  return lines ? lines.map((l) => ascii(`${l}\r`)) : [ascii(SPECIMEN_AAMVA)];
}

export interface ReaderSimulator {
  attach(transport: Transport): void;
  /** Presents a specimen document: the reader sends what it read. */
  present(document: SpecimenDocument): Promise<void>;
}

/** A virtual MRZ/barcode reader on a serial transport (a PTY end or a memory transport). */
export function createReaderSimulator(
  options: {
    transport?: Transport;
    framing?: SimulatedReaderFraming;
    lineGapMs?: number;
    timers?: Timers;
  } = {},
): ReaderSimulator {
  const timers = options.timers ?? systemTimers;
  const framing = options.framing ?? 'stx-etx';
  const gap = options.lineGapMs ?? 30;
  let transport = options.transport;
  return {
    attach(next) {
      transport = next;
    },
    async present(document) {
      const target = transport;
      if (!target) throw new RangeError('the simulated reader is not attached to a transport');
      const frames = readerFramesFor(document, framing);
      for (let i = 0; i < frames.length; i++) {
        if (i > 0) await new Promise<void>((resolve) => timers.setTimeout(resolve, gap));
        await target.write(frames[i] ?? new Uint8Array(0));
      }
    },
  };
}
