import type { PadEvent } from '../pads/index.js';
import type { HidTransport, Timers, Transport } from '../transport/index.js';

/** What a reader hands to the injected document parser (server/documents in the core). */
export type DocumentInput = { kind: 'mrz'; text: string } | { kind: 'aamva'; bytes: Uint8Array };

/** Parses a read into the caller's document record; device/ never knows its shape. */
export type DocumentParser<D> = (input: DocumentInput) => D;

/** One complete read from a reader or scanner (personal data: never logged). */
export interface ReaderRead {
  /** AIM symbology id when the device reports one ("]L2" PDF417), else null. */
  symbology: string | null;
  bytes: Uint8Array;
}

/** Why data was thrown away; always with how much. */
export type DiscardedReason =
  | 'noise'
  | 'incomplete'
  | 'bad-checksum'
  | 'malformed'
  | 'overflow'
  | 'mrz-incomplete'
  | 'disconnected-mid-frame'
  | 'disconnected-mid-stroke';

export type DriverEvent<D> =
  | { type: 'pad'; event: PadEvent }
  | { type: 'read'; read: ReaderRead }
  | { type: 'document'; kind: DocumentInput['kind']; document: D }
  | {
      type: 'discarded';
      reason: DiscardedReason;
      count: number;
      unit: 'bytes' | 'samples' | 'lines';
    }
  /** Something the operator should know (unsupported mode, a failed set-up step); no device data. */
  | { type: 'notice'; message: string };

/** Per-device settings; each driver reads the ones it knows and ignores the rest. */
export interface DeviceSettings {
  /** Topaz model name (TOPAZ_MODELS) — also picks the line settings. */
  model?: string;
  baudRate?: number;
  dataBits?: 5 | 6 | 7 | 8;
  parity?: 'none' | 'even' | 'odd' | 'mark' | 'space';
  stopBits?: 1 | 1.5 | 2;
  flowControl?: 'none' | 'rtscts' | 'xonxoff';
  /** Serial reader framing (research §3.4): STX/ETX, a suffix (CR by default), silence, or 3M RTE. */
  framing?: 'stx-etx' | 'suffix' | 'inter-byte-timeout' | 'rte';
  /** Hex bytes such as "0d0a" for `suffix` framing (and an optional prefix). */
  suffix?: string;
  prefix?: string;
  /** Silence that ends a frame for `inter-byte-timeout` framing. */
  intervalMs?: number;
  /** How long MRZ lines that arrive one at a time may take to make a whole MRZ. */
  mrzTimeoutMs?: number;
  maxFrameBytes?: number;
}

export interface DriverContext<D> {
  settings: DeviceSettings;
  timers: Timers;
  emit(event: DriverEvent<D>): void;
  parseDocument?: DocumentParser<D> | undefined;
}

/** A protocol driver bound to one open transport. */
export interface DeviceDriver {
  /** Sets the device up (capabilities, modes) and starts decoding; rejects with typed errors. */
  start(): Promise<void>;
  /**
   * The transport closed (`disconnected`) or the manager stops it (`stopped`): decoders are
   * flushed and partial data is reported as discarded, never as complete.
   */
  stop(reason: 'disconnected' | 'stopped'): void;
}

/** Serial line settings a driver asks for (the device entry's settings override them). */
export interface SerialLineSettings {
  baudRate: number;
  dataBits: 5 | 6 | 7 | 8;
  parity: 'none' | 'even' | 'odd' | 'mark' | 'space';
  stopBits: 1 | 1.5 | 2;
  flowControl: 'none' | 'rtscts' | 'xonxoff';
}

export interface HidDriverFactory {
  bus: 'hid';
  kind: 'pad' | 'reader';
  create<D>(transport: HidTransport, context: DriverContext<D>): DeviceDriver;
}

export interface SerialDriverFactory {
  bus: 'serial';
  kind: 'pad' | 'reader';
  lineSettings(settings: DeviceSettings): SerialLineSettings;
  create<D>(transport: Transport, context: DriverContext<D>): DeviceDriver;
}

export type DriverFactory = HidDriverFactory | SerialDriverFactory;
