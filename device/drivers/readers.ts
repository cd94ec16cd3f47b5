import {
  createDelimitedFramer,
  createInterByteTimeoutFramer,
  createRteFramer,
  createStxEtxFramer,
  decodeRteOpticalData,
  startsLikeAamva,
} from '../framing/index.js';
import type { FrameEvent, Framer } from '../framing/index.js';
import {
  HONEYWELL_HID_MODE_FEATURE,
  SYMBOL_SIMPLE_COM_MAX_CHUNK,
  createHoneywellReassembler,
  createSymbolSimpleComDecoder,
} from '../scanners/index.js';
import type { ScanEvent } from '../scanners/index.js';
import type { HidTransport, Transport } from '../transport/index.js';
import { createDocumentRecognizer } from './documents.js';
import type {
  DeviceDriver,
  DeviceSettings,
  DiscardedReason,
  DriverContext,
  HidDriverFactory,
  SerialDriverFactory,
} from './types.js';

/** "0d0a" → CR LF; undefined for anything that is not whole hex bytes. */
export function hexBytes(text: string | undefined): Uint8Array | undefined {
  if (text === undefined || text.length === 0 || !/^(?:[0-9a-f]{2})+$/i.test(text))
    return undefined;
  const bytes = new Uint8Array(text.length / 2);
  for (let i = 0; i < bytes.length; i++)
    bytes[i] = Number.parseInt(text.slice(i * 2, i * 2 + 2), 16);
  return bytes;
}

function recognizerFor<D>(context: DriverContext<D>) {
  return createDocumentRecognizer<D>({
    timers: context.timers,
    ...(context.settings.mrzTimeoutMs === undefined
      ? {}
      : { mrzTimeoutMs: context.settings.mrzTimeoutMs }),
    parseDocument: context.parseDocument,
    emit: (event) => context.emit(event),
  });
}

/** A streaming framer behind one interface: push bytes, get events through a callback. */
interface StreamFramer {
  push(bytes: Uint8Array): void;
  /** Ends the stream: what is buffered is discarded (reported) — never emitted as a frame. */
  end(): void;
}

function streamFramer(
  settings: DeviceSettings,
  context: DriverContext<unknown>,
  onEvent: (event: FrameEvent) => void,
): StreamFramer {
  const max = settings.maxFrameBytes === undefined ? {} : { maxFrameBytes: settings.maxFrameBytes };
  const framing = settings.framing ?? 'stx-etx';
  if (framing === 'inter-byte-timeout') {
    // Bytes of the burst in progress: what an end of stream cuts off.
    let pending = 0;
    const timed = createInterByteTimeoutFramer({
      intervalMs: settings.intervalMs ?? 50,
      timers: context.timers,
      onEvent: (event) => {
        pending = 0;
        onEvent(event);
      },
      ...max,
    });
    return {
      push(bytes) {
        pending += bytes.length;
        timed.push(bytes);
      },
      end() {
        // A burst cut off by the end of the stream is not known to be whole.
        timed.dispose();
        if (pending > 0) onEvent({ type: 'discarded', reason: 'incomplete', bytes: pending });
        pending = 0;
      },
    };
  }
  let framer: Framer;
  if (framing === 'rte') framer = createRteFramer(max);
  else if (framing === 'suffix') {
    const prefix = hexBytes(settings.prefix);
    framer = createDelimitedFramer({
      suffix: hexBytes(settings.suffix) ?? Uint8Array.of(0x0d),
      ...(prefix ? { prefix } : {}),
      ...max,
    });
  } else framer = createStxEtxFramer(max);
  return {
    push: (bytes) => framer.push(bytes).forEach(onEvent),
    end: () => framer.flush().forEach(onEvent),
  };
}

/**
 * Serial MRZ/OCR readers and 2D scanners (CDC-ACM or RS-232): frames by STX/ETX, a suffix,
 * silence or the 3M RTE block; emits each frame as a raw read and, through the injected parser,
 * the document it holds.
 */
export const serialReaderDriver: SerialDriverFactory = {
  bus: 'serial',
  kind: 'reader',
  lineSettings: () => ({
    baudRate: 115200,
    dataBits: 8,
    parity: 'none',
    stopBits: 1,
    flowControl: 'none',
  }),
  create<D>(transport: Transport, context: DriverContext<D>): DeviceDriver {
    const recognizer = recognizerFor(context);
    const rte = context.settings.framing === 'rte';
    let stopping: 'disconnected' | 'stopped' | undefined;
    const framer = streamFramer(context.settings, context, (event) => {
      switch (event.type) {
        case 'frame': {
          context.emit({ type: 'read', read: { symbology: null, bytes: event.bytes } });
          // RTE text is [flag][data]: a barcode payload goes whole, OCR lines one by one.
          const data = rte ? event.bytes.subarray(1) : event.bytes;
          if (rte && !startsLikeAamva(data)) {
            const optical = decodeRteOpticalData(event.bytes);
            if (optical) recognizer.pushLines(optical.lines);
          } else recognizer.push(data);
          break;
        }
        case 'overflow':
          context.emit({
            type: 'discarded',
            reason: 'overflow',
            count: event.dropped,
            unit: 'bytes',
          });
          break;
        case 'discarded': {
          const reason: DiscardedReason =
            stopping === 'disconnected' && event.reason === 'incomplete'
              ? 'disconnected-mid-frame'
              : event.reason;
          context.emit({ type: 'discarded', reason, count: event.bytes, unit: 'bytes' });
          break;
        }
      }
    });
    let unsubscribe: (() => void) | undefined;
    return {
      start() {
        unsubscribe = transport.on((event) => {
          if (event.type === 'data') framer.push(event.bytes);
        });
        return Promise.resolve();
      },
      stop(reason) {
        unsubscribe?.();
        stopping = reason;
        framer.end();
        recognizer.flush();
        recognizer.dispose();
      },
    };
  },
};

function scanForwarder<D>(context: DriverContext<D>) {
  const recognizer = recognizerFor(context);
  return {
    recognizer,
    forward(event: ScanEvent, stopping?: 'disconnected' | 'stopped'): void {
      if (event.type === 'read') {
        context.emit({ type: 'read', read: { symbology: event.aim || null, bytes: event.bytes } });
        recognizer.push(event.bytes);
      } else {
        const reason: DiscardedReason =
          stopping === 'disconnected' && event.reason === 'incomplete'
            ? 'disconnected-mid-frame'
            : event.reason;
        context.emit({ type: 'discarded', reason, count: event.bytes, unit: 'bytes' });
      }
    },
  };
}

/** Honeywell HID POS scanners: 64-byte reports reassembled into reads (research §3.3). */
export const honeywellHidPosDriver: HidDriverFactory = {
  bus: 'hid',
  kind: 'reader',
  create<D>(transport: HidTransport, context: DriverContext<D>): DeviceDriver {
    const scans = scanForwarder(context);
    const reassembler = createHoneywellReassembler(
      context.settings.maxFrameBytes === undefined
        ? {}
        : { maxReadBytes: context.settings.maxFrameBytes },
    );
    let unsubscribe: (() => void) | undefined;
    return {
      async start() {
        unsubscribe = transport.on((event) => {
          if (event.type === 'data')
            for (const scan of reassembler.push(event.bytes)) scans.forward(scan);
        });
        try {
          await transport.sendFeatureReport(HONEYWELL_HID_MODE_FEATURE);
        } catch {
          context.emit({
            type: 'notice',
            message: 'the scanner refused the HID POS mode report; it may already be in that mode',
          });
        }
      },
      stop(reason) {
        unsubscribe?.();
        for (const scan of reassembler.flush()) scans.forward(scan, reason);
        scans.recognizer.flush();
        scans.recognizer.dispose();
      },
    };
  },
};

/** Symbol/Zebra "Simple COM Port Emulation" HID scanners (research §3.3). */
export const symbolSimpleComDriver: HidDriverFactory = {
  bus: 'hid',
  kind: 'reader',
  create<D>(transport: HidTransport, context: DriverContext<D>): DeviceDriver {
    const scans = scanForwarder(context);
    let pending = 0;
    const decoder = createSymbolSimpleComDecoder({
      timers: context.timers,
      onEvent: (scan) => {
        pending = 0;
        scans.forward(scan);
      },
      ...(context.settings.intervalMs === undefined
        ? {}
        : { quietMs: context.settings.intervalMs }),
    });
    let unsubscribe: (() => void) | undefined;
    return {
      start() {
        unsubscribe = transport.on((event) => {
          if (event.type !== 'data') return;
          const length = event.bytes[0] ?? 0;
          if (length <= SYMBOL_SIMPLE_COM_MAX_CHUNK && length < event.bytes.length)
            pending += length;
          decoder.push(event.bytes);
        });
        return Promise.resolve();
      },
      stop(reason) {
        unsubscribe?.();
        // A read still waiting for its quiet period is not known to be whole.
        decoder.dispose();
        if (pending > 0)
          scans.forward({ type: 'discarded', reason: 'incomplete', bytes: pending }, reason);
        pending = 0;
        scans.recognizer.flush();
        scans.recognizer.dispose();
      },
    };
  },
};
