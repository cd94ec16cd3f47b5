/** What a framer produces from a byte stream. */
export type FrameEvent =
  | { type: 'frame'; bytes: Uint8Array }
  /** A frame grew past the cap: its bytes were dropped and the framer resynchronised. */
  | { type: 'overflow'; dropped: number }
  /** Bytes that could not be part of a frame (noise before a prefix, a bad check byte, a cut-off frame at flush). */
  | { type: 'discarded'; reason: DiscardReason; bytes: number };

export type DiscardReason = 'noise' | 'incomplete' | 'bad-checksum' | 'malformed';

/** A pure stream framer: bytes in, frame events out; state carries across chunk boundaries. */
export interface Framer {
  push(chunk: Uint8Array): FrameEvent[];
  /** End of stream: reports whatever is buffered as discarded and resets. */
  flush(): FrameEvent[];
}

export const DEFAULT_MAX_FRAME_BYTES = 8192;

/** A growable byte buffer with a hard cap. */
export class ByteBuffer {
  #bytes: Uint8Array;
  #length = 0;

  constructor(initial = 256) {
    this.#bytes = new Uint8Array(initial);
  }

  get length(): number {
    return this.#length;
  }

  push(byte: number): void {
    if (this.#length === this.#bytes.length) {
      const grown = new Uint8Array(this.#bytes.length * 2);
      grown.set(this.#bytes);
      this.#bytes = grown;
    }
    this.#bytes[this.#length++] = byte;
  }

  at(index: number): number {
    return this.#bytes[index] ?? 0;
  }

  /** A copy of bytes [start, end). */
  slice(start = 0, end = this.#length): Uint8Array {
    return this.#bytes.slice(start, Math.min(end, this.#length));
  }

  endsWith(suffix: Uint8Array): boolean {
    if (suffix.length === 0 || suffix.length > this.#length) return false;
    const offset = this.#length - suffix.length;
    for (let i = 0; i < suffix.length; i++) {
      if (this.#bytes[offset + i] !== suffix[i]) return false;
    }
    return true;
  }

  clear(): void {
    this.#length = 0;
    if (this.#bytes.length > 4096) this.#bytes = new Uint8Array(256);
  }
}
