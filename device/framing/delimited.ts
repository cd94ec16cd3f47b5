import { aamvaDeclaredLength } from './aamva.js';
import { ByteBuffer, DEFAULT_MAX_FRAME_BYTES } from './types.js';
import type { FrameEvent, Framer } from './types.js';

export const STX = 0x02;
export const ETX = 0x03;

export interface DelimitedFramerOptions {
  /** Bytes that open a frame; bytes before it are noise. Empty: every byte after a suffix starts one. */
  prefix?: Uint8Array;
  /** Bytes that close a frame (required, non-empty). */
  suffix: Uint8Array;
  maxFrameBytes?: number;
  /**
   * When a frame opens with the AAMVA header, a suffix inside the length its subfile directory
   * declares is payload, not the end (AAMVA payloads hold CR, LF and RS). Default true.
   */
  aamvaAware?: boolean;
  /**
   * A prefix inside a frame means its suffix was lost: report the partial frame and start anew.
   * Only for prefixes that cannot occur in payloads (STX). Default false.
   */
  restartOnPrefix?: boolean;
}

type State = 'hunting' | 'in-frame' | 'skipping';

/**
 * Prefix/suffix framing (serialport's DelimiterParser, with an optional prefix and a cap).
 * Frames are emitted without prefix and suffix; empty frames (a CR LF pair split by a CR suffix)
 * are dropped.
 */
export function createDelimitedFramer(options: DelimitedFramerOptions): Framer {
  const prefix = options.prefix ?? new Uint8Array(0);
  const suffix = options.suffix;
  if (suffix.length === 0) throw new RangeError('a delimited framer needs a non-empty suffix');
  const max = options.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES;
  const aamvaAware = options.aamvaAware ?? true;
  const restartOnPrefix = (options.restartOnPrefix ?? false) && prefix.length > 0;
  const buffer = new ByteBuffer();
  const prefixMatch = new ByteBuffer(Math.max(1, prefix.length));
  let state: State = prefix.length > 0 ? 'hunting' : 'in-frame';
  let noise = 0;
  let skipped = 0;

  const start = (): State => (prefix.length > 0 ? 'hunting' : 'in-frame');

  function flushNoise(out: FrameEvent[]): void {
    if (noise > 0) out.push({ type: 'discarded', reason: 'noise', bytes: noise });
    noise = 0;
  }

  /** The frame ending here (suffix removed), or undefined while the frame goes on. */
  function completedFrame(): Uint8Array | undefined {
    if (!buffer.endsWith(suffix)) return undefined;
    const withoutSuffix = (): Uint8Array => buffer.slice(0, buffer.length - suffix.length);
    if (!aamvaAware) return withoutSuffix();
    const declared = aamvaDeclaredLength(buffer.slice());
    if (declared.status === 'need-more') return undefined;
    if (declared.status === 'not-aamva') return withoutSuffix();
    if (buffer.length < declared.length) return undefined;
    // A suffix equal to the last subfile's CR terminator belongs to the payload: keep it.
    return buffer.length - suffix.length >= declared.length ? withoutSuffix() : buffer.slice();
  }

  function huntByte(byte: number, out: FrameEvent[]): void {
    prefixMatch.push(byte);
    // Naive re-matching is fine: prefixes are a few bytes.
    while (prefixMatch.length > 0) {
      const candidate = prefixMatch.slice();
      let ok = true;
      for (let i = 0; i < candidate.length; i++) {
        if (candidate[i] !== prefix[i]) {
          ok = false;
          break;
        }
      }
      if (ok) break;
      noise += 1;
      const rest = candidate.subarray(1);
      prefixMatch.clear();
      for (const b of rest) prefixMatch.push(b);
    }
    if (prefixMatch.length === prefix.length) {
      prefixMatch.clear();
      flushNoise(out);
      state = 'in-frame';
    }
  }

  return {
    push(chunk) {
      const out: FrameEvent[] = [];
      for (const byte of chunk) {
        if (state === 'hunting') {
          huntByte(byte, out);
          continue;
        }
        if (state === 'skipping') {
          // After an overflow without a prefix, the frame's tail is dropped up to its suffix.
          skipped += 1;
          buffer.push(byte);
          if (buffer.endsWith(suffix)) {
            buffer.clear();
            out.push({ type: 'discarded', reason: 'incomplete', bytes: skipped });
            skipped = 0;
            state = start();
          } else if (buffer.length >= suffix.length * 2) {
            const tail = buffer.slice(buffer.length - suffix.length);
            buffer.clear();
            for (const b of tail) buffer.push(b);
          }
          continue;
        }
        buffer.push(byte);
        const frame = completedFrame();
        if (frame) {
          buffer.clear();
          if (frame.length > 0) out.push({ type: 'frame', bytes: frame });
          state = start();
        } else if (restartOnPrefix && buffer.endsWith(prefix)) {
          out.push({
            type: 'discarded',
            reason: 'incomplete',
            bytes: buffer.length - prefix.length,
          });
          buffer.clear();
        } else if (buffer.length > max + suffix.length) {
          out.push({ type: 'overflow', dropped: buffer.length });
          buffer.clear();
          skipped = 0;
          state = prefix.length > 0 ? 'hunting' : 'skipping';
        }
      }
      return out;
    },
    flush() {
      const out: FrameEvent[] = [];
      noise += prefixMatch.length;
      prefixMatch.clear();
      flushNoise(out);
      const left = state === 'skipping' ? skipped : buffer.length;
      if (left > 0) out.push({ type: 'discarded', reason: 'incomplete', bytes: left });
      buffer.clear();
      skipped = 0;
      state = start();
      return out;
    },
  };
}

/** STX … ETX framing, the configuration recommended for scanners (research §3.4). */
export function createStxEtxFramer(options: { maxFrameBytes?: number } = {}): Framer {
  return createDelimitedFramer({
    prefix: Uint8Array.of(STX),
    suffix: Uint8Array.of(ETX),
    aamvaAware: false,
    restartOnPrefix: true,
    ...options,
  });
}
