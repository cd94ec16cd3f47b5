/**
 * The signature template at rest (SIG-2): a versioned JSON document holding the enrolment
 * signatures, a second visit's accepted ones, any adapted ones (adapt.ts) and a digest of the verifier options they were
 * enrolled under. Everything the verifier needs (prepared references, per-user statistics) is
 * derived from those signatures deterministically, so it is rebuilt on load rather than stored
 * twice.
 *
 * A template written by another model version, or under other scoring options, is never compared
 * as it stands: its statistics would not mean what the threshold assumes. One of an earlier
 * version of this model, from SIGNATURE_RETEMPLATABLE_FROM on, is rebuilt from its raw signatures
 * under the current model (`upgradeSignatureTemplate`) and stored back by subject.ts; one of a
 * later version or another model stays refused.
 */
import { createHash } from 'node:crypto';
import type { TemplateModel } from '../templates.js';
import {
  SignatureFormatError,
  signatureFromJson,
  signatureToJson,
  type Signature,
} from './model.js';
import { checkSignatureInput } from './pads.js';
import {
  DEFAULT_VERIFIER_OPTIONS,
  buildSignatureTemplate,
  type SignatureTemplate,
  type VerifierOptions,
} from './verify.js';

export const SIGNATURE_TEMPLATE_FORMAT = 'verikiosk.signature-template';

/**
 * The model stored beside every signature template (in clear, in `biometric_templates`).
 * Bump the version whenever feature extraction, the statistics or DEFAULT_VERIFIER_OPTIONS'
 * scoring options change; the options digest catches a forgotten bump as well.
 */
export const SIGNATURE_MODEL: TemplateModel = { name: 'verikiosk-signature-dtw', version: '8' };

/**
 * The earliest model version whose stored document this code rebuilds under the current model.
 * Every version so far (1 to 8) stored the same document: the raw signatures in the one signature
 * JSON format (model.ts), with `adapted` and `secondVisit` optional arrays added later (absent
 * reads as empty); everything else (features, statistics, calibration) is derived on load, so a
 * version change that only changes how signatures are scored is re-templatable. A change that
 * drops the raw signatures or changes their format must raise this to its own version (or teach
 * `rebuild` to read the older shape): documents before it are then refused, and re-enrolled.
 */
export const SIGNATURE_RETEMPLATABLE_FROM = 1;

export type SignatureTemplateProblem =
  /** Not JSON, not a signature template, or a malformed signature inside. */
  | 'malformed'
  /** Written by another model or model version. */
  | 'model_mismatch'
  /** Enrolled under other scoring options (band, channels, normalisation…). */
  | 'options_mismatch';

export class SignatureTemplateError extends Error {
  override name = 'SignatureTemplateError';
  readonly problem: SignatureTemplateProblem;
  constructor(problem: SignatureTemplateProblem, message: string) {
    super(message);
    this.problem = problem;
  }
}

/**
 * The options a template's statistics depend on, in a fixed order; the decision threshold and
 * the enrolment checks are not among them (changing those needs no re-enrolment).
 */
export function scoringOptionsDigest(options: VerifierOptions): string {
  const scoring = [
    options.dynamics,
    options.shape,
    options.featureRateHz,
    options.pressureWeight,
    options.bandFraction,
    options.weights,
    options.termCap,
    options.normalisation,
    options.normalisationExponent,
    options.normalisationExponentWithoutPressure ?? null,
    options.spreadFloor ?? 0,
    options.aggregate,
    options.nearestCount ?? null,
    options.durationExponent ?? 0,
    options.speedExponent ?? 0,
    options.durationExponentWithoutPressure ?? null,
    options.speedExponentWithoutPressure ?? null,
    options.laterSession ?? null,
    // Appended only when set, so templates enrolled before the option existed keep their digest.
    ...(options.replaceEnrolment ? [{ replaceEnrolment: options.replaceEnrolment }] : []),
  ];
  // Channel specs are records: sort their keys so the digest does not depend on key order.
  const canonical = JSON.stringify(scoring, (_key, value: unknown) =>
    value !== null && typeof value === 'object' && !Array.isArray(value)
      ? Object.fromEntries(Object.entries(value).sort(([a], [b]) => (a < b ? -1 : 1)))
      : value,
  );
  return createHash('sha256').update(canonical).digest('hex').slice(0, 16);
}

interface TemplateDocument {
  format: typeof SIGNATURE_TEMPLATE_FORMAT;
  model: string;
  version: string;
  options: string;
  signatures: unknown[];
  /** Absent when nothing was adapted (templates written before adaptation read the same). */
  adapted?: unknown[];
  /** A second enrolment visit's accepted signatures; absent when there was none. */
  secondVisit?: unknown[];
}

/**
 * More adapted signatures than this is not a template this code wrote, whatever maxAdapted says
 * (a bound on the work a stored template can cause).
 */
const MAX_STORED_ADAPTED = 20;

/** UTF-8 JSON of the template's signatures, model and options digest. */
export function serialiseSignatureTemplate(
  template: SignatureTemplate,
  options: VerifierOptions = DEFAULT_VERIFIER_OPTIONS,
): Uint8Array {
  const document: TemplateDocument = {
    format: SIGNATURE_TEMPLATE_FORMAT,
    model: SIGNATURE_MODEL.name,
    version: SIGNATURE_MODEL.version,
    options: scoringOptionsDigest(options),
    signatures: template.signatures.map(signatureToJson),
    ...(template.adapted.length > 0 ? { adapted: template.adapted.map(signatureToJson) } : {}),
    ...(template.secondVisit.length > 0
      ? { secondVisit: template.secondVisit.map(signatureToJson) }
      : {}),
  };
  return new TextEncoder().encode(JSON.stringify(document));
}

/**
 * Reads a stored template and rebuilds it under `options` (those it was enrolled with).
 * Throws SignatureTemplateError; messages never include template content.
 */
export function deserialiseSignatureTemplate(
  bytes: Uint8Array,
  options: VerifierOptions = DEFAULT_VERIFIER_OPTIONS,
): SignatureTemplate {
  const document = parseDocument(bytes);
  if (document.model !== SIGNATURE_MODEL.name || document.version !== SIGNATURE_MODEL.version) {
    throw modelMismatch(document);
  }
  if (document.options !== scoringOptionsDigest(options)) {
    throw new SignatureTemplateError(
      'options_mismatch',
      'the signature template was enrolled under other scoring options',
    );
  }
  return rebuild(document, options);
}

/**
 * The model version number of a stored template if this code can re-template it: the same model
 * name, an earlier version, from SIGNATURE_RETEMPLATABLE_FROM on; null otherwise.
 */
export function retemplatableVersion(model: TemplateModel): number | null {
  if (model.name !== SIGNATURE_MODEL.name || !/^[1-9][0-9]{0,8}$/.test(model.version)) return null;
  const version = Number(model.version);
  return version >= SIGNATURE_RETEMPLATABLE_FROM && version < Number(SIGNATURE_MODEL.version)
    ? version
    : null;
}

/**
 * Rebuilds a template stored by an earlier version of this model (`stored`, the model recorded
 * beside it) under the current model and `options`: the same enrolment, second-visit and adapted
 * signatures, their features and statistics derived anew. The options digest it carries described
 * the earlier model's scoring and is not compared. A later version, another model, or a document
 * whose model is not `stored` is refused as model_mismatch; a malformed one as malformed.
 */
export function upgradeSignatureTemplate(
  bytes: Uint8Array,
  stored: TemplateModel,
  options: VerifierOptions = DEFAULT_VERIFIER_OPTIONS,
): SignatureTemplate {
  const document = parseDocument(bytes);
  if (
    retemplatableVersion(stored) === null ||
    document.model !== stored.name ||
    document.version !== stored.version
  ) {
    throw modelMismatch(document);
  }
  return rebuild(document, options);
}

function parseDocument(bytes: Uint8Array): Partial<Record<keyof TemplateDocument, unknown>> {
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch {
    throw new SignatureTemplateError('malformed', 'the signature template is not UTF-8 JSON');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new SignatureTemplateError('malformed', 'the signature template is not an object');
  }
  const document = value as Partial<Record<keyof TemplateDocument, unknown>>;
  if (document.format !== SIGNATURE_TEMPLATE_FORMAT) {
    throw new SignatureTemplateError('malformed', 'not a signature template');
  }
  return document;
}

function modelMismatch(
  document: Partial<Record<keyof TemplateDocument, unknown>>,
): SignatureTemplateError {
  const found =
    typeof document.model === 'string' && typeof document.version === 'string'
      ? `${document.model.slice(0, 64)} ${document.version.slice(0, 16)}`
      : 'an unnamed model';
  return new SignatureTemplateError(
    'model_mismatch',
    `the signature template was made by ${found}, not ${SIGNATURE_MODEL.name} ${SIGNATURE_MODEL.version}`,
  );
}

/** The template a checked document holds, built under `options`. */
function rebuild(
  document: Partial<Record<keyof TemplateDocument, unknown>>,
  options: VerifierOptions,
): SignatureTemplate {
  const list = document.signatures;
  if (
    !Array.isArray(list) ||
    list.length < options.minEnrolment ||
    list.length > options.maxEnrolment
  ) {
    throw new SignatureTemplateError(
      'malformed',
      `a signature template holds ${options.minEnrolment} to ${options.maxEnrolment} signatures`,
    );
  }
  const adaptedList = document.adapted ?? [];
  if (!Array.isArray(adaptedList) || adaptedList.length > MAX_STORED_ADAPTED) {
    throw new SignatureTemplateError(
      'malformed',
      `a signature template holds at most ${MAX_STORED_ADAPTED} adapted signatures`,
    );
  }
  const secondList = document.secondVisit ?? [];
  const maxSecond = Math.max(0, Math.floor(options.maxSecondVisit ?? options.maxEnrolment));
  if (!Array.isArray(secondList) || secondList.length > maxSecond) {
    throw new SignatureTemplateError(
      'malformed',
      `a signature template holds at most ${maxSecond} signatures of a second visit`,
    );
  }
  const read = (item: unknown, label: string) => {
    let signature: Signature;
    try {
      signature = signatureFromJson(item);
    } catch (error) {
      if (!(error instanceof SignatureFormatError)) throw error;
      throw new SignatureTemplateError('malformed', `${label} of the template: ${error.message}`);
    }
    // Stored before pads.ts checked input: a reference no pad produced is never compared with.
    const input = checkSignatureInput(signature);
    if (!input.ok) {
      throw new SignatureTemplateError('malformed', `${label} of the template: ${input.message}`);
    }
    return signature;
  };
  const signatures = list.map((item, index) => read(item, `signature ${index + 1}`));
  const adapted = adaptedList.map((item, index) => read(item, `adapted signature ${index + 1}`));
  // Only the newest maxAdapted count (the limit may have been lowered since they were added).
  const kept = Math.max(0, Math.floor(options.maxAdapted));
  const secondVisit = secondList.map((item, index) =>
    read(item, `second-visit signature ${index + 1}`),
  );
  return buildSignatureTemplate(
    signatures,
    options,
    kept === 0 ? [] : adapted.slice(-kept),
    secondVisit,
  );
}
