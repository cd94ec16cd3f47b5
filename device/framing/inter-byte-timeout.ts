import type { Timers } from '../transport/index.js';
import { ByteBuffer, DEFAULT_MAX_FRAME_BYTES } from './types.js';
import type { FrameEvent } from './types.js';

export interface InterByteTimeoutFramerOptions {
  /** Silence (ms) after the last byte that ends a frame; 50 ms worked for AAMVA over a PTY (§3.4). */
  intervalMs: number;
  maxFrameBytes?: number;
  timers: Timers;
  onEvent: (event: FrameEvent) => void;
}

export interface TimedFramer {
  push(chunk: Uint8Array): void;
  /** End of stream: a buffered frame is emitted as complete (the stream ended, so did the silence). */
  flush(): void;
  /** Stops the timer without emitting (the transport closed mid-frame). */
  dispose(): void;
}

/**
 * Frames by silence: for devices whose prefix/suffix cannot be configured. A frame that reaches
 * the cap is dropped whole and the rest of it, up to the next silence, is discarded too.
 */
export function createInterByteTimeoutFramer(options: InterByteTimeoutFramerOptions): TimedFramer {
  const { intervalMs, timers, onEvent } = options;
  const max = options.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES;
  const buffer = new ByteBuffer();
  let timer: unknown;
  // After an overflow, the rest of that burst is dropped up to the next silence.
  let dropping = false;
  let droppedTail = 0;

  function emitFrame(): void {
    timer = undefined;
    if (dropping) {
      if (droppedTail > 0) onEvent({ type: 'discarded', reason: 'incomplete', bytes: droppedTail });
      dropping = false;
      droppedTail = 0;
    } else if (buffer.length > 0) {
      const bytes = buffer.slice();
      buffer.clear();
      onEvent({ type: 'frame', bytes });
    }
  }

  function cancel(): void {
    if (timer !== undefined) timers.clearTimeout(timer);
    timer = undefined;
  }

  return {
    push(chunk) {
      if (chunk.length === 0) return;
      cancel();
      for (const byte of chunk) {
        if (dropping) {
          droppedTail += 1;
          continue;
        }
        buffer.push(byte);
        if (buffer.length > max) {
          onEvent({ type: 'overflow', dropped: buffer.length });
          buffer.clear();
          dropping = true;
        }
      }
      timer = timers.setTimeout(emitFrame, intervalMs);
    },
    flush() {
      cancel();
      emitFrame();
    },
    dispose() {
      cancel();
      buffer.clear();
      dropping = false;
      droppedTail = 0;
    },
  };
}
