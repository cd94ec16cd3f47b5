import type { TransportError } from './errors.js';
import { createOperationQueue } from './operation-queue.js';

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
  const operations = createOperationQueue(description);
  return {
    get pending() {
      return operations.pending;
    },
    enqueue(bytes) {
      // Copy: the caller may reuse its buffer before the write runs.
      const copy = Uint8Array.from(bytes);
      return operations.run(() => sink(copy));
    },
    close: (reason) => operations.close(reason),
  };
}
