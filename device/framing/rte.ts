import { ByteBuffer, DEFAULT_MAX_FRAME_BYTES } from './types.js';
import type { FrameEvent, Framer } from './types.js';

const SOH = 0x01;
const STX = 0x02;
const ETX = 0x03;
const O = 0x4f;
const U = 0x55;
const CR = 0x0d;

/**
 * The 3M RTE Native block (RTE6701-OEM manual §9.1.1, the ancestors of Thales AT10K/CR5400):
 * `<SOH>[length lo][length hi]"OU"<STX>[flag][optical data]<ETX>[BCC]`.
 *
 * The BCC is taken as the XOR of every byte after SOH up to and including ETX, the usual
 * convention for SOH…ETX BCC blocks; the manual pages read do not spell out its range, so this
 * is inferred and must be checked against a captured frame. The length word (14 bits, LE) is not
 * relied on for framing: ETX and the BCC byte after it end the block.
 */
export function rteBlockCheck(bytesAfterSohThroughEtx: Uint8Array): number {
  let bcc = 0;
  for (const byte of bytesAfterSohThroughEtx) bcc ^= byte;
  return bcc;
}

/** Builds an RTE block around [flag][optical data] (for simulators and tests). */
export function encodeRteBlock(text: Uint8Array): Uint8Array {
  const body = new Uint8Array(2 + 3 + text.length + 1);
  const length = (text.length + 6) & 0x3fff;
  body[0] = length & 0xff;
  body[1] = length >> 8;
  body.set([O, U, STX], 2);
  body.set(text, 5);
  body[body.length - 1] = ETX;
  const block = new Uint8Array(body.length + 2);
  block[0] = SOH;
  block.set(body, 1);
  block[block.length - 1] = rteBlockCheck(body);
  return block;
}

type State = 'hunting' | 'header' | 'text' | 'bcc';

/** Frames RTE blocks; each frame's bytes are `[flag][optical data]` (without STX/ETX). */
export function createRteFramer(options: { maxFrameBytes?: number } = {}): Framer {
  const max = options.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES;
  // Everything after SOH through ETX, for the BCC.
  const block = new ByteBuffer();
  let state: State = 'hunting';
  let noise = 0;

  function reset(): void {
    block.clear();
    state = 'hunting';
  }

  function noteNoise(out: FrameEvent[]): void {
    if (noise > 0) out.push({ type: 'discarded', reason: 'noise', bytes: noise });
    noise = 0;
  }

  return {
    push(chunk) {
      const out: FrameEvent[] = [];
      for (const byte of chunk) {
        switch (state) {
          case 'hunting':
            if (byte === SOH) {
              noteNoise(out);
              state = 'header';
            } else {
              noise += 1;
            }
            break;
          case 'header': {
            block.push(byte);
            const at = block.length - 1;
            const expected = at === 2 ? O : at === 3 ? U : at === 4 ? STX : undefined;
            if (expected !== undefined && byte !== expected) {
              out.push({ type: 'discarded', reason: 'malformed', bytes: block.length + 1 });
              reset();
              if (byte === SOH) state = 'header';
            } else if (at === 4) {
              state = 'text';
            }
            break;
          }
          case 'text':
            block.push(byte);
            if (byte === ETX) state = 'bcc';
            else if (block.length > max + 5) {
              out.push({ type: 'overflow', dropped: block.length + 1 });
              reset();
            }
            break;
          case 'bcc': {
            const body = block.slice();
            if (rteBlockCheck(body) === byte) {
              out.push({ type: 'frame', bytes: body.slice(5, body.length - 1) });
            } else {
              out.push({ type: 'discarded', reason: 'bad-checksum', bytes: body.length + 2 });
            }
            reset();
            break;
          }
        }
      }
      return out;
    },
    flush() {
      const out: FrameEvent[] = [];
      noteNoise(out);
      if (state !== 'hunting') {
        out.push({ type: 'discarded', reason: 'incomplete', bytes: block.length + 1 });
      }
      reset();
      return out;
    },
  };
}

export interface RteOpticalData {
  /** The block's flag byte (reader specific). */
  flag: number;
  /** Lines top to bottom, `_` padding removed; a line the reader did not find is ''. */
  lines: string[];
}

/** Splits `[flag][line 1]<CR>[line 2]<CR>[line 3]<CR>`; undefined when there is no flag byte. */
export function decodeRteOpticalData(text: Uint8Array): RteOpticalData | undefined {
  const flag = text[0];
  if (flag === undefined) return undefined;
  const lines: string[] = [];
  let current = '';
  for (const byte of text.subarray(1)) {
    if (byte === CR) {
      lines.push(current.replace(/_+$/, ''));
      current = '';
    } else {
      current += String.fromCharCode(byte);
    }
  }
  if (current.length > 0) lines.push(current.replace(/_+$/, ''));
  return { flag, lines };
}
