import { TransportError } from './errors.js';
import { createOperationQueue } from './operation-queue.js';
import type { Transport, TransportListener } from './transport.js';
import { TransportListeners } from './transport.js';

/**
 * A HID device: `data` events carry input reports (report id first for numbered reports, as
 * hidraw delivers them), `write` sends an output report (report id first, 0 when unnumbered).
 * Feature reports go through the same one-at-a-time queue as writes.
 */
export interface HidTransport extends Transport {
  /** The feature report `reportId`; the returned buffer starts with the report id. */
  getFeatureReport(reportId: number, length: number): Promise<Uint8Array>;
  /** Sends a feature report; byte 0 is the report id. */
  sendFeatureReport(report: Uint8Array): Promise<void>;
  /** The report descriptor (sysfs on Linux); undefined when the platform does not expose it. */
  readReportDescriptor(): Promise<Uint8Array | undefined>;
}

/** What a simulated HID device answers; unanswered feature reads fail as a real device's would. */
export interface MemoryHidDeviceBehaviour {
  descriptor?: Uint8Array;
  getFeature?(reportId: number, length: number): Uint8Array | undefined;
  setFeature?(report: Uint8Array): void;
  output?(report: Uint8Array): void;
}

/** The device end of an in-memory HID transport (simulators and tests). */
export interface MemoryHidDevice {
  readonly host: HidTransport;
  /** Delivers an input report to the host (asynchronously, as from a device). */
  sendInputReport(report: Uint8Array): void;
  /** The device goes away after the reports already sent: the host sees `close`. */
  unplug(): void;
  readonly unplugged: boolean;
  /** Feature reports the host sent, in order. */
  readonly featureReports: readonly Uint8Array[];
  /** Output reports the host wrote, in order. */
  readonly outputReports: readonly Uint8Array[];
}

/** An in-memory HID device and its host-side transport. */
export function createMemoryHidDevice(
  behaviour: MemoryHidDeviceBehaviour,
  description = 'memory-hid',
): MemoryHidDevice {
  const listeners = new TransportListeners();
  const featureReports: Uint8Array[] = [];
  const outputReports: Uint8Array[] = [];
  const queue = createOperationQueue(description);
  let closed = false;
  const disconnected = (): TransportError =>
    new TransportError(`${description}: disconnected`, 'disconnected');

  function deviceOp<T>(operation: () => T): Promise<T> {
    return queue.run(async () => {
      await Promise.resolve();
      if (closed) throw disconnected();
      return operation();
    });
  }

  function shutdown(): void {
    if (closed) return;
    closed = true;
    queue.close(disconnected());
    listeners.emit({ type: 'close' });
    listeners.clear();
  }

  const host: HidTransport = {
    description,
    write(bytes) {
      const copy = Uint8Array.from(bytes);
      return deviceOp(() => {
        outputReports.push(copy);
        behaviour.output?.(copy);
      });
    },
    sendFeatureReport(report) {
      const copy = Uint8Array.from(report);
      return deviceOp(() => {
        featureReports.push(copy);
        behaviour.setFeature?.(copy);
      });
    },
    getFeatureReport(reportId, length) {
      return deviceOp(() => {
        const answer = behaviour.getFeature?.(reportId, length);
        if (!answer) {
          throw new TransportError(`${description}: feature report not supported`, 'io');
        }
        return answer.slice(0, length);
      });
    },
    readReportDescriptor: () => Promise.resolve(behaviour.descriptor?.slice()),
    on: (listener: TransportListener) => listeners.add(listener),
    close() {
      shutdown();
      return Promise.resolve();
    },
  };

  return {
    host,
    featureReports,
    outputReports,
    get unplugged() {
      return closed;
    },
    sendInputReport(report) {
      const copy = Uint8Array.from(report);
      queueMicrotask(() => {
        if (!closed) listeners.emit({ type: 'data', bytes: copy });
      });
    },
    unplug() {
      queueMicrotask(shutdown);
    },
  };
}
