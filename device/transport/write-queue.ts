import { TransportError } from './errors.js';

export interface WriteQueue {
  /** Queues bytes; resolves when the sink accepted them, after every earlier write settled. */
  enqueue(bytes: Uint8Array): Promise<void>;
  /** Rejects every queued write that has not started and refuses new ones. */
  close(reason?: TransportError): void;
  /** Writes queued or running. */
  readonly pending: number;
}

/**
 * One write at a time, in order (node-hid and serialport interleave concurrent writes). A failed
 * write rejects its own promise only; the queue goes on with the next one.
 */
export function createWriteQueue(
  sink: (bytes: Uint8Array) => Promise<void>,
  description = 'transport',
): WriteQueue {
  let tail: Promise<void> = Promise.resolve();
  let pending = 0;
  let closed: TransportError | undefined;

  return {
    get pending() {
      return pending;
    },
    enqueue(bytes) {
      if (closed) return Promise.reject(closed);
      // Copy: the caller may reuse its buffer before the write runs.
      const copy = Uint8Array.from(bytes);
      pending += 1;
      const run = tail.then(async () => {
        if (closed) throw closed;
        await sink(copy);
      });
      const settled = run.finally(() => {
        pending -= 1;
      });
      tail = settled.catch(() => undefined);
      return settled;
    },
    close(reason) {
      closed ??= reason ?? new TransportError(`${description}: closed`, 'disconnected');
    },
  };
}
