/**
 * A signature as it is being written: pen samples from the touch screen (pointer events) or a
 * pad (its pen stream over SSE), drawn as they arrive and turned into the verikiosk signature
 * JSON the core verifies (format `verikiosk.signature`, version 1).
 */
export interface InkSample {
  x: number;
  y: number;
  pressure: number;
  t: number;
  penDown: boolean;
  strokeStart: boolean;
}

export interface InkDevice {
  resolution: { value: number; unit: 'ppmm' | 'dpi' };
  samplingRateHz: number;
  pressureMax: number;
  /** The writing area in device units: where the ink is scaled from. */
  width: number;
  height: number;
  /** Declared units per sample unit: the signature's coordinates are the samples' times this. */
  unitScale: number;
}

/**
 * The touch screen as a device. The core accepts only what real pads declare (server/biometrics
 * signature/pads.ts: a HID digitizer has 100-5080 units per inch, 40-1000 reports per second):
 * CSS pixels (96 per inch) are declared at 100 per inch, coalesced pointer events at 240 Hz.
 */
export function screenDevice(width: number, height: number): InkDevice {
  return {
    resolution: { value: 100, unit: 'dpi' },
    samplingRateHz: 240,
    pressureMax: 1023,
    width,
    height,
    unitScale: 100 / 96,
  };
}

/** A Topaz-class pad's resolution when the pad does not report one (about 410 per inch). */
const UNREPORTED_UNITS_PER_INCH = 410;
/** The largest side such a pad's active area has, inches (the core refuses beyond 140 mm). */
const UNREPORTED_MAX_SIDE_INCHES = 5;

/** A pad as its pen stream's `resolution` event describes it. */
export function padDevice(resolution: {
  maxX?: number;
  maxY?: number;
  maxPressure?: number;
  unitsPerInch?: number | null;
}): InkDevice {
  const width = resolution.maxX || 1;
  const height = resolution.maxY || 1;
  const reported = resolution.unitsPerInch ?? null;
  const perInch = reported !== null && reported > 0 ? reported : UNREPORTED_UNITS_PER_INCH;
  // Without a reported resolution the area is mapped onto the largest such pad's.
  const unitScale =
    reported !== null && reported > 0
      ? 1
      : Math.min(1, (UNREPORTED_MAX_SIDE_INCHES * perInch) / Math.max(width, height));
  return {
    resolution: { value: perInch, unit: 'dpi' },
    samplingRateHz: reported !== null && reported > 0 ? 250 : 500,
    pressureMax: resolution.maxPressure ?? 0,
    width,
    height,
    unitScale,
  };
}

export class Ink {
  samples: InkSample[] = [];
  #nextStarts = true;
  constructor(public device: InkDevice) {}

  get empty(): boolean {
    return !this.samples.some((s) => s.penDown);
  }

  strokeStart(): void {
    this.#nextStarts = true;
  }

  add(x: number, y: number, pressure: number, t: number): InkSample {
    const sample: InkSample = {
      x,
      y,
      pressure,
      t,
      penDown: true,
      strokeStart: this.#nextStarts,
    };
    this.#nextStarts = false;
    this.samples.push(sample);
    return sample;
  }

  clear(): void {
    this.samples = [];
    this.#nextStarts = true;
  }

  /** The signature document the core takes (`SignatureCapture.signatures[]`). */
  toJson(): Record<string, unknown> {
    const t0 = this.samples[0]?.t ?? 0;
    return {
      format: 'verikiosk.signature',
      version: 1,
      device: {
        resolution: { ...this.device.resolution },
        samplingRateHz: this.device.samplingRateHz,
        pressureMax: this.device.pressureMax,
      },
      samples: this.samples.map((s) => ({
        x: Math.round(s.x * this.device.unitScale * 100) / 100,
        y: Math.round(s.y * this.device.unitScale * 100) / 100,
        pressure: Math.round(s.pressure),
        t: Math.round((s.t - t0) * 100) / 100,
        penDown: s.penDown,
        strokeStart: s.strokeStart,
      })),
    };
  }
}

/** Draws the ink on a canvas (the device's area scaled to fit), clearing it first. */
export function drawInk(canvas: HTMLCanvasElement, ink: Ink): void {
  const context = canvas.getContext('2d');
  if (!context) return;
  context.clearRect(0, 0, canvas.width, canvas.height);
  let previous: InkSample | null = null;
  for (const sample of ink.samples) {
    drawSegment(canvas, ink.device, sample.strokeStart ? null : previous, sample);
    previous = sample;
  }
}

/** Draws one sample's segment (from the previous sample of its stroke). */
export function drawSegment(
  canvas: HTMLCanvasElement,
  device: InkDevice,
  from: InkSample | null,
  to: InkSample,
): void {
  const context = canvas.getContext('2d');
  if (!context) return;
  const scale = Math.min(canvas.width / device.width, canvas.height / device.height);
  const pressure = device.pressureMax > 0 ? to.pressure / device.pressureMax : 0.5;
  context.strokeStyle = '#0b1f4d';
  context.lineCap = 'round';
  context.lineJoin = 'round';
  context.lineWidth = Math.max(1.5, (2 + 4 * pressure) * (canvas.width / 600));
  context.beginPath();
  const start = from ?? to;
  context.moveTo(start.x * scale, start.y * scale);
  context.lineTo(to.x * scale + (from ? 0 : 0.01), to.y * scale);
  context.stroke();
}
