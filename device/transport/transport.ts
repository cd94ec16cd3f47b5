import type { TransportError } from './errors.js';

export type TransportEvent =
  | { type: 'data'; bytes: Uint8Array }
  | { type: 'error'; error: TransportError }
  | { type: 'close' };

export type TransportListener = (event: TransportEvent) => void;

export interface Transport {
  /** A stable description for logs: bus and path, never what was read. */
  readonly description: string;
  /** Writes are serialised: each resolves after the bytes were handed to the device. */
  write(bytes: Uint8Array): Promise<void>;
  on(listener: TransportListener): () => void;
  close(): Promise<void>;
}

/** A listener set that isolates listeners from each other: one that throws cannot stop the rest. */
export class TransportListeners {
  readonly #listeners = new Set<TransportListener>();

  add(listener: TransportListener): () => void {
    // A wrapper per registration, so the same function registered twice is two listeners.
    const entry: TransportListener = (event) => listener(event);
    this.#listeners.add(entry);
    return () => {
      this.#listeners.delete(entry);
    };
  }

  emit(event: TransportEvent): void {
    for (const listener of [...this.#listeners]) {
      try {
        listener(event);
      } catch {
        // A listener's bug must not break the transport or the other listeners.
      }
    }
  }

  clear(): void {
    this.#listeners.clear();
  }
}
