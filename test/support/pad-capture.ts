/**
 * A simulated signature as the kiosk captures it from a simulated pad: played by the appliance's
 * simulated devices (device/simulators/virtual.ts) over the pad's wire protocol (Topaz serial
 * packets, or Wacom STU HID reports after the driver's set-up),
 * decoded by the pad's decoder with arrival times from the clock, and turned into the signature
 * JSON by the kiosk's own ink code (renderer/kiosk/ink.ts), then parsed as the core parses it.
 * The clock is virtual: a playback's timing is kept exactly, without waiting for it.
 */
import {
  TOPAZ_MODELS,
  createTopazDecoder,
  createWacomStuDecoder,
  decodeWacomCapability,
  wacomStuCommands,
  type PadEvent,
  type PadResolution,
} from '../../device/pads/index.js';
import {
  createSimulatedDevices,
  type SimulatedSignature,
  type SimulatedSigner,
} from '../../device/simulators/index.js';
import type { HidTransport, Timers } from '../../device/transport/index.js';
import { parseJsonSignature, type Signature } from '../../server/biometrics/signature/index.js';

/**
 * Virtual time: a timer fires on a later turn of the event loop, and its due time (plus any lag)
 * becomes now; as on a real clock, time moves on a little while the host works (each reading is
 * 2 µs after the one before). `lag`: a busy host's event loop, which runs a timer late by an
 * exponentially distributed delay of that mean (ms), from the seeded `random`.
 */
export class VirtualClock implements Timers {
  #now = 1_000;
  readonly #lag: { meanMs: number; random: () => number } | undefined;
  constructor(lag?: { meanMs: number; random: () => number }) {
    this.#lag = lag;
  }
  now(): number {
    this.#now += 0.005;
    return this.#now;
  }
  setTimeout(callback: () => void, ms: number): unknown {
    const late = this.#lag ? -Math.log(1 - this.#lag.random()) * this.#lag.meanMs : 0;
    const due = this.#now + Math.max(0, ms) + late;
    return setImmediate(() => {
      this.#now = Math.max(this.#now, due);
      callback();
    });
  }
  clearTimeout(handle: unknown): void {
    clearImmediate(handle as NodeJS.Immediate);
  }
}

/** What this helper uses of renderer/kiosk/ink.ts. */
interface KioskInk {
  strokeStart(): void;
  add(x: number, y: number, pressure: number, t: number): unknown;
  toJson(): Record<string, unknown>;
}
interface KioskInkModule {
  Ink: new (device: unknown) => KioskInk;
  padDevice(resolution: PadResolution): unknown;
}

/**
 * The kiosk's own ink code, loaded at run time: its drawing half is typed against the DOM, which
 * the core's tsconfig leaves out (renderer/ has its own).
 */
const KIOSK_INK = '../../renderer/kiosk/ink.js';
const kioskInk = (): Promise<KioskInkModule> => import(KIOSK_INK) as Promise<KioskInkModule>;

/** The kiosk's ink from pad events, as renderer/kiosk/signature-pad.tsx builds it from the SSE. */
async function inkOf(events: readonly PadEvent[]): Promise<Signature> {
  const { Ink, padDevice } = await kioskInk();
  let ink: KioskInk | undefined;
  for (const event of events) {
    if (event.type === 'sample') {
      ink ??= new Ink(padDevice(event.resolution));
      ink.add(event.x, event.y, event.pressure, event.t);
    } else if (event.type === 'strokeStart') {
      ink?.strokeStart();
    }
  }
  if (!ink) throw new Error('the pad sent no pen samples');
  return parseJsonSignature(JSON.stringify(ink.toJson()));
}

/** Waits until every microtask and immediate queued so far has run. */
const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

export type SimulatedPad = 'topaz' | 'wacom';

/** A simulated pad of the appliance's simulated devices, opened as its driver opens it. */
export interface SimulatedPadCapture {
  /** Plays a signature (the simulated person's next signing when none is given); its capture. */
  sign(signature?: SimulatedSignature): Promise<Signature>;
}

export async function openSimulatedPad(
  pad: SimulatedPad,
  options: { signer?: SimulatedSigner; clock?: VirtualClock } = {},
): Promise<SimulatedPadCapture> {
  const clock = options.clock ?? new VirtualClock();
  const simulated = createSimulatedDevices({
    timers: clock,
    ...(options.signer ? { signer: options.signer } : {}),
  });
  const device = simulated.devices.find(
    (d) => d.id === (pad === 'topaz' ? 'topaz-pad' : 'wacom-stu'),
  );
  if (!device) throw new Error(`no simulated ${pad} pad`);
  let events: PadEvent[] = [];
  let flush: () => PadEvent[];
  if (pad === 'topaz') {
    const host = await device.open();
    const decoder = createTopazDecoder({ model: TOPAZ_MODELS[0]!, now: () => clock.now() });
    host.on((e) => {
      if (e.type === 'data') events.push(...decoder.push(e.bytes));
    });
    flush = () => decoder.flush();
  } else {
    const host = (await device.open()) as HidTransport;
    const capability = decodeWacomCapability(await host.getFeatureReport(0x09, 17));
    if (!capability) throw new Error('the simulated Wacom sent no capability');
    const decoder = createWacomStuDecoder({ capability, now: () => clock.now() });
    host.on((e) => {
      if (e.type === 'data') events.push(...decoder.push(e.bytes));
    });
    // What the driver sends (device/drivers/pads.ts): time-stamped pen data, inking on.
    await host.sendFeatureReport(wacomStuCommands.penDataOptionMode(3));
    await host.sendFeatureReport(wacomStuCommands.inkingMode(true));
    flush = () => decoder.flush();
  }
  return {
    async sign(signature) {
      events = [];
      await simulated.sign(pad, signature);
      await settle();
      events.push(...flush());
      return inkOf(events);
    },
  };
}

/** One signature as the kiosk captures it from a freshly opened simulated pad. */
export async function captureOnPad(
  pad: SimulatedPad,
  signature: SimulatedSignature,
  clock?: VirtualClock,
): Promise<Signature> {
  return (await openSimulatedPad(pad, clock ? { clock } : {})).sign(signature);
}
