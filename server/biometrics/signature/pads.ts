/**
 * What real signature pads produce (SIG-1): the device facts a signature declares, and the
 * values it carries, are checked against a table of known pads before anything is scored. A
 * signature is data an integrator (or an attacker) submits; its declared resolution, sampling
 * rate and pressure range are claims, and a claim no real pad makes is refused with a reason
 * code, never scored.
 *
 * The verifier does not rely on these facts for its distances (features.ts normalises every
 * channel by the signature's own spread and measures speed in the signature's own size, and the
 * feature rate follows the timestamps); this check bounds the numbers so that nothing
 * degenerate (1e-300 mm per unit, coordinates at 1e9, a million samples in a second) reaches the
 * arithmetic at all.
 *
 * Sources (../shared/research/hardware.md and the pad vendors' data sheets): Wacom STU pads
 * report 2540 units per inch (100 per mm) over at most ~108 × 77 mm, 1024 (STU-300: 512)
 * pressure levels and 200 reports per second; Topaz SignatureGem/SigLite pads have about 410
 * points per inch over at most 5 × 4 inches, touch only or 10-bit pressure, and serial pads
 * deliver 100–500 points per second as they arrive; generic HID digitizers (signotec, ePad,
 * graphics tablets such as SVC2004's Wacom Intuos at 2540 lines per inch and 100 Hz) declare
 * 100–5080 units per inch over up to a 27-inch display, and up to 16-bit pressure.
 */
import { SIGNATURE_LIMITS, type Signature, type SignatureDevice } from './model.js';

export interface SignaturePadProfile {
  readonly name: string;
  /** Device units per millimetre the pad can declare, inclusive. */
  readonly unitsPerMm: { readonly min: number; readonly max: number };
  /** Reports per second, inclusive. */
  readonly samplingRateHz: { readonly min: number; readonly max: number };
  /**
   * Full-scale pressure, inclusive; 0 (no sensor) and 1 (touch only) are allowed where
   * `noPressure` or `touchOnly` say so.
   */
  readonly pressureMax: { readonly min: number; readonly max: number };
  readonly noPressure: boolean;
  readonly touchOnly: boolean;
  /** The longer and the shorter side of the largest active area, mm. */
  readonly maxSideMm: { readonly long: number; readonly short: number };
}

export const KNOWN_SIGNATURE_PADS: readonly SignaturePadProfile[] = [
  {
    name: 'Wacom STU',
    unitsPerMm: { min: 99, max: 101 },
    samplingRateHz: { min: 100, max: 250 },
    pressureMax: { min: 255, max: 1023 },
    noPressure: false,
    touchOnly: false,
    maxSideMm: { long: 120, short: 90 },
  },
  {
    name: 'Topaz SignatureGem/SigLite',
    unitsPerMm: { min: 300 / 25.4, max: 520 / 25.4 },
    samplingRateHz: { min: 40, max: 500 },
    pressureMax: { min: 1023, max: 1023 },
    noPressure: true,
    touchOnly: true,
    maxSideMm: { long: 140, short: 110 },
  },
  {
    name: 'HID digitizer',
    unitsPerMm: { min: 100 / 25.4, max: 5080 / 25.4 },
    samplingRateHz: { min: 40, max: 1000 },
    pressureMax: { min: 255, max: 65535 },
    noPressure: true,
    touchOnly: true,
    maxSideMm: { long: 620, short: 360 },
  },
];

/** Why a signature's declared facts or values are refused. */
export type SignatureInputProblem =
  /** No known pad declares this resolution, sampling rate and pressure range together. */
  | 'unknown_device'
  /** A coordinate outside the declared pad's active area (or negative). */
  | 'coordinate_out_of_range'
  /** A pressure above the declared full scale, or pressure on a pad without a sensor. */
  | 'pressure_out_of_range'
  /** A timestamp that is not finite or beyond the time bound. */
  | 'time_out_of_range'
  /** More samples, or samples closer together, than the declared sampling rate can produce. */
  | 'too_many_samples'
  /** Pen-down samples spanning more than a pad session lasts. */
  | 'too_long'
  /** The enrolment recorded pen pressure and the probe declares, or carries, none. */
  | 'pressure_missing';

/** Longest pen-down span a signature may have, ms (quality refuses far shorter ones). */
export const MAX_SIGNATURE_SPAN_MS = 120_000;

/**
 * Timestamps may be jittery (serial pads stamp on arrival, SVC2004's tablet sometimes stamps
 * early): the samples may be this many times denser than the declared rate, no more.
 */
const RATE_TOLERANCE = 2;

export type SignatureInputCheck =
  | { readonly ok: true; readonly pad: SignaturePadProfile }
  | { readonly ok: false; readonly problem: SignatureInputProblem; readonly message: string };

function unitsPerMm(device: SignatureDevice): number {
  const { value, unit } = device.resolution;
  return unit === 'ppmm' ? value : value / 25.4;
}

const within = (v: number, r: { readonly min: number; readonly max: number }): boolean =>
  Number.isFinite(v) && v >= r.min && v <= r.max;

/** The known pads whose facts the declared device matches, in table order. */
export function matchingPads(device: SignatureDevice): SignaturePadProfile[] {
  const perMm = unitsPerMm(device);
  return KNOWN_SIGNATURE_PADS.filter(
    (pad) =>
      within(perMm, pad.unitsPerMm) &&
      within(device.samplingRateHz, pad.samplingRateHz) &&
      (within(device.pressureMax, pad.pressureMax) ||
        (pad.noPressure && device.pressureMax === 0) ||
        (pad.touchOnly && device.pressureMax === 1)),
  );
}

/**
 * Checks a signature against what a real pad can produce: the declared device against the table
 * of known pads, every coordinate within the pad's active area, pressure within its full scale,
 * timestamps finite and bounded, and no more samples than its sampling rate allows. Total: any
 * object shaped like a Signature gets an answer, never an exception.
 */
export function checkSignatureInput(signature: Signature): SignatureInputCheck {
  const refuse = (problem: SignatureInputProblem, message: string): SignatureInputCheck => ({
    ok: false,
    problem,
    message,
  });
  const device = signature.device;
  const resolution = device.resolution;
  if (
    (resolution.unit !== 'ppmm' && resolution.unit !== 'dpi') ||
    typeof resolution.value !== 'number' ||
    typeof device.samplingRateHz !== 'number' ||
    typeof device.pressureMax !== 'number'
  ) {
    return refuse('unknown_device', 'the declared device is not a signature pad');
  }
  const pads = matchingPads(device);
  if (pads.length === 0) {
    return refuse(
      'unknown_device',
      'no known signature pad has the declared resolution, sampling rate and pressure range',
    );
  }
  const samples = signature.samples;
  if (samples.length > SIGNATURE_LIMITS.maxSamples) {
    return refuse('too_many_samples', 'more samples than a signature pad records');
  }
  // The widest active area among the matching pads, in device units (either orientation).
  const perMm = unitsPerMm(device);
  const pad = pads.reduce((a, b) => (b.maxSideMm.long > a.maxSideMm.long ? b : a));
  const longUnits = pad.maxSideMm.long * perMm;
  const shortUnits = pad.maxSideMm.short * perMm;
  let minX = Infinity;
  let maxX = -Infinity;
  let minY = Infinity;
  let maxY = -Infinity;
  for (const s of samples) {
    if (!(s.x >= 0 && s.x <= longUnits && s.y >= 0 && s.y <= longUnits)) {
      return refuse('coordinate_out_of_range', 'a coordinate lies outside the pad');
    }
    if (!(s.pressure >= 0 && s.pressure <= device.pressureMax)) {
      return refuse('pressure_out_of_range', 'a pressure exceeds the pad’s full scale');
    }
    if (!(Math.abs(s.t) <= SIGNATURE_LIMITS.maxTime)) {
      return refuse('time_out_of_range', 'a timestamp is out of range');
    }
    if (s.penDown) {
      minX = Math.min(minX, s.x);
      maxX = Math.max(maxX, s.x);
      minY = Math.min(minY, s.y);
      maxY = Math.max(maxY, s.y);
    }
  }
  if (
    minX <= maxX &&
    (Math.max(maxX - minX, maxY - minY) > longUnits ||
      Math.min(maxX - minX, maxY - minY) > shortUnits)
  ) {
    return refuse('coordinate_out_of_range', 'the ink is larger than the pad');
  }
  if (samples.length > 1) {
    const span = Math.abs(samples[samples.length - 1]!.t - samples[0]!.t);
    if (span > MAX_SIGNATURE_SPAN_MS) {
      return refuse('too_long', 'the samples span longer than a signing session');
    }
    // A pad reports at most samplingRateHz samples per second (plus one at the start).
    const allowed = (span / 1000) * device.samplingRateHz * RATE_TOLERANCE + 2;
    if (samples.length > allowed) {
      return refuse('too_many_samples', 'more samples per second than the pad reports');
    }
  }
  return { ok: true, pad: pads[0]! };
}
