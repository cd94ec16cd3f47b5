import { StrokeTracker } from './events.js';
import type { PadEvent, PadResolution } from './events.js';

/** Raw-to-logical mapping of one model (topaz.js model table). */
export interface TopazCalibration {
  rawX: readonly [min: number, max: number];
  rawY: readonly [min: number, max: number];
  logicalWidth: number;
  logicalHeight: number;
}

export interface TopazModel {
  model: string;
  baudRate: number;
  dataBits: 7 | 8;
  parity: 'odd';
  stopBits: 1;
  /** 0: the 5-byte sync-bit packet; 1: the 7-bit LCD 1X5 variant (not decoded yet). */
  packetFormat: 0 | 1;
  /** Undefined until measured on the model: raw coordinates are passed through. */
  calibration?: TopazCalibration;
}

/** Line settings and calibration per model (research §2.1, from topaz.js). */
export const TOPAZ_MODELS: readonly TopazModel[] = [
  {
    model: 'SignatureGem1X5',
    baudRate: 19200,
    dataBits: 8,
    parity: 'odd',
    stopBits: 1,
    packetFormat: 0,
    calibration: { rawX: [400, 2400], rawY: [350, 950], logicalWidth: 2000, logicalHeight: 600 },
  },
  {
    model: 'SignatureGemLCD1X5',
    baudRate: 19200,
    dataBits: 7,
    parity: 'odd',
    stopBits: 1,
    packetFormat: 1,
  },
  {
    model: 'SignatureGem4X5',
    baudRate: 19200,
    dataBits: 8,
    parity: 'odd',
    stopBits: 1,
    packetFormat: 0,
  },
  {
    model: 'SigLite1X5',
    baudRate: 19200,
    dataBits: 8,
    parity: 'odd',
    stopBits: 1,
    packetFormat: 0,
  },
  {
    model: 'SigLiteLCD1X5',
    baudRate: 19200,
    dataBits: 8,
    parity: 'odd',
    stopBits: 1,
    packetFormat: 0,
  },
  {
    model: 'SigLiteLCD4X5',
    baudRate: 38400,
    dataBits: 8,
    parity: 'odd',
    stopBits: 1,
    packetFormat: 0,
  },
  { model: 'ClipGem', baudRate: 9600, dataBits: 8, parity: 'odd', stopBits: 1, packetFormat: 0 },
  {
    model: 'SigGemColor57',
    baudRate: 115200,
    dataBits: 8,
    parity: 'odd',
    stopBits: 1,
    packetFormat: 0,
  },
];

export type TopazPacket =
  | { kind: 'coordinate'; near: boolean; down: boolean; x: number; y: number }
  | { kind: 'pressure'; near: boolean; down: boolean; pressure: number }
  | { kind: 'info'; model: number; serial: number }
  | { kind: 'no-data' }
  | { kind: 'unknown'; packetType: number }
  | { kind: 'invalid' };

/** Decodes one 5-byte "fmt 0" packet (b0 has bit 7 set, b1..b4 have it clear). */
export function decodeTopazPacket(packet: Uint8Array): TopazPacket {
  const [b0, b1, b2, b3, b4] = packet;
  if (
    packet.length !== 5 ||
    b0 === undefined ||
    b1 === undefined ||
    b2 === undefined ||
    b3 === undefined ||
    b4 === undefined ||
    (b0 & 0x80) === 0 ||
    ((b1 | b2 | b3 | b4) & 0x80) !== 0
  ) {
    return { kind: 'invalid' };
  }
  const near = (b0 & 0x40) !== 0;
  const down = (b0 & 0x01) !== 0;
  const packetType = (b0 >> 2) & 0x07;
  switch (packetType) {
    case 0:
    case 1:
    case 4: {
      // waxbee also rejects coordinate digits with bits 5..6 set.
      if ((b2 & 0xe0) !== 0 || (b4 & 0xe0) !== 0) return { kind: 'invalid' };
      const x = ((b2 & 0x1f) << 7) | (b1 & 0x7f);
      const y = ((b4 & 0x1f) << 7) | (b3 & 0x7f);
      if (x === 0x0fff && y === 0x0fff) return { kind: 'no-data' };
      return { kind: 'coordinate', near, down, x, y };
    }
    case 7:
      return { kind: 'pressure', near, down, pressure: ((b4 & 0x07) << 7) | (b3 & 0x7f) };
    case 2: {
      const d0 = b1 | (b2 << 7);
      const d1 = b3 | (b4 << 7);
      return { kind: 'info', model: (d0 & 0xfc) >> 2, serial: ((d0 & 0x03) << 16) | d1 };
    }
    default:
      return { kind: 'unknown', packetType };
  }
}

export interface TopazDecoderStats {
  packets: number;
  /** Packets cut short by a new sync byte, or invalid. */
  dropped: number;
  /** Bytes outside any packet (before the first sync byte). */
  noiseBytes: number;
}

export interface TopazDecoder {
  push(chunk: Uint8Array): PadEvent[];
  /** End of stream: a stroke in progress ends, a partial packet is dropped. */
  flush(): PadEvent[];
  readonly stats: Readonly<TopazDecoderStats>;
  /** From the last info packet, when the pad sent one. */
  readonly info: { model: number; serial: number } | undefined;
}

const RAW_MAX = 0x0fff;

function mapAxis(raw: number, [min, max]: readonly [number, number], size: number): number {
  const value = ((raw - min) * size) / (max - min);
  return Math.min(size, Math.max(0, Math.round(value)));
}

/**
 * Serial Topaz pads: bytes in, pad events out. Serial packets carry no time, so `now()` stamps
 * them as they arrive. Basic pads report touch only: pressure is 1 while down unless the pad
 * also sends pressure packets (type 7, 10 bits).
 */
export function createTopazDecoder(options: {
  model: TopazModel;
  now: () => number;
}): TopazDecoder {
  const { model, now } = options;
  if (model.packetFormat !== 0) {
    throw new RangeError(`Topaz packet format ${model.packetFormat} is not supported yet`);
  }
  const calibration = model.calibration;
  let pressureScale = 1;
  const resolution = (): PadResolution => ({
    maxX: calibration ? calibration.logicalWidth : RAW_MAX,
    maxY: calibration ? calibration.logicalHeight : RAW_MAX,
    maxPressure: pressureScale,
    unitsPerInch: null,
  });
  const stats: TopazDecoderStats = { packets: 0, dropped: 0, noiseBytes: 0 };
  const packet = new Uint8Array(5);
  let filled = 0;
  let lastPressure: number | undefined;
  let info: { model: number; serial: number } | undefined;
  const tracker = new StrokeTracker();

  function handle(decoded: TopazPacket, t: number, out: PadEvent[]): void {
    stats.packets += 1;
    switch (decoded.kind) {
      case 'coordinate': {
        const x = calibration
          ? mapAxis(decoded.x, calibration.rawX, calibration.logicalWidth)
          : decoded.x;
        const y = calibration
          ? mapAxis(decoded.y, calibration.rawY, calibration.logicalHeight)
          : decoded.y;
        const contact = decoded.down;
        const pressure = contact ? (lastPressure ?? 1) : 0;
        tracker.update(contact, { x, y, pressure, t }, resolution(), out);
        break;
      }
      case 'pressure':
        pressureScale = 1023;
        lastPressure = decoded.pressure;
        if (!decoded.down) tracker.lift(t, out);
        break;
      case 'info':
        info = { model: decoded.model, serial: decoded.serial };
        break;
      case 'invalid':
        stats.packets -= 1;
        stats.dropped += 1;
        break;
      case 'no-data':
      case 'unknown':
        break;
    }
  }

  return {
    stats,
    get info() {
      return info;
    },
    push(chunk) {
      const out: PadEvent[] = [];
      // The packets of one read arrived together: one arrival time for all of them (the clock
      // moving on while they are decoded is not pen time, and would read as a far faster pad).
      const t = now();
      for (const byte of chunk) {
        if ((byte & 0x80) !== 0) {
          if (filled > 0) stats.dropped += 1;
          packet[0] = byte;
          filled = 1;
        } else if (filled === 0) {
          stats.noiseBytes += 1;
        } else {
          packet[filled++] = byte;
          if (filled === 5) {
            filled = 0;
            handle(decodeTopazPacket(packet), t, out);
          }
        }
      }
      return out;
    },
    flush() {
      const out: PadEvent[] = [];
      if (filled > 0) stats.dropped += 1;
      filled = 0;
      tracker.lift(now(), out);
      return out;
    },
  };
}

/** Encodes a "fmt 0" coordinate packet (simulators and tests). */
export function encodeTopazCoordinate(p: {
  x: number;
  y: number;
  near: boolean;
  down: boolean;
}): Uint8Array {
  const x = p.x & 0x0fff;
  const y = p.y & 0x0fff;
  return Uint8Array.of(
    0x80 | (p.near ? 0x40 : 0) | (p.down ? 0x01 : 0),
    x & 0x7f,
    (x >> 7) & 0x1f,
    y & 0x7f,
    (y >> 7) & 0x1f,
  );
}
