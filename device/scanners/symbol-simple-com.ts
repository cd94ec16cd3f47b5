import type { Timers } from '../transport/index.js';
import { concatBytes } from './bytes.js';
import type { ScanEvent } from './honeywell.js';

/**
 * Symbol/Zebra "Simple COM Port Emulation" HID mode (05e0:0600, research §3.3): each report is
 * `[len][len bytes]` (len ≤ 63); a read is the concatenation of the chunks and ends when no chunk
 * arrives for `quietMs` (the reference implementation uses ~100 ms). The report carries no AIM
 * symbology id, so reads have an empty `aim` and `codeId`.
 */
export interface SymbolSimpleComDecoder {
  push(report: Uint8Array): void;
  /** End of stream: a read in progress is emitted (the silence has begun). */
  flush(): void;
  dispose(): void;
}

export const SYMBOL_SIMPLE_COM_MAX_CHUNK = 63;

export function createSymbolSimpleComDecoder(options: {
  timers: Timers;
  onEvent: (event: ScanEvent) => void;
  quietMs?: number;
  maxReadBytes?: number;
}): SymbolSimpleComDecoder {
  const { timers, onEvent } = options;
  const quietMs = options.quietMs ?? 100;
  const max = options.maxReadBytes ?? 8192;
  let parts: Uint8Array[] = [];
  let size = 0;
  let overflowed = false;
  let timer: unknown;

  function finish(): void {
    timer = undefined;
    if (overflowed) {
      overflowed = false;
    } else if (size > 0) {
      onEvent({ type: 'read', aim: '', codeId: '', bytes: concatBytes(parts, size) });
    }
    parts = [];
    size = 0;
  }

  function cancel(): void {
    if (timer !== undefined) timers.clearTimeout(timer);
    timer = undefined;
  }

  return {
    push(report) {
      const length = report[0];
      if (
        length === undefined ||
        length > SYMBOL_SIMPLE_COM_MAX_CHUNK ||
        length + 1 > report.length
      ) {
        onEvent({ type: 'discarded', reason: 'malformed', bytes: report.length });
        return;
      }
      if (length === 0) return;
      cancel();
      if (!overflowed) {
        parts.push(report.slice(1, 1 + length));
        size += length;
        if (size > max) {
          onEvent({ type: 'discarded', reason: 'overflow', bytes: size });
          parts = [];
          size = 0;
          overflowed = true;
        }
      }
      timer = timers.setTimeout(finish, quietMs);
    },
    flush() {
      cancel();
      finish();
    },
    dispose() {
      cancel();
      parts = [];
      size = 0;
      overflowed = false;
    },
  };
}
