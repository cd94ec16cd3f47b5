import type { Timers } from '../transport/index.js';

export interface PlaybackOptions {
  /** Keep the signature's own timing (default); false sends as fast as the transport takes it. */
  realtime?: boolean;
}

/** Bytes due at a time (ms from the start of a playback). */
export interface TimedChunk {
  t: number;
  bytes: Uint8Array;
}

const BATCH_MS = 10;

function join(chunks: readonly TimedChunk[]): Uint8Array {
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.bytes.length, 0));
  let at = 0;
  for (const chunk of chunks) {
    out.set(chunk.bytes, at);
    at += chunk.bytes.length;
  }
  return out;
}

/**
 * Sends timed chunks through `write`, waiting for each chunk's time when `realtime`; chunks due
 * within 10 ms of each other, or all those already due when the playback runs late, go in one
 * write (a pad's UART delivers several packets per read), at most 64.
 * `separate`: one write per chunk (HID reports are never joined).
 */
export async function playChunks(
  chunks: readonly TimedChunk[],
  write: (bytes: Uint8Array) => Promise<void>,
  timers: Timers,
  options: PlaybackOptions & { separate?: boolean } = {},
): Promise<void> {
  const realtime = options.realtime ?? true;
  const start = timers.now();
  let i = 0;
  while (i < chunks.length) {
    const first = chunks[i];
    if (!first) break;
    if (realtime) {
      const wait = start + first.t - timers.now();
      if (wait > 0) await new Promise<void>((resolve) => timers.setTimeout(resolve, wait));
    }
    const batch: TimedChunk[] = [];
    // Late (a busy host), everything already due goes at once, as a serial port's buffer
    // hands over all it holds in one read.
    const limit = realtime
      ? Math.max(first.t + BATCH_MS, timers.now() - start)
      : Number.POSITIVE_INFINITY;
    while (i < chunks.length && batch.length < 64) {
      const chunk = chunks[i];
      if (!chunk || chunk.t > limit) break;
      batch.push(chunk);
      i += 1;
    }
    if (options.separate) for (const chunk of batch) await write(chunk.bytes);
    else await write(join(batch));
  }
}
