/**
 * device/ — hardware: transports, protocol drivers, the device manager and simulators (SPEC DEV).
 * This file is device/'s only public surface; server/ reaches hardware through it alone.
 *
 * DEV-1: a transport is a tiny interface over bytes with typed events. Adapters over node-hid and
 * serialport implement it; protocol code never imports those libraries.
 */

export type TransportEvent =
  | { type: 'data'; bytes: Uint8Array }
  | { type: 'error'; error: TransportError }
  | { type: 'close' };

export interface Transport {
  /** A stable description for logs: bus and path, never what was read. */
  readonly description: string;
  /** Writes are serialised: each resolves after the bytes were handed to the device. */
  write(bytes: Uint8Array): Promise<void>;
  on(listener: (event: TransportEvent) => void): () => void;
  close(): Promise<void>;
}

/** The transport's one error type; `disconnected` and `timeout` say which expected failure it is. */
export class TransportError extends Error {
  override name = 'TransportError';
  constructor(
    message: string,
    readonly kind: 'disconnected' | 'timeout' | 'io',
  ) {
    super(message);
  }
}

export function isDisconnected(error: unknown): boolean {
  return error instanceof TransportError && error.kind === 'disconnected';
}
