/**
 * The online signature model (SIG-1): pen samples with the capture device's properties, and
 * their two interchange formats, verikiosk JSON and the SVC2004 text format.
 *
 * Parsers are total: any input either parses or fails with a {@link SignatureFormatError}.
 */

/** One pen sample. Coordinates in device units, time in milliseconds. */
export interface SignatureSample {
  readonly x: number;
  readonly y: number;
  /** 0…device.pressureMax; 0 on devices without pressure (pressureMax 0). */
  readonly pressure: number;
  /** Milliseconds; only differences matter. */
  readonly t: number;
  /** False for hover samples (pen in range but lifted). */
  readonly penDown: boolean;
  /** True on the first sample of a stroke (after a lift, whether or not the lift was recorded). */
  readonly strokeStart: boolean;
  /** Pen azimuth and altitude in tenths of a degree, when the device reports them. */
  readonly azimuth?: number;
  readonly altitude?: number;
}

export type ResolutionUnit = 'ppmm' | 'dpi';

export interface SignatureDevice {
  /** Device units per millimetre ('ppmm') or per inch ('dpi'). */
  readonly resolution: { readonly value: number; readonly unit: ResolutionUnit };
  readonly samplingRateHz: number;
  /** Full-scale pressure value; 0 when the device has no pressure sensor. */
  readonly pressureMax: number;
}

export interface Signature {
  readonly device: SignatureDevice;
  readonly samples: readonly SignatureSample[];
}

/**
 * The SVC2004 tablet (a WACOM Intuos): 2540 lines per inch (100 per mm), about 100 Hz,
 * pressure 0–1023. Task 1 files carry no pressure, so they are read with pressureMax 0.
 */
export const SVC2004_DEVICE: SignatureDevice = {
  resolution: { value: 100, unit: 'ppmm' },
  samplingRateHz: 100,
  pressureMax: 1023,
};

/** Limits that keep a hostile file from exhausting memory or producing absurd numbers. */
export const SIGNATURE_LIMITS = {
  maxSamples: 100_000,
  maxTextLength: 10_000_000,
  /** Bound on |x|, |y|, pressure, azimuth, altitude. */
  maxCoordinate: 1e9,
  /** Bound on |t| in ms (year 2286 as a Unix time). */
  maxTime: 1e13,
} as const;

export class SignatureFormatError extends Error {
  override name = 'SignatureFormatError';
  /** 1-based line of the text input, or null for JSON input. */
  readonly line: number | null;
  constructor(message: string, line: number | null) {
    super(line === null ? message : `line ${line}: ${message}`);
    this.line = line;
  }
}

/** Millimetres per device unit. */
export function mmPerUnit(device: SignatureDevice): number {
  const perMm =
    device.resolution.unit === 'ppmm' ? device.resolution.value : device.resolution.value / 25.4;
  return 1 / perMm;
}

/**
 * Whether the signature's pressure carries information: a pressure scale finer than touch or no
 * touch (a touch-only pad reports pressureMax 1) and at least two pressure levels among the
 * pen-down samples. A constant pressure (every sample 1 on a touch-only pad, or a pad that sends
 * a fixed value) tells nothing, and is scored as without pressure (its own channels, calibration
 * and threshold), not as a flat pressure channel under the with-pressure threshold.
 */
export function hasPressure(signature: Signature): boolean {
  if (signature.device.pressureMax <= 1) return false;
  let level: number | null = null;
  for (const s of signature.samples) {
    if (!s.penDown) continue;
    if (level === null) level = s.pressure;
    else if (s.pressure !== level) return true;
  }
  return false;
}

// ---------------------------------------------------------------------------------------------
// SVC2004 text format

export interface SvcParseOptions {
  /** Device to attach; defaults to SVC2004_DEVICE (pressureMax 0 for 4-column files). */
  readonly device?: SignatureDevice;
}

const NUMBER = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

function parseNumber(token: string, what: string, bound: number, line: number): number {
  if (!NUMBER.test(token)) throw new SignatureFormatError(`${what} is not a number`, line);
  const value = Number(token);
  if (!Number.isFinite(value) || Math.abs(value) > bound) {
    throw new SignatureFormatError(`${what} is out of range`, line);
  }
  return value;
}

/**
 * Reads the SVC2004 text format: line 1 holds N, then N rows of `x y t button` (Task 1) or
 * `x y t button azimuth altitude pressure` (Task 2). All rows must have the same column count.
 * In the files, button 0 marks the first sample of a stroke (the tablet did not record pen-up
 * travel), so every row is a pen-down sample, and button 0 (or the first row) sets strokeStart.
 */
export function parseSvcSignature(text: string, options: SvcParseOptions = {}): Signature {
  if (typeof text !== 'string') throw new SignatureFormatError('input is not text', null);
  if (text.length > SIGNATURE_LIMITS.maxTextLength) {
    throw new SignatureFormatError('input is too large', 1);
  }
  const lines = text.split(/\r?\n/);
  // Trailing empty lines are tolerated; anything else after the N rows is not.
  while (lines.length > 0 && lines[lines.length - 1]!.trim() === '') lines.pop();
  if (lines.length === 0) throw new SignatureFormatError('empty input', 1);
  const header = lines[0]!.trim();
  if (!/^\d+$/.test(header)) {
    throw new SignatureFormatError('first line must be the number of points', 1);
  }
  const count = Number(header);
  if (count < 1) throw new SignatureFormatError('the number of points must be at least 1', 1);
  if (count > SIGNATURE_LIMITS.maxSamples) {
    throw new SignatureFormatError('the number of points is too large', 1);
  }
  if (lines.length - 1 < count) {
    throw new SignatureFormatError(
      `expected ${count} points, found ${lines.length - 1}`,
      lines.length + 1,
    );
  }
  if (lines.length - 1 > count) {
    throw new SignatureFormatError(`expected ${count} points, found more`, count + 2);
  }
  let columns = 0;
  const samples: SignatureSample[] = [];
  for (let i = 1; i <= count; i++) {
    const lineNo = i + 1;
    const tokens = lines[i]!.trim().split(/[ \t]+/);
    if (columns === 0) {
      if (tokens.length !== 4 && tokens.length !== 7) {
        throw new SignatureFormatError(`expected 4 or 7 columns, found ${tokens.length}`, lineNo);
      }
      columns = tokens.length;
    } else if (tokens.length !== columns) {
      throw new SignatureFormatError(`expected ${columns} columns, found ${tokens.length}`, lineNo);
    }
    const { maxCoordinate, maxTime } = SIGNATURE_LIMITS;
    const x = parseNumber(tokens[0]!, 'x', maxCoordinate, lineNo);
    const y = parseNumber(tokens[1]!, 'y', maxCoordinate, lineNo);
    const t = parseNumber(tokens[2]!, 'timestamp', maxTime, lineNo);
    const button = parseNumber(tokens[3]!, 'button', maxCoordinate, lineNo);
    if (columns === 7) {
      const azimuth = parseNumber(tokens[4]!, 'azimuth', maxCoordinate, lineNo);
      const altitude = parseNumber(tokens[5]!, 'altitude', maxCoordinate, lineNo);
      const pressure = parseNumber(tokens[6]!, 'pressure', maxCoordinate, lineNo);
      if (pressure < 0) throw new SignatureFormatError('pressure is negative', lineNo);
      samples.push({
        x,
        y,
        t,
        pressure,
        penDown: true,
        strokeStart: button === 0 || i === 1,
        azimuth,
        altitude,
      });
    } else {
      samples.push({ x, y, t, pressure: 0, penDown: true, strokeStart: button === 0 || i === 1 });
    }
  }
  const device =
    options.device ?? (columns === 7 ? SVC2004_DEVICE : { ...SVC2004_DEVICE, pressureMax: 0 });
  return { device, samples };
}

/**
 * Writes the SVC2004 text format: 7 columns when the device has pressure, else 4. Hover samples
 * are not representable there and are left out. Missing angles are written as 0.
 */
export function formatSvcSignature(signature: Signature): string {
  const withPressure = signature.device.pressureMax > 0;
  const rows: string[] = [];
  let lifted = true;
  for (const s of signature.samples) {
    if (!s.penDown) {
      lifted = true;
      continue;
    }
    const button = s.strokeStart || lifted ? 0 : 1;
    lifted = false;
    const base = `${s.x} ${s.y} ${s.t} ${button}`;
    rows.push(withPressure ? `${base} ${s.azimuth ?? 0} ${s.altitude ?? 0} ${s.pressure}` : base);
  }
  return `${rows.length}\n${rows.join('\n')}\n`;
}

// ---------------------------------------------------------------------------------------------
// verikiosk JSON

export const SIGNATURE_JSON_FORMAT = 'verikiosk.signature';
export const SIGNATURE_JSON_VERSION = 1;

export interface SignatureJson {
  readonly format: typeof SIGNATURE_JSON_FORMAT;
  readonly version: typeof SIGNATURE_JSON_VERSION;
  readonly device: SignatureDevice;
  readonly samples: readonly SignatureSample[];
}

export function signatureToJson(signature: Signature): SignatureJson {
  return {
    format: SIGNATURE_JSON_FORMAT,
    version: SIGNATURE_JSON_VERSION,
    device: {
      resolution: { ...signature.device.resolution },
      samplingRateHz: signature.device.samplingRateHz,
      pressureMax: signature.device.pressureMax,
    },
    samples: signature.samples.map((s) => ({ ...s })),
  };
}

export function formatJsonSignature(signature: Signature): string {
  return JSON.stringify(signatureToJson(signature));
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function jsonNumber(
  record: Record<string, unknown>,
  key: string,
  path: string,
  min: number,
  max: number,
): number {
  const value = record[key];
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new SignatureFormatError(`${path}.${key} must be a finite number`, null);
  }
  if (value < min || value > max) {
    throw new SignatureFormatError(`${path}.${key} is out of range`, null);
  }
  return value;
}

function jsonBoolean(record: Record<string, unknown>, key: string, path: string): boolean {
  const value = record[key];
  if (typeof value !== 'boolean') {
    throw new SignatureFormatError(`${path}.${key} must be a boolean`, null);
  }
  return value;
}

/** Validates a parsed JSON value as a signature document. */
export function signatureFromJson(value: unknown): Signature {
  if (!isRecord(value)) throw new SignatureFormatError('signature must be an object', null);
  if (value.format !== SIGNATURE_JSON_FORMAT) {
    throw new SignatureFormatError(`format must be "${SIGNATURE_JSON_FORMAT}"`, null);
  }
  if (value.version !== SIGNATURE_JSON_VERSION) {
    throw new SignatureFormatError(`version must be ${SIGNATURE_JSON_VERSION}`, null);
  }
  const device = value.device;
  if (!isRecord(device)) throw new SignatureFormatError('device must be an object', null);
  const resolution = device.resolution;
  if (!isRecord(resolution)) {
    throw new SignatureFormatError('device.resolution must be an object', null);
  }
  const unit = resolution.unit;
  if (unit !== 'ppmm' && unit !== 'dpi') {
    throw new SignatureFormatError('device.resolution.unit must be "ppmm" or "dpi"', null);
  }
  const { maxCoordinate, maxTime, maxSamples } = SIGNATURE_LIMITS;
  const resolutionValue = jsonNumber(resolution, 'value', 'device.resolution', 0, 1e6);
  if (resolutionValue <= 0) {
    throw new SignatureFormatError('device.resolution.value must be positive', null);
  }
  const samplingRateHz = jsonNumber(device, 'samplingRateHz', 'device', 0, 1e6);
  if (samplingRateHz <= 0) {
    throw new SignatureFormatError('device.samplingRateHz must be positive', null);
  }
  const pressureMax = jsonNumber(device, 'pressureMax', 'device', 0, maxCoordinate);
  const rawSamples = value.samples;
  if (!Array.isArray(rawSamples)) throw new SignatureFormatError('samples must be an array', null);
  if (rawSamples.length === 0) throw new SignatureFormatError('samples is empty', null);
  if (rawSamples.length > maxSamples) throw new SignatureFormatError('too many samples', null);
  const samples: SignatureSample[] = [];
  for (let i = 0; i < rawSamples.length; i++) {
    const raw: unknown = rawSamples[i];
    const path = `samples[${i}]`;
    if (!isRecord(raw)) throw new SignatureFormatError(`${path} must be an object`, null);
    const sample: SignatureSample = {
      x: jsonNumber(raw, 'x', path, -maxCoordinate, maxCoordinate),
      y: jsonNumber(raw, 'y', path, -maxCoordinate, maxCoordinate),
      pressure: jsonNumber(raw, 'pressure', path, 0, maxCoordinate),
      t: jsonNumber(raw, 't', path, -maxTime, maxTime),
      penDown: jsonBoolean(raw, 'penDown', path),
      strokeStart: jsonBoolean(raw, 'strokeStart', path),
      ...(raw.azimuth === undefined
        ? {}
        : { azimuth: jsonNumber(raw, 'azimuth', path, -maxCoordinate, maxCoordinate) }),
      ...(raw.altitude === undefined
        ? {}
        : { altitude: jsonNumber(raw, 'altitude', path, -maxCoordinate, maxCoordinate) }),
    };
    samples.push(sample);
  }
  return {
    device: { resolution: { value: resolutionValue, unit }, samplingRateHz, pressureMax },
    samples,
  };
}

/** Parses verikiosk JSON text. */
export function parseJsonSignature(text: string): Signature {
  if (typeof text !== 'string') throw new SignatureFormatError('input is not text', null);
  if (text.length > SIGNATURE_LIMITS.maxTextLength) {
    throw new SignatureFormatError('input is too large', null);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new SignatureFormatError('input is not valid JSON', null);
  }
  return signatureFromJson(value);
}

/** Parses either format: JSON when the text starts with `{`, else the SVC2004 text format. */
export function parseSignature(text: string, options: SvcParseOptions = {}): Signature {
  if (typeof text !== 'string') throw new SignatureFormatError('input is not text', null);
  return text.trimStart().startsWith('{')
    ? parseJsonSignature(text)
    : parseSvcSignature(text, options);
}
