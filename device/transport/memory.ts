import { TransportError } from './errors.js';
import type { Transport, TransportEvent, TransportListener } from './transport.js';
import { TransportListeners } from './transport.js';
import { createWriteQueue } from './write-queue.js';

/** An in-memory transport: what one end writes arrives as a data event at the other. */
export interface MemoryTransport extends Transport {
  readonly closed: boolean;
  /** Every chunk this end wrote, in order (for assertions in tests). */
  readonly written: readonly Uint8Array[];
  /** Emits an event at this end as if the device had produced it (faults in tests). */
  inject(event: TransportEvent): void;
}

class MemoryEnd implements MemoryTransport {
  readonly description: string;
  readonly written: Uint8Array[] = [];
  peer: MemoryEnd | undefined;
  #closed = false;
  readonly #listeners = new TransportListeners();
  readonly #queue;

  constructor(description: string) {
    this.description = description;
    this.#queue = createWriteQueue(async (bytes) => {
      // Delivery is asynchronous, as from a real device: never inside the writer's call stack.
      await Promise.resolve();
      const peer = this.peer;
      if (this.#closed || !peer || peer.closed) {
        throw new TransportError(`${this.description}: disconnected`, 'disconnected');
      }
      this.written.push(bytes);
      peer.inject({ type: 'data', bytes });
    }, description);
  }

  get closed(): boolean {
    return this.#closed;
  }

  write(bytes: Uint8Array): Promise<void> {
    return this.#queue.enqueue(bytes);
  }

  on(listener: TransportListener): () => void {
    return this.#listeners.add(listener);
  }

  inject(event: TransportEvent): void {
    if (this.#closed) return;
    this.#listeners.emit(event);
  }

  close(): Promise<void> {
    this.shutdownEnd();
    this.peer?.shutdownEnd();
    return Promise.resolve();
  }

  shutdownEnd(): void {
    if (this.#closed) return;
    this.#queue.close(new TransportError(`${this.description}: disconnected`, 'disconnected'));
    this.#listeners.emit({ type: 'close' });
    this.#closed = true;
    this.#listeners.clear();
  }
}

/** Two connected in-memory transports (host side, device side): for tests and simulators. */
export function createMemoryTransportPair(
  description = 'memory',
): [host: MemoryTransport, device: MemoryTransport] {
  const host = new MemoryEnd(`${description}:host`);
  const device = new MemoryEnd(`${description}:device`);
  host.peer = device;
  device.peer = host;
  return [host, device];
}
