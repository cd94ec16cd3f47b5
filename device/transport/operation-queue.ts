import { TransportError } from './errors.js';

export interface OperationQueue {
  /** Runs `operation` after every earlier one settled; its result or error is the caller's alone. */
  run<T>(operation: () => Promise<T>): Promise<T>;
  /** Rejects every queued operation that has not started and refuses new ones. */
  close(reason?: TransportError): void;
  readonly pending: number;
}

/**
 * The write queue's discipline for devices with more than one kind of request (HID output and
 * feature reports share one channel: hidapi is not safe for concurrent calls on one handle).
 */
export function createOperationQueue(description = 'transport'): OperationQueue {
  let tail: Promise<unknown> = Promise.resolve();
  let pending = 0;
  let closed: TransportError | undefined;
  return {
    get pending() {
      return pending;
    },
    run<T>(operation: () => Promise<T>): Promise<T> {
      if (closed) return Promise.reject(closed);
      pending += 1;
      const result = tail.then(() => {
        if (closed) throw closed;
        return operation();
      });
      const settled = result.finally(() => {
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
