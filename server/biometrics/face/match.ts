/**
 * FACE-2 embedding comparison and decisions. A template is the 128-d descriptor of face-api's
 * recogniser plus the model's name and version; templates of different models or versions are
 * never compared (the distance would be meaningless): the subject is re-enrolled instead.
 *
 * Distances are euclidean (the recogniser was trained with a metric loss on that distance);
 * decisions come from thresholds at target false-match rates, see calibration.ts.
 */
import { impostorModel, type ComparisonKind } from './calibration.js';

export interface FaceModel {
  readonly name: string;
  readonly version: string;
}

export interface FaceTemplate {
  readonly model: FaceModel;
  readonly vector: Float32Array;
}

export const DESCRIPTOR_LENGTH = 128;

export class FaceTemplateError extends Error {
  override name = 'FaceTemplateError';
  constructor(
    message: string,
    readonly code: 'malformed' | 'model_mismatch',
  ) {
    super(message);
  }
}

const MAGIC = [0x56, 0x4b, 0x46, 0x54]; // "VKFT"
const FORMAT_VERSION = 1;
const MAX_LABEL = 200;

/**
 * Bytes for the vault: "VKFT", format 1, dimension (u16 LE), model name and version (u8 length +
 * UTF-8 each), then the vector as float32 LE. The model travels with the vector so a template
 * read back alone still says what made it.
 */
export function serializeFaceTemplate(template: FaceTemplate): Uint8Array {
  const name = new TextEncoder().encode(template.model.name);
  const version = new TextEncoder().encode(template.model.version);
  if (name.length > MAX_LABEL || version.length > MAX_LABEL)
    throw new RangeError('model name or version too long');
  const dims = template.vector.length;
  const header = 4 + 1 + 2 + 1 + name.length + 1 + version.length;
  const bytes = new Uint8Array(header + dims * 4);
  const view = new DataView(bytes.buffer);
  bytes.set(MAGIC, 0);
  view.setUint8(4, FORMAT_VERSION);
  view.setUint16(5, dims, true);
  let at = 7;
  view.setUint8(at++, name.length);
  bytes.set(name, at);
  at += name.length;
  view.setUint8(at++, version.length);
  bytes.set(version, at);
  at += version.length;
  for (let i = 0; i < dims; i++) view.setFloat32(at + i * 4, template.vector[i]!, true);
  return bytes;
}

export function deserializeFaceTemplate(bytes: Uint8Array): FaceTemplate {
  const malformed = (why: string): FaceTemplateError =>
    new FaceTemplateError(`not a face template: ${why}`, 'malformed');
  if (bytes.length < 8 || MAGIC.some((b, i) => bytes[i] !== b)) throw malformed('bad magic');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (view.getUint8(4) !== FORMAT_VERSION) throw malformed('unknown format version');
  const dims = view.getUint16(5, true);
  let at = 7;
  const label = (): string => {
    if (at >= bytes.length) throw malformed('truncated');
    const length = view.getUint8(at++);
    if (at + length > bytes.length) throw malformed('truncated');
    const text = new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(at, at + length));
    at += length;
    return text;
  };
  let name: string;
  let version: string;
  try {
    name = label();
    version = label();
  } catch (error) {
    if (error instanceof FaceTemplateError) throw error;
    throw malformed('bad model label');
  }
  if (bytes.length !== at + dims * 4) throw malformed('wrong length');
  const vector = new Float32Array(dims);
  for (let i = 0; i < dims; i++) {
    const v = view.getFloat32(at + i * 4, true);
    if (!Number.isFinite(v)) throw malformed('non-finite value');
    vector[i] = v;
  }
  return { model: { name, version }, vector };
}

export function sameModel(a: FaceModel, b: FaceModel): boolean {
  return a.name === b.name && a.version === b.version;
}

/** Euclidean distance; refuses templates of different models or versions. */
export function faceDistance(a: FaceTemplate, b: FaceTemplate): number {
  if (!sameModel(a.model, b.model)) {
    throw new FaceTemplateError(
      `templates of different face models (${a.model.name} ${a.model.version} vs ${b.model.name} ${b.model.version}): re-enrol`,
      'model_mismatch',
    );
  }
  if (a.vector.length !== b.vector.length)
    throw new FaceTemplateError('templates of different lengths', 'malformed');
  let sum = 0;
  for (let i = 0; i < a.vector.length; i++) {
    const d = a.vector[i]! - b.vector[i]!;
    sum += d * d;
  }
  return Math.sqrt(sum);
}

export type FaceDecision = 'approve' | 'review' | 'decline';

/** Target false-match rates (config `thresholds.face`, SPEC §4). */
export interface FaceMatchRates {
  readonly approveAtFmr: number;
  readonly reviewAtFmr: number;
}

export const DEFAULT_FACE_MATCH_RATES: FaceMatchRates = { approveAtFmr: 1e-4, reviewAtFmr: 1e-3 };

export interface FaceMatchThresholds extends FaceMatchRates {
  readonly kind: ComparisonKind;
  /** Approve at or below this distance. */
  readonly approveMaxDistance: number;
  /** Review at or below this distance (and above approveMaxDistance); decline above. */
  readonly reviewMaxDistance: number;
}

/** The distance thresholds for target rates, from the calibrated impostor model of `kind`. */
export function faceMatchThresholds(
  kind: ComparisonKind,
  rates: FaceMatchRates = DEFAULT_FACE_MATCH_RATES,
): FaceMatchThresholds {
  const model = impostorModel(kind);
  return {
    kind,
    ...rates,
    approveMaxDistance: model.distanceAtFmr(rates.approveAtFmr),
    reviewMaxDistance: model.distanceAtFmr(rates.reviewAtFmr),
  };
}

export function decideFaceMatch(distance: number, thresholds: FaceMatchThresholds): FaceDecision {
  if (distance <= thresholds.approveMaxDistance) return 'approve';
  if (distance <= thresholds.reviewMaxDistance) return 'review';
  return 'decline';
}

/** The impostor model's estimate of the false-match rate at this distance (for reviewers). */
export function estimatedFmr(distance: number, kind: ComparisonKind): number {
  return impostorModel(kind).fmrAtDistance(distance);
}
