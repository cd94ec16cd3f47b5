import { stat } from 'node:fs/promises';

import { loadBinding } from './binding.js';
import type { BindingLoad } from './binding.js';
import { TransportError, toTransportError } from './errors.js';
import type { Timers } from './timers.js';
import { systemTimers } from './timers.js';
import { withTimeout } from './timeout.js';
import type { Transport, TransportListener } from './transport.js';
import { TransportListeners } from './transport.js';
import { createWriteQueue } from './write-queue.js';

export type SerialParity = 'none' | 'even' | 'odd' | 'mark' | 'space';
export type SerialFlowControl = 'none' | 'rtscts' | 'xonxoff';

export interface SerialOpenOptions {
  path: string;
  baudRate: number;
  dataBits?: 5 | 6 | 7 | 8;
  parity?: SerialParity;
  stopBits?: 1 | 1.5 | 2;
  flowControl?: SerialFlowControl;
  /** How long opening may take before it fails as a timeout (default 5 s). */
  openTimeoutMs?: number;
  /** How often the device node is checked for a hangup the read loop missed (default 1 s). */
  hangupCheckMs?: number;
}

/** A port as enumeration reports it; ids are numbers, absent for ports without USB ids. */
export interface SerialPortInfo {
  path: string;
  vendorId?: number;
  productId?: number;
  serialNumber?: string;
  manufacturer?: string;
}

/** What the device manager needs from a serial library; tests may pass a PTY-backed one. */
export interface SerialBinding {
  open(options: SerialOpenOptions): Promise<Transport>;
  list(): Promise<SerialPortInfo[]>;
}

// The parts of serialport 13 this adapter uses (structural, so a mock binding fits too).
type Callback = (error?: Error | null) => void;
interface SerialPortLike {
  open(callback: Callback): void;
  write(data: Buffer, callback: Callback): boolean;
  drain(callback: Callback): void;
  close(callback: Callback): void;
  on(event: 'data', listener: (chunk: Buffer) => void): unknown;
  on(event: 'error', listener: (error: Error) => void): unknown;
  on(event: 'close', listener: (error?: Error & { disconnected?: boolean }) => void): unknown;
  on(event: 'end', listener: () => void): unknown;
  readonly isOpen: boolean;
}
interface SerialPortConstructorLike {
  new (options: {
    path: string;
    baudRate: number;
    dataBits: 5 | 6 | 7 | 8;
    parity: SerialParity;
    stopBits: 1 | 1.5 | 2;
    rtscts: boolean;
    xon: boolean;
    xoff: boolean;
    autoOpen: false;
  }): SerialPortLike;
  list(): Promise<
    {
      path: string;
      vendorId?: string;
      productId?: string;
      serialNumber?: string;
      manufacturer?: string;
    }[]
  >;
}
export interface SerialPortModuleLike {
  SerialPort: SerialPortConstructorLike;
}

const hexId = (value: string | undefined): number | undefined => {
  if (value === undefined || !/^[0-9a-f]{1,4}$/i.test(value)) return undefined;
  return Number.parseInt(value, 16);
};

/** Wraps the serialport module (or anything shaped like it) as a SerialBinding. */
export function createSerialBinding(
  module: SerialPortModuleLike,
  timers: Timers = systemTimers,
): SerialBinding {
  const { SerialPort } = module;
  return {
    async list() {
      let ports;
      try {
        ports = await SerialPort.list();
      } catch (error) {
        // On Linux list() spawns `udevadm info -e`; without udev it fails (research §5.1).
        throw toTransportError(error, 'serial enumeration');
      }
      return ports.map((port) => {
        const info: SerialPortInfo = { path: port.path };
        const vendorId = hexId(port.vendorId);
        const productId = hexId(port.productId);
        if (vendorId !== undefined) info.vendorId = vendorId;
        if (productId !== undefined) info.productId = productId;
        if (port.serialNumber) info.serialNumber = port.serialNumber;
        if (port.manufacturer) info.manufacturer = port.manufacturer;
        return info;
      });
    },
    async open(options) {
      const description = `serial:${options.path}`;
      const flow = options.flowControl ?? 'none';
      let port: SerialPortLike;
      try {
        port = new SerialPort({
          path: options.path,
          baudRate: options.baudRate,
          dataBits: options.dataBits ?? 8,
          parity: options.parity ?? 'none',
          stopBits: options.stopBits ?? 1,
          rtscts: flow === 'rtscts',
          xon: flow === 'xonxoff',
          xoff: flow === 'xonxoff',
          autoOpen: false,
        });
      } catch (error) {
        // serialport validates options synchronously (an unsupported baud rate, say).
        throw toTransportError(error, description);
      }
      try {
        await withTimeout(
          new Promise<void>((resolve, reject) =>
            port.open((error) => (error ? reject(error) : resolve())),
          ),
          options.openTimeoutMs ?? 5000,
          `${description}: open`,
          timers,
        );
      } catch (error) {
        if (port.isOpen) port.close(() => undefined);
        throw toTransportError(error, description);
      }
      let node: { dev: number; ino: number; rdev: number } | undefined;
      try {
        node = await stat(options.path);
      } catch {
        node = undefined;
      }
      return wrapSerialPort(port, description, {
        path: options.path,
        node,
        timers,
        hangupCheckMs: options.hangupCheckMs ?? 1000,
      });
    },
  };
}

interface HangupWatch {
  path: string;
  node: { dev: number; ino: number; rdev: number } | undefined;
  timers: Timers;
  hangupCheckMs: number;
}

function wrapSerialPort(port: SerialPortLike, description: string, watch: HangupWatch): Transport {
  const listeners = new TransportListeners();
  let closed = false;
  let watchTimer: unknown;
  // The write in flight: a port that hangs up may never call its callback back.
  let abortWrite: ((error: TransportError) => void) | undefined;
  const queue = createWriteQueue(
    (bytes) =>
      new Promise<void>((resolve, reject) => {
        abortWrite = reject;
        if (closed) {
          reject(new TransportError(`${description}: disconnected`, 'disconnected'));
          return;
        }
        port.write(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength), (error) => {
          if (error) {
            reject(toTransportError(error, description));
            return;
          }
          // Resolved once the bytes left for the device, not when they were buffered.
          port.drain((drainError) =>
            drainError ? reject(toTransportError(drainError, description)) : resolve(),
          );
        });
      }),
    description,
  );

  function finish(): void {
    if (closed) return;
    closed = true;
    if (watchTimer !== undefined) watch.timers.clearTimeout(watchTimer);
    watchTimer = undefined;
    const gone = new TransportError(`${description}: disconnected`, 'disconnected');
    queue.close(gone);
    abortWrite?.(gone);
    abortWrite = undefined;
    listeners.emit({ type: 'close' });
    listeners.clear();
  }

  port.on('data', (chunk) => {
    if (!closed) listeners.emit({ type: 'data', bytes: new Uint8Array(chunk) });
  });
  port.on('error', (error) => {
    if (!closed) listeners.emit({ type: 'error', error: toTransportError(error, description) });
  });
  /**
   * serialport's unix read loop retries zero-byte reads forever, and a PTY whose other side hung
   * up returns exactly that: no error, no close. A device node that vanished or now names
   * another device is the hangup the read loop cannot see.
   */
  function checkNode(): void {
    watchTimer = undefined;
    if (closed || !watch.node) return;
    const expected = watch.node;
    stat(watch.path)
      .then(
        (now) => now.ino === expected.ino && now.dev === expected.dev && now.rdev === expected.rdev,
        () => false,
      )
      .then(
        (same) => {
          if (closed) return;
          if (same) {
            watchTimer = watch.timers.setTimeout(checkNode, watch.hangupCheckMs);
            return;
          }
          listeners.emit({
            type: 'error',
            error: new TransportError(`${description}: disconnected`, 'disconnected'),
          });
          finish();
          if (port.isOpen) port.close(() => undefined);
        },
        () => undefined,
      );
  }
  watchTimer = watch.timers.setTimeout(checkNode, watch.hangupCheckMs);

  port.on('end', () => {
    // A zero-byte read (a PTY whose other side hung up) ends the stream without a close event.
    if (closed) return;
    listeners.emit({
      type: 'error',
      error: new TransportError(`${description}: disconnected`, 'disconnected'),
    });
    finish();
    if (port.isOpen) port.close(() => undefined);
  });
  port.on('close', (error) => {
    if (error && !closed) {
      // An unplugged device closes the port with `disconnected: true` (EIO/EBADF on the fd).
      const reason = error.disconnected
        ? new TransportError(`${description}: disconnected`, 'disconnected', { cause: error })
        : toTransportError(error, description);
      listeners.emit({ type: 'error', error: reason });
    }
    finish();
  });

  return {
    description,
    write: (bytes) => queue.enqueue(bytes),
    on: (listener: TransportListener) => listeners.add(listener),
    close() {
      if (closed || !port.isOpen) {
        finish();
        return Promise.resolve();
      }
      return new Promise<void>((resolve) => {
        port.close(() => {
          finish();
          resolve();
        });
      });
    },
  };
}

/** Loads serialport lazily (its native binding may be missing); failures become a status. */
export function loadSerialBinding(
  importer: () => Promise<SerialPortModuleLike> = () => import('serialport'),
  timers: Timers = systemTimers,
): Promise<BindingLoad<SerialBinding>> {
  return loadBinding('serialport', importer, (module) => createSerialBinding(module, timers));
}
