import {
  TOPAZ_MODELS,
  WACOM_STU_MODELS,
  encodeTopazCoordinate,
  encodeWacomPenReport,
} from '../pads/index.js';
import type { TopazModel, WacomCapability } from '../pads/index.js';
import { createMemoryHidDevice, systemTimers } from '../transport/index.js';
import type { HidTransport, MemoryHidDevice, Timers, Transport } from '../transport/index.js';
import { playChunks } from './pacing.js';
import type { PlaybackOptions, TimedChunk } from './pacing.js';
import type { SimulatedSignature } from './signature.js';

const RAW_MAX = 0x0ffe;

/** The Topaz packets for a signature: pen-down coordinates, then a hover packet at each lift. */
export function topazPacketsFor(signature: SimulatedSignature, model: TopazModel): TimedChunk[] {
  const cal = model.calibration;
  const rawX = (x: number): number =>
    Math.round(cal ? cal.rawX[0] + x * (cal.rawX[1] - cal.rawX[0]) : x * RAW_MAX);
  const rawY = (y: number): number =>
    Math.round(cal ? cal.rawY[0] + y * (cal.rawY[1] - cal.rawY[0]) : y * RAW_MAX);
  const chunks: TimedChunk[] = [];
  for (const stroke of signature.strokes) {
    for (const p of stroke) {
      chunks.push({
        t: p.t,
        bytes: encodeTopazCoordinate({ x: rawX(p.x), y: rawY(p.y), near: true, down: true }),
      });
    }
    const last = stroke[stroke.length - 1];
    if (last) {
      chunks.push({
        t: last.t + 1,
        bytes: encodeTopazCoordinate({ x: rawX(last.x), y: rawY(last.y), near: true, down: false }),
      });
    }
  }
  return chunks;
}

export interface TopazPadSimulator {
  /** The device end it writes to (a PTY opened through serialport, or a memory transport). */
  attach(transport: Transport): void;
  /** Sends a signature; rejects as disconnected when the transport goes away mid-signature. */
  play(signature: SimulatedSignature, options?: PlaybackOptions): Promise<void>;
}

/** A virtual Topaz serial pad speaking the 5-byte packet protocol. */
export function createTopazPadSimulator(
  options: { transport?: Transport; model?: string; timers?: Timers } = {},
): TopazPadSimulator {
  const timers = options.timers ?? systemTimers;
  const model = TOPAZ_MODELS.find((m) => m.model === (options.model ?? 'SignatureGem1X5'));
  if (!model || model.packetFormat !== 0)
    throw new RangeError('the simulated Topaz model must use packet format 0');
  let transport = options.transport;
  return {
    attach(next) {
      transport = next;
    },
    async play(signature, playback = {}) {
      const target = transport;
      if (!target) throw new RangeError('the simulated pad is not attached to a transport');
      await playChunks(
        topazPacketsFor(signature, model),
        (bytes) => target.write(bytes),
        timers,
        playback,
      );
    },
  };
}

/** An STU-540's capability (tablet units: 2540 per inch). */
export const SIMULATED_WACOM_CAPABILITY: WacomCapability = {
  tabletMaxX: 9600,
  tabletMaxY: 6000,
  tabletMaxPressure: 1023,
  screenWidth: 800,
  screenHeight: 480,
  maxReportRate: 200,
  resolution: 2540,
  encodingFlag: 0x0f,
};

export function encodeWacomCapability(c: WacomCapability): Uint8Array {
  const r = new Uint8Array(17);
  const be16 = (at: number, v: number): void => {
    r[at] = (v >> 8) & 0xff;
    r[at + 1] = v & 0xff;
  };
  r[0] = 0x09;
  be16(1, c.tabletMaxX);
  be16(3, c.tabletMaxY);
  be16(5, c.tabletMaxPressure);
  be16(7, c.screenWidth);
  be16(9, c.screenHeight);
  r[11] = c.maxReportRate;
  be16(12, c.resolution);
  r[14] = c.encodingFlag;
  return r;
}

export interface WacomStuSimulator {
  /** Plugs a fresh simulated pad in and returns the host's transport to it. */
  connect(): HidTransport;
  /** The pad goes away (after the reports already sent). */
  unplug(): void;
  readonly device: MemoryHidDevice | undefined;
  /** True once the host switched inking on. */
  readonly inking: boolean;
  play(signature: SimulatedSignature, options?: PlaybackOptions): Promise<void>;
}

/** A virtual Wacom STU-540 over in-memory HID: capability, set-up reports, pen data (0x01 / 0x34). */
export function createWacomStuSimulator(options: { timers?: Timers } = {}): WacomStuSimulator {
  const timers = options.timers ?? systemTimers;
  const capability = SIMULATED_WACOM_CAPABILITY;
  let device: MemoryHidDevice | undefined;
  let optionMode = 0;
  let inking = false;
  let sequence = 0;
  const productId = WACOM_STU_MODELS.find((m) => m.model === 'STU-540')?.productId ?? 0xa8;
  return {
    get device() {
      return device;
    },
    get inking() {
      return inking;
    },
    connect() {
      optionMode = 0;
      inking = false;
      device = createMemoryHidDevice(
        {
          getFeature: (id) => (id === 0x09 ? encodeWacomCapability(capability) : undefined),
          setFeature: (report) => {
            if (report[0] === 0x32) optionMode = report[1] ?? 0;
            if (report[0] === 0x21) inking = report[1] === 1;
          },
        },
        `simulated-wacom-stu:${productId.toString(16)}`,
      );
      return device.host;
    },
    unplug() {
      device?.unplug();
    },
    async play(signature, playback = {}) {
      const target = device;
      if (!target) throw new RangeError('the simulated pad is not connected');
      const timed = optionMode === 3;
      const report = (p: { x: number; y: number; pressure: number; t: number }, down: boolean) =>
        encodeWacomPenReport({
          rdy: true,
          sw: down ? 1 : 0,
          pressure: down ? Math.round(p.pressure * capability.tabletMaxPressure) : 0,
          x: Math.round(p.x * capability.tabletMaxX),
          y: Math.round(p.y * capability.tabletMaxY),
          ...(timed ? { timeCount: p.t & 0xffff, sequence: sequence++ & 0xffff } : {}),
        });
      const chunks: TimedChunk[] = [];
      for (const stroke of signature.strokes) {
        for (const p of stroke) chunks.push({ t: p.t, bytes: report(p, true) });
        const last = stroke[stroke.length - 1];
        if (last) chunks.push({ t: last.t + 1, bytes: report({ ...last, t: last.t + 1 }, false) });
      }
      await playChunks(
        chunks,
        (bytes) => {
          if (target.unplugged)
            return Promise.reject(new RangeError('the simulated pad was unplugged'));
          target.sendInputReport(bytes);
          return Promise.resolve();
        },
        timers,
        { ...playback, separate: true },
      );
    },
  };
}
