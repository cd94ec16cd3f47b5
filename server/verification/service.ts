/**
 * Verification sessions as a product path (VER-1…VER-3): the service the API's verification
 * routes call. It composes the pure core (machine, plans, policy, check adaptors) with the vault
 * (sessions, consents, sealed documents, templates, samples), the document readers and the face
 * and signature engines.
 *
 * Every change follows one shape: load the session, ask the machine (a refusal changes nothing),
 * do the slow work (parsing, image analysis) outside any transaction, then in one transaction
 * re-load the session, ask the machine again (another request may have moved it meanwhile), and
 * write the capture, the session, the audit entry and the events together. Personal data is
 * sealed under the subject's key; it is opened only through `vault.openSealed` (audited with the
 * actor and the purpose 'verification'). Audit details and events hold ids and codes only.
 */
import type { ConsentCapture } from '../../contract/consents.js';
import type { ReasonCode } from '../../contract/reason-codes.js';
import type {
  CaptureStep,
  Decision,
  DocumentFields,
  DocumentSource,
  DocumentTextCapture,
  LivenessChallengeDto,
  SelfieCapture,
  SelfieForm,
  SignatureCapture,
  VerificationCreate,
  VerificationDto,
  VerificationImageName,
  VerificationListQuery,
} from '../../contract/verifications.js';
import {
  DEFAULT_FACE_MATCH_RATES,
  assessLiveness,
  burstProbe,
  createChallengePlan,
  decideFaceMatch,
  deserializeFaceTemplate,
  enrolSubjectSignature,
  estimatedFmr,
  faceDistance,
  faceMatchThresholds,
  openTemplates,
  sameModel,
  serializeFaceTemplate,
  signatureFromJson,
  storeTemplate,
  subjectTemplates,
  templateOf,
  verifySubjectSignature,
  type FaceAnalysisOk,
  type FaceComparison,
  type FaceMatchRates,
  type FaceSearch,
  type FaceTemplate,
  type LazyFaceEngine,
  type ChallengePlan,
  type LivenessFrame,
  type Signature,
} from '../biometrics/index.js';
import type { Config } from '../config/index.js';
import { deviceApiId, type ApplianceDevices } from '../devices/index.js';
import {
  checkDocument,
  decodeImage,
  identityOf,
  maskDocumentNumber,
  parseAamva,
  parseMrz,
  readDocumentImage,
  vaultDocumentLookups,
  type DocumentRecord,
  type MrzImageReader,
} from '../documents/index.js';
import { emitEvent } from '../events/index.js';
import {
  ConsentError,
  ageGate,
  isSubjectRestricted,
  subjectObjectsTo,
  prepareWrittenRelease,
  purposeOfSession,
  recordWrittenConsent,
  requireConsent,
  requireGuardian,
  stopUnderMinimumAge,
} from '../privacy/index.js';
import {
  newId,
  normaliseDocumentNumber,
  setSubjectNameDob,
  subjectExists,
  type PersonalDataAccess,
  type ReadableDb,
  type Vault,
  type WritableDb,
} from '../vault/index.js';
import { faceMatchCheck, livenessCheck } from './checks/face.js';
import {
  documentVelocityCheck,
  faceSignalChecks,
  vaultDocumentPresentations,
  vaultFraudLookups,
  type FraudLookups,
} from './checks/fraud.js';
import { captureContextCheck } from './checks/signals.js';
import type { VerificationResolver } from './index.js';
import {
  timeoutOf,
  transition,
  type MachineRules,
  type Refusal,
  type Session,
  type SessionEvent,
  type SessionTimeouts,
} from './machine.js';
import {
  DEFAULT_DECISION_POLICY,
  decide,
  type DecisionPolicy,
  type VerificationCheck,
} from './policy.js';
import { DEFAULT_STEP_PLANS, documentSources, nextStep, type StepPlans } from './steps.js';
import { decisionPolicyInForce } from './policy-store.js';
import * as store from './store.js';
import type { CaptureResult, CaptureSource, VerificationRow } from './store.js';
import { fleetDocumentChecks } from '../fleet/index.js';

/** Why the service refused: `kind` picks the HTTP status, `rule` is the client's code. */
export type VerificationErrorKind = 'not_found' | 'conflict' | 'refused' | 'invalid_media' | 'busy';

export class VerificationError extends Error {
  override name = 'VerificationError';
  constructor(
    readonly kind: VerificationErrorKind,
    readonly rule: string,
    message: string,
    /** For steps_missing / step_out_of_order: the steps still needed. */
    readonly missing: readonly CaptureStep[] = [],
  ) {
    super(message);
  }
}

const DOCUMENT_SOURCE_NAMES: Readonly<Record<DocumentSource, string>> = {
  reader: 'a document reader',
  image: 'an image',
  text: 'text (an MRZ or barcode payload)',
};

const REFUSAL_MESSAGES: Readonly<Record<Refusal['code'], string>> = {
  session_submitted: 'the session was submitted: it takes no more captures',
  session_final: 'the session has ended',
  not_allowed_in_state: 'the session does not allow this now',
  consent_required: 'no capture before the consent is recorded',
  step_not_in_plan: 'this kind of verification does not take this capture',
  step_out_of_order: 'another capture must come first',
  steps_missing: 'captures are missing',
};

function refusalError(refusal: Refusal): VerificationError {
  const conflict =
    refusal.code === 'session_submitted' ||
    refusal.code === 'session_final' ||
    refusal.code === 'not_allowed_in_state';
  return new VerificationError(
    conflict ? 'conflict' : 'refused',
    refusal.code,
    REFUSAL_MESSAGES[refusal.code],
    refusal.missing ?? [],
  );
}

/**
 * Which identity standings an authentication refuses (at create, 422; at submit, the `enrolment`
 * check fails with the same code): only an approved identity or a kept enrolment serves one.
 */
const STANDING_REFUSALS: Readonly<
  Record<store.IdentityStanding, { code: ReasonCode; message: string } | null>
> = {
  declined: {
    code: 'identity_declined',
    message: "the subject's identity verification was declined: it cannot be authenticated",
  },
  pending: {
    code: 'identity_not_approved',
    message:
      "the subject's identity verification is not approved (yet): it cannot be authenticated",
  },
  approved: null,
  enrolled: null,
};

/** Who is calling, as the service needs it. */
export interface Caller {
  /** The audit actor (`api:…`, `staff:…`, `kiosk:…`). */
  readonly actor: string;
  /** Set when the caller is a kiosk: its own id. */
  readonly kioskId: string | null;
  readonly apiClientId: string | null;
  /** May see document fields and the reference (`pii:read`): the read is audited. */
  readonly piiRead: boolean;
}

export interface VerificationServiceOptions {
  vault: Vault;
  config: Config;
  face: LazyFaceEngine;
  /**
   * The running 1:N index: every selfie probe joins it, and at submit the probe is searched for
   * known-fraud faces, another subject's enrolled face and face velocity (checks/fraud.ts).
   */
  faceSearch: FaceSearch;
  devices?: ApplianceDevices | undefined;
  /** The MRZ OCR for document images; loaded on first use when absent. */
  readMrz?: MrzImageReader | null;
  plans?: StepPlans;
  policy?: DecisionPolicy;
  /**
   * The draw of the liveness challenges: node:crypto randomInt (a CSPRNG) unless a test pins it,
   * as it pins the clock (a burst of development stills is judged by where its frames fall).
   */
  challengeRandom?: ChallengeRandom | undefined;
}

/** An integer in [min, maxExclusive) (createChallengePlan's random source). */
export type ChallengeRandom = NonNullable<Parameters<typeof createChallengePlan>[1]>;

/** An open session expires this long after creation whatever happens (idle: config). */
export const ABSOLUTE_TIMEOUT_MINUTES = 24 * 60;

const PAGE_SIZE = 50;

/**
 * How long an issued liveness challenge stays valid: long enough to frame the face, follow the
 * plan (under 10 s) and upload the burst; too short to render a replay that follows a new plan.
 */
export const LIVENESS_CHALLENGE_TTL_SECONDS = 120;

/** Selfie frames handed to the face engine at once (below its default queue of 8). */
const SELFIE_ANALYSIS_BATCH = 4;

function sessionOf(row: VerificationRow): Session {
  return {
    kind: row.kind,
    state: row.status,
    done: row.stepsDone,
    resubmissions: row.resubmissions,
    createdAt: new Date(row.createdAt),
    lastActivityAt: new Date(row.lastActivityAt),
    reasonCode: row.reasonCode,
  };
}

function encodeCursor(row: VerificationRow): string {
  return Buffer.from(JSON.stringify([row.createdAt, row.id])).toString('base64url');
}

function decodeCursor(cursor: string): { createdAt: string; id: string } {
  try {
    const value = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown;
    if (
      Array.isArray(value) &&
      value.length === 2 &&
      typeof value[0] === 'string' &&
      typeof value[1] === 'string'
    ) {
      return { createdAt: value[0], id: value[1] };
    }
  } catch {
    // falls through
  }
  throw new VerificationError('refused', 'invalid_cursor', 'the cursor is not one this API gave');
}

/** What a capture writes besides the capture row: its result and the audit entry's codes. */
interface CaptureWrite {
  result?: CaptureResult;
  details?: Record<string, string | number | boolean | null>;
}

interface StoredImage {
  bytes: Uint8Array;
  mime: string;
  width: number;
  height: number;
}

const MEDIA_TYPES = new Set(['image/jpeg', 'image/png']);

/** What a document image's portrait gave: its template, or the face-match failure it makes. */
type Portrait = { template: FaceTemplate } | { check: VerificationCheck };

/** Portraits remembered between document capture and submit (sessions in flight at once). */
const PORTRAIT_CACHE = 64;

/** A sealed document's plaintext: the record read, and the other readings for the cross-check. */
interface SealedDocument {
  record: DocumentRecord;
  others: DocumentRecord[];
}

export class VerificationService implements VerificationResolver {
  readonly #vault: Vault;
  readonly #config: Config;
  readonly #face: LazyFaceEngine;
  readonly #faceSearch: FaceSearch;
  /** Document portraits analysed at capture, by document id, for the submit (see #storeDocument). */
  readonly #portraits = new Map<string, Portrait>();
  readonly #fraud: FraudLookups;
  readonly #devices: ApplianceDevices | undefined;
  #readMrz: MrzImageReader | null | undefined;
  readonly #rules: MachineRules;
  readonly #policy: DecisionPolicy;
  readonly #timeouts: SessionTimeouts;
  readonly #rates: FaceMatchRates;
  readonly #challengeRandom: ChallengeRandom | undefined;

  constructor(options: VerificationServiceOptions) {
    this.#vault = options.vault;
    this.#config = options.config;
    this.#face = options.face;
    this.#faceSearch = options.faceSearch;
    this.#fraud = vaultFraudLookups(options.vault, options.faceSearch);
    this.#devices = options.devices;
    this.#readMrz = options.readMrz;
    this.#rules = {
      plans: options.plans ?? DEFAULT_STEP_PLANS,
      resubmissionLimit: options.config.policies.resubmissionLimit,
    };
    this.#policy = options.policy ?? DEFAULT_DECISION_POLICY;
    this.#timeouts = {
      idleMinutes: options.config.policies.sessionTimeoutMinutes,
      absoluteMinutes: Math.max(
        ABSOLUTE_TIMEOUT_MINUTES,
        options.config.policies.sessionTimeoutMinutes,
      ),
    };
    this.#rates = options.config.thresholds.face ?? DEFAULT_FACE_MATCH_RATES;
    this.#challengeRandom = options.challengeRandom;
  }

  // ---- sessions ---------------------------------------------------------------------------------

  create(input: VerificationCreate, caller: Caller): VerificationDto {
    const vault = this.#vault;
    let kioskId = input.kioskId ?? null;
    if (caller.kioskId !== null) {
      if (kioskId !== null && kioskId !== caller.kioskId) {
        throw new VerificationError(
          'refused',
          'other_kiosk',
          'a kiosk may start sessions on itself only',
        );
      }
      kioskId = caller.kioskId;
    }
    const id = newId('ver');
    const at = vault.now.toISOString();
    vault.write((db) => {
      if (kioskId !== null && !store.kioskExists(db, kioskId)) {
        throw new VerificationError('refused', 'unknown_kiosk', 'no such kiosk');
      }
      let subjectId: string;
      if (input.kind === 'authentication') {
        subjectId = input.subjectId ?? '';
        if (!subjectExists(db, subjectId)) {
          throw new VerificationError('refused', 'unknown_subject', 'no such subject');
        }
        // PRIV-3: a restricted subject's data is not processed.
        if (isSubjectRestricted(db, subjectId)) {
          throw new VerificationError(
            'refused',
            'subject_restricted',
            'the processing of this subject is restricted',
          );
        }
        // Only an approved identity (or a kept enrolment) serves an authentication: a declined
        // one's templates prove nothing, a pending one's are not established yet.
        const refusal = STANDING_REFUSALS[store.identityStanding(db, subjectId)];
        if (refusal !== null) throw new VerificationError('refused', refusal.code, refusal.message);
      } else {
        subjectId = vault.createSubject();
      }
      store.insertVerification(db, {
        id,
        kind: input.kind,
        subjectId,
        kioskId,
        apiClientId: caller.apiClientId,
        at,
      });
      if (input.reference !== undefined) {
        const ref = { table: 'verifications', column: 'external_ref_enc', rowId: id };
        store.setReference(
          db,
          id,
          vault.seal({ subjectId }, ref, input.reference),
          vault.blindIndex('verification_reference', input.reference),
        );
      }
      emitEvent(
        db,
        {
          type: 'verification.created',
          payload: { verificationId: id, kind: input.kind, kioskId },
        },
        vault.now,
      );
      vault.audit({
        actor: caller.actor,
        action: 'verification.created',
        objectType: 'verification',
        objectId: id,
        details: { kind: input.kind, kioskId },
      });
    });
    return this.get(id, { ...caller, piiRead: false });
  }

  /** The session as the API shows it; document fields and the reference only with `piiRead`. */
  get(id: string, caller: Caller): VerificationDto {
    const row = this.#load(id, caller.actor);
    return this.#dto(row, caller);
  }

  /** The session's kiosk, for requireKioskOwnsSession; not found: VerificationError. */
  kioskOf(id: string): string | null {
    const row = this.#vault.read((db) => store.getVerification(db, id));
    if (row === null)
      throw new VerificationError('not_found', 'unknown_verification', 'No such resource.');
    return row.kioskId;
  }

  list(
    query: VerificationListQuery,
    caller: Caller,
  ): {
    items: VerificationDto[];
    nextCursor: string | null;
  } {
    const limit = query.limit ?? PAGE_SIZE;
    const after = query.cursor === undefined ? undefined : decodeCursor(query.cursor);
    const rows = this.#vault.read((db) =>
      store.listVerifications(db, {
        status: query.status,
        kind: query.kind,
        kioskId: query.kioskId,
        createdFrom: query.createdFrom && new Date(query.createdFrom).toISOString(),
        createdTo: query.createdTo && new Date(query.createdTo).toISOString(),
        referenceIndex:
          query.reference === undefined
            ? undefined
            : this.#vault.blindIndex('verification_reference', query.reference),
        after,
        limit: limit + 1,
      }),
    );
    const page = rows.slice(0, limit);
    const last = page[page.length - 1];
    // Lists never open sealed values: one audited read per row would be a bulk read.
    const listed = { ...caller, piiRead: false };
    return {
      items: page.map((row) => this.#dto(row, listed)),
      nextCursor: rows.length > limit && last !== undefined ? encodeCursor(last) : null,
    };
  }

  cancel(id: string, caller: Caller): VerificationDto {
    this.#apply(id, caller, { type: 'cancel' }, 'verification.cancelled');
    return this.get(id, { ...caller, piiRead: false });
  }

  // ---- captures ---------------------------------------------------------------------------------

  /**
   * The written consent (issue 15, PRIV-1): the texts shown (each the current version) and the
   * End-User's signature on the pad, stored sealed as a signature sample with its PNG render.
   * The texts must cover the purpose of the session's captures (privacy/consent.ts).
   */
  consent(id: string, input: ConsentCapture, caller: Caller): VerificationDto {
    const vault = this.#vault;
    const admitted = this.#admit(id, caller, 'consent');
    const needed = purposeOfSession(admitted.kind);
    if (!input.texts.some((t) => t.purpose === needed)) {
      throw new VerificationError(
        'refused',
        'consent_incomplete',
        `the consent must cover ${needed}: the captures of this session are for it`,
      );
    }
    const release = prepareWrittenRelease(input);
    this.#commit(id, caller, 'consent', this.#sourceOf(caller, input.deviceId), {}, (db, row) => {
      const subjectId = row.subjectId ?? '';
      const { purposes } = recordWrittenConsent(vault, db, {
        subjectId,
        signerSubjectId: subjectId,
        verificationId: id,
        kioskId: row.kioskId,
        capture: input,
        release,
        givenBy: 'subject',
        guardianVerificationId: null,
        actor: caller.actor,
      });
      return { details: { purposes: purposes.length } };
    });
    return this.get(id, { ...caller, piiRead: false });
  }

  /** No capture for a purpose without a consent for it in force (withdrawn: refused). */
  #requireConsent(db: Parameters<typeof requireConsent>[0], row: VerificationRow): void {
    try {
      requireConsent(db, row.subjectId ?? '', purposeOfSession(row.kind));
    } catch (error) {
      if (!(error instanceof ConsentError)) throw error;
      throw new VerificationError('refused', error.reason, error.message);
    }
  }

  /** A document as text (an MRZ or an AAMVA payload), taken as given: nothing is corrected. */
  async documentText(
    id: string,
    input: DocumentTextCapture,
    caller: Caller,
  ): Promise<VerificationDto> {
    this.#admitDocument(id, caller, 'text');
    const source = this.#sourceOf(caller, input.deviceId);
    const record = input.mrz !== undefined ? parseMrz(input.mrz) : parseAamva(input.barcode ?? '');
    if (!isReading(record)) {
      throw new VerificationError(
        'invalid_media',
        input.mrz !== undefined ? 'mrz_unreadable' : 'barcode_unreadable',
        'the text is not a machine-readable zone or barcode that can be read',
      );
    }
    let image: StoredImage | null = null;
    if (input.image !== undefined) {
      const bytes = new Uint8Array(Buffer.from(input.image, 'base64'));
      const decoded = await decodeImage(bytes);
      if (!decoded.ok) {
        throw new VerificationError('invalid_media', decoded.reason, 'the image cannot be read');
      }
      if (decoded.format !== 'jpeg' && decoded.format !== 'png') {
        throw new VerificationError('invalid_media', 'unsupported_format', 'send a JPEG or PNG');
      }
      const { width, height } = decoded.image;
      image = { bytes, mime: `image/${decoded.format}`, width, height };
    }
    await this.#storeDocument(id, caller, source, { record, others: [] }, image);
    return this.get(id, { ...caller, piiRead: false });
  }

  /**
   * A document an appliance reader delivered (already parsed by server/documents), taken into the
   * session as the document capture: the reading never passes through the kiosk's browser.
   */
  async documentFromDevice(
    id: string,
    deviceId: string,
    record: DocumentRecord,
    caller: Caller,
  ): Promise<VerificationDto> {
    this.#admitDocument(id, caller, 'reader');
    const source = this.#sourceOf(caller, deviceId);
    if (!isReading(record)) {
      throw new VerificationError(
        'invalid_media',
        record.kind === 'aamva' ? 'barcode_unreadable' : 'mrz_unreadable',
        'the reader delivered a document that cannot be read',
      );
    }
    await this.#storeDocument(id, caller, source, { record, others: [] }, null);
    return this.get(id, { ...caller, piiRead: false });
  }

  /** A document image: decoded, barcodes and MRZ read (OCR), the image sealed. */
  async documentImage(
    id: string,
    bytes: Uint8Array,
    mime: string,
    caller: Caller,
  ): Promise<VerificationDto> {
    if (!MEDIA_TYPES.has(mime)) {
      throw new VerificationError(
        'invalid_media',
        'unsupported_format',
        'send image/jpeg or image/png',
      );
    }
    this.#admitDocument(id, caller, 'image');
    const source = this.#sourceOf(caller, undefined);
    const readMrz = await this.#mrzReader();
    const read = await readDocumentImage(bytes, readMrz === null ? {} : { readMrz });
    if (!read.ok) {
      throw new VerificationError('invalid_media', read.reason, 'the image cannot be read');
    }
    const [record, ...others] = read.records;
    if (record === undefined || !isReading(record)) {
      throw new VerificationError(
        'invalid_media',
        'document_not_read',
        'no machine-readable zone or barcode was read from the image: take it again, flat and well lit',
      );
    }
    await this.#storeDocument(
      id,
      caller,
      source,
      { record, others },
      {
        bytes,
        mime,
        width: read.image.width,
        height: read.image.height,
      },
    );
    return this.get(id, { ...caller, piiRead: false });
  }

  /**
   * Issues the session's liveness challenge: a plan drawn with the CSPRNG (node:crypto randomInt,
   * createChallengePlan), stored on the session and returned to the client to follow. Only when
   * the session would take a selfie now (state, step order, consent, no restriction); a new
   * challenge replaces the previous one. Valid for LIVENESS_CHALLENGE_TTL_SECONDS and one selfie.
   */
  livenessChallenge(id: string, caller: Caller): LivenessChallengeDto {
    this.#admit(id, caller, 'selfie');
    const vault = this.#vault;
    const plan = createChallengePlan({}, this.#challengeRandom);
    const challengeId = newId('lch');
    const expiresAt = new Date(
      vault.now.getTime() + LIVENESS_CHALLENGE_TTL_SECONDS * 1000,
    ).toISOString();
    vault.write((db) => {
      const row = store.getVerification(db, id);
      if (row === null)
        throw new VerificationError('not_found', 'unknown_verification', 'No such resource.');
      this.#admissible(db, row, 'selfie');
      store.setLivenessChallenge(db, id, {
        id: challengeId,
        plan: JSON.stringify(plan),
        expiresAt,
      });
      vault.audit({
        actor: caller.actor,
        action: 'verification.liveness_challenge_issued',
        objectType: 'verification',
        objectId: id,
        details: { challengeId, steps: plan.steps.length },
      });
    });
    return {
      id: challengeId,
      verificationId: id,
      plan: { baselineEnd: plan.baselineEnd, steps: [...plan.steps], duration: plan.duration },
      expiresAt,
    };
  }

  /**
   * The stored plan of the challenge a selfie names, refused unless it is this session's current
   * challenge, unused, and received before it expired. `receivedAt` is when the burst arrived
   * (the face analysis after it may take a while); checked again in the capture's transaction.
   */
  #challengePlan(db: ReadableDb, id: string, challengeId: string, receivedAt: Date): ChallengePlan {
    const challenge = store.getLivenessChallenge(db, id);
    if (challenge === null || challenge.id !== challengeId) {
      throw new VerificationError(
        'refused',
        'liveness_challenge_unknown',
        'this session issued no such liveness challenge: ask for one (liveness-challenge) and follow it',
      );
    }
    if (challenge.usedAt !== null) {
      throw new VerificationError(
        'conflict',
        'liveness_challenge_used',
        'this liveness challenge was used already: ask for a new one',
      );
    }
    if (receivedAt.getTime() > new Date(challenge.expiresAt).getTime()) {
      throw new VerificationError(
        'conflict',
        'liveness_challenge_expired',
        'this liveness challenge has expired: ask for a new one',
      );
    }
    return JSON.parse(challenge.plan) as ChallengePlan;
  }

  /**
   * The selfie: a liveness burst. Every frame is analysed; liveness is scored on the burst against
   * the plan of the challenge the core issued (never a plan the client sends); the probe for the face match is the fusion of the best frames
   * (burstProbe), stored as a sealed template; the best frame is kept as a sealed sample.
   */
  async selfie(id: string, input: SelfieCapture, caller: Caller): Promise<VerificationDto> {
    return this.#selfie(
      id,
      {
        frames: input.frames.map((f) => ({
          t: f.t,
          bytes: new Uint8Array(Buffer.from(f.image, 'base64')),
        })),
        challengeId: input.challengeId,
        deviceId: input.deviceId,
      },
      caller,
    );
  }

  /** The selfie as multipart/form-data: the same capture from file parts. */
  async selfieForm(id: string, form: SelfieForm, caller: Caller): Promise<VerificationDto> {
    this.#admit(id, caller, 'selfie');
    const frames = await Promise.all(
      form.frame.map(async (file, i) => ({
        t: form.t[i] ?? 0,
        bytes: new Uint8Array(await file.arrayBuffer()),
      })),
    );
    return this.#selfie(
      id,
      { frames, challengeId: form.challengeId, deviceId: form.deviceId },
      caller,
    );
  }

  async #selfie(
    id: string,
    input: {
      frames: { t: number; bytes: Uint8Array }[];
      challengeId: string;
      deviceId: string | undefined;
    },
    caller: Caller,
  ): Promise<VerificationDto> {
    const receivedAt = this.#vault.now;
    this.#admit(id, caller, 'selfie');
    // Judged against the plan the core drew for this session, never one the client names.
    const plan = this.#vault.read((db) =>
      this.#challengePlan(db, id, input.challengeId, receivedAt),
    );
    const source = this.#sourceOf(caller, input.deviceId);
    const engine = this.#face.engine();
    const images = input.frames.map((f) => f.bytes);
    // A few frames at a time: a whole burst (up to 30) at once would overflow the engine's queue
    // (config face.maxQueue, 8 by default) and be refused as busy with the appliance idle.
    const analyses: Awaited<ReturnType<typeof engine.analyse>>[] = [];
    for (let i = 0; i < images.length; i += SELFIE_ANALYSIS_BATCH) {
      const batch = images.slice(i, i + SELFIE_ANALYSIS_BATCH);
      analyses.push(
        ...(await Promise.all(batch.map((image) => engine.analyse(image, { role: 'selfie' })))),
      );
    }
    const frames: LivenessFrame[] = [];
    const ok: FaceAnalysisOk[] = [];
    for (const [i, analysis] of analyses.entries()) {
      if (analysis.status === 'busy') {
        throw new VerificationError('busy', 'face_engine_busy', 'the face engine is busy: retry');
      }
      const t = input.frames[i]?.t ?? 0;
      if (analysis.status === 'rejected') {
        if (analysis.reason !== 'no_face' && analysis.reason !== 'many_faces') {
          throw new VerificationError('invalid_media', analysis.reason, 'a frame cannot be read');
        }
        frames.push({ t, imageWidth: 0, imageHeight: 0, faces: [] });
        continue;
      }
      ok.push(analysis);
      frames.push({
        t,
        imageWidth: analysis.image.width,
        imageHeight: analysis.image.height,
        faces: [analysis.face],
      });
    }
    const probe = burstProbe(ok);
    if (probe === null) {
      throw new VerificationError('invalid_media', 'no_face', 'no frame shows a usable face');
    }
    const report = await assessLiveness({ plan, frames });
    const liveness = livenessCheck(report);
    const best = probe.frames[0] ?? 0;
    const bestImage = images[best] ?? new Uint8Array();
    let indexed: { templateId: string; subjectId: string } | null = null;
    this.#commit(id, caller, 'selfie', source, {}, (db, row) => {
      // One use: another request may have used (or replaced) the challenge meanwhile.
      this.#challengePlan(db, id, input.challengeId, receivedAt);
      store.useLivenessChallenge(db, id, this.#vault.now.toISOString());
      const subjectId = row.subjectId ?? '';
      const templateId = storeTemplate(this.#vault, {
        subjectId,
        modality: 'face',
        model: engine.model,
        template: serializeFaceTemplate({ model: engine.model, vector: probe.descriptor }),
        verificationId: id,
        actor: caller.actor,
      });
      const sampleId = newId('smp');
      const ref = { table: 'biometric_samples', column: 'sample_enc', rowId: sampleId };
      store.insertSample(db, {
        id: sampleId,
        subjectId,
        verificationId: id,
        modality: 'face',
        mime: imageMime(bestImage, 'application/octet-stream'),
        sampleEnc: this.#vault.seal({ subjectId }, ref, bestImage),
        at: this.#vault.now.toISOString(),
      });
      indexed = { templateId, subjectId };
      return {
        result: { templateId, sampleId, checks: [liveness] },
        details: {
          frames: frames.length,
          fused: probe.frames.length,
          liveness: liveness.outcome,
          challengeId: input.challengeId,
        },
      };
    });
    this.#index(indexed, engine.model, probe.descriptor);
    return this.get(id, { ...caller, piiRead: false });
  }

  /**
   * Signatures: 3-5 enrol the subject's template in an identity; one is verified against the
   * enrolled template in an authentication.
   */
  signature(id: string, input: SignatureCapture, caller: Caller): VerificationDto {
    const row = this.#admit(id, caller, 'signature');
    const source = this.#sourceOf(caller, input.deviceId);
    // Parsed first: a sample out of range is a SignatureFormatError (422) with nothing written.
    const signatures: Signature[] = input.signatures.map((s) => signatureFromJson(s));
    const subjectId = row.subjectId ?? '';
    if (row.kind === 'identity' && (signatures.length < 3 || signatures.length > 5)) {
      throw new VerificationError(
        'refused',
        'enrolment_needs_3_to_5',
        'enrolment takes 3 to 5 signatures',
      );
    }
    if (row.kind === 'authentication' && signatures.length !== 1) {
      throw new VerificationError(
        'refused',
        'verify_needs_1',
        'an authentication verifies one signature',
      );
    }
    this.#commit(id, caller, 'signature', source, {}, (): CaptureWrite => {
      if (row.kind === 'identity') {
        const enrolled = enrolSubjectSignature(this.#vault, subjectId, signatures, {
          actor: caller.actor,
          verificationId: id,
        });
        if (!enrolled.ok) {
          throw new VerificationError(
            'invalid_media',
            enrolled.reason,
            'the signatures cannot be enrolled',
          );
        }
        return {
          result: { templateId: enrolled.templateId },
          details: { signatures: signatures.length },
        };
      }
      const outcome = verifySubjectSignature(this.#vault, subjectId, signatures[0]!, {
        actor: caller.actor,
        verificationId: id,
      });
      if (!outcome.ok) {
        if (outcome.reason === 'poor_quality' || outcome.reason === 'invalid_input') {
          throw new VerificationError(
            'invalid_media',
            outcome.reason,
            'the signature cannot be used',
          );
        }
        const check: VerificationCheck = {
          check: 'signature_match',
          outcome: outcome.reason === 'replayed' ? 'fail' : 'not_run',
          reasonCode: outcome.reason === 'replayed' ? 'signature_mismatch' : null,
        };
        return { result: { checks: [check] }, details: { signature: outcome.reason } };
      }
      const check: VerificationCheck =
        outcome.decision === 'accept'
          ? { check: 'signature_match', outcome: 'pass', score: outcome.score, reasonCode: null }
          : {
              check: 'signature_match',
              outcome: 'fail',
              score: outcome.score,
              reasonCode: 'signature_mismatch',
            };
      return {
        result: {
          checks: [check],
          signature: { score: outcome.score, threshold: outcome.threshold },
        },
        details: { signature: outcome.decision },
      };
    });
    return this.get(id, { ...caller, piiRead: false });
  }

  // ---- images ------------------------------------------------------------------------------------

  /**
   * One of a session's images (`document`: the document's photo; `selfie`: the best frame of the
   * burst) for the staff console, opened as one audited `pii.read`. An API client sees only the
   * sessions it created; a session, or an image, that is not there is not found.
   */
  image(
    id: string,
    name: VerificationImageName,
    caller: Caller,
  ): { bytes: Uint8Array<ArrayBuffer>; mime: string } {
    const vault = this.#vault;
    const found = vault.read((db) => {
      const row = store.getVerification(db, id);
      if (row === null) return null;
      if (caller.apiClientId !== null && row.apiClientId !== caller.apiClientId) return null;
      if (caller.kioskId !== null && row.kioskId !== caller.kioskId) return null;
      const captures = store.getCaptures(db, id);
      if (name === 'document') {
        const documentId = captures.get('document')?.result.documentId;
        const image = documentId === undefined ? null : store.getDocumentImage(db, documentId);
        return image === null
          ? null
          : {
              owner: { subjectId: image.subjectId },
              ref: { table: 'document_images', column: 'image_enc', rowId: image.id },
              sealed: image.imageEnc,
              mime: image.mime,
            };
      }
      const sampleId = captures.get('selfie')?.result.sampleId;
      const sample = sampleId === undefined ? null : store.getSample(db, sampleId);
      return sample === null
        ? null
        : {
            owner: { subjectId: sample.subjectId },
            ref: { table: 'biometric_samples', column: 'sample_enc', rowId: sample.id },
            sealed: sample.sampleEnc,
            mime: sample.mime,
          };
    });
    if (found === null) {
      throw new VerificationError('not_found', 'unknown_image', 'No such resource.');
    }
    const { mime, ...field } = found;
    return vault.openSealed(
      {
        actor: caller.actor,
        action: 'pii.read',
        purpose: 'verification',
        objectType: 'verification',
        objectId: id,
        details: { image: name },
      },
      [field],
      ([bytes]) => {
        const copy = new Uint8Array(bytes ?? new Uint8Array());
        return { value: { bytes: copy, mime: imageMime(copy, mime) }, outcome: 'opened' };
      },
    );
  }

  // ---- submit and decision ----------------------------------------------------------------------

  /**
   * Runs the checks on the captures, asks the policy, and records the submit and the decision in
   * one transaction with verification.submitted and verification.decided.
   */
  async submit(id: string, caller: Caller): Promise<VerificationDto> {
    const row = this.#load(id, caller.actor);
    const refused = transition(sessionOf(row), { type: 'submit' }, this.#vault.now, this.#rules);
    if (!refused.ok) throw refusalError(refused.refusal);
    this.#vault.read((db) => {
      this.#requireUnrestricted(db, row);
      this.#requireConsent(db, row);
    });
    const checks = await this.#runChecks(row, caller);
    // A minor's session (issue 15, PRIV-4) needs its guardian's approved verification and consent.
    if (checks.some((c) => c.reasonCode === 'minor_guardian_required')) {
      try {
        requireGuardian(this.#vault, id);
      } catch (error) {
        if (!(error instanceof ConsentError)) throw error;
        throw new VerificationError('refused', error.reason, error.message);
      }
    }
    const policyDecision = decide(
      checks,
      row.kind,
      decisionPolicyInForce(this.#vault, this.#policy),
    );
    const vault = this.#vault;
    vault.write((db) => {
      const current = store.getVerification(db, id);
      if (current === null)
        throw new VerificationError('not_found', 'unknown_verification', 'No such resource.');
      const now = vault.now;
      const submitted = transition(sessionOf(current), { type: 'submit' }, now, this.#rules);
      if (!submitted.ok) throw refusalError(submitted.refusal);
      // The restriction and the consent as they stand now, in the transaction that decides.
      this.#requireUnrestricted(db, current);
      this.#requireConsent(db, current);
      const decided = transition(
        submitted.session,
        { type: 'decide', decision: policyDecision.decision },
        now,
        this.#rules,
      );
      if (!decided.ok) throw refusalError(decided.refusal);
      const session = decided.session;
      const reasons: ReasonCode[] =
        session.reasonCode !== null && !policyDecision.reasons.includes(session.reasonCode)
          ? [session.reasonCode, ...policyDecision.reasons]
          : [...policyDecision.reasons];
      const state = session.state;
      const decision: Decision =
        state === 'approved' || state === 'declined' || state === 'review'
          ? state
          : 'resubmission_requested';
      this.#save(db, id, session);
      store.recordDecision(db, id, {
        checks,
        decision: decision === 'resubmission_requested' ? null : decision,
        riskScore:
          state === 'declined' && session.reasonCode !== null ? 100 : policyDecision.riskScore,
        reasons,
        policyVersion: policyDecision.policyVersion,
        at: now.toISOString(),
      });
      emitEvent(db, { type: 'verification.submitted', payload: { verificationId: id } }, now);
      emitEvent(
        db,
        {
          type: 'verification.decided',
          payload: {
            verificationId: id,
            decision,
            riskScore: policyDecision.riskScore,
            reasons,
            policyVersion: policyDecision.policyVersion,
            byCase: false,
          },
        },
        now,
      );
      vault.audit({
        actor: caller.actor,
        action: 'verification.submitted',
        objectType: 'verification',
        objectId: id,
        details: { checks: checks.length },
      });
      vault.audit({
        actor: 'system',
        action: 'verification.decided',
        objectType: 'verification',
        objectId: id,
        details: {
          decision,
          riskScore: policyDecision.riskScore,
          reasons,
          policyVersion: policyDecision.policyVersion,
        },
      });
    });
    return this.get(id, { ...caller, piiRead: false });
  }

  /** VerificationResolver: a review case settles its session (in the caller's transaction). */
  resolve(
    verificationId: string,
    resolution: 'approved' | 'declined' | 'resubmission_requested',
    actor: string,
  ): void {
    const vault = this.#vault;
    vault.write((db) => {
      const row = store.getVerification(db, verificationId);
      if (row === null) {
        throw new VerificationError('not_found', 'unknown_verification', 'No such resource.');
      }
      const now = vault.now;
      const result = transition(sessionOf(row), { type: 'resolve', resolution }, now, this.#rules);
      if (!result.ok) throw refusalError(result.refusal);
      this.#save(db, verificationId, result.session);
      store.recordDecision(db, verificationId, {
        checks: row.checks,
        decision: resolution === 'resubmission_requested' ? null : resolution,
        riskScore: row.riskScore ?? 0,
        reasons: row.reasons,
        policyVersion: row.policyVersion ?? this.#policy.version,
        at: now.toISOString(),
      });
      emitEvent(
        db,
        {
          type: 'verification.decided',
          payload: {
            verificationId,
            decision: resolution,
            riskScore: row.riskScore ?? 0,
            reasons: row.reasons,
            policyVersion: row.policyVersion ?? this.#policy.version,
            byCase: true,
          },
        },
        now,
      );
      vault.audit({
        actor,
        action: 'verification.resolved',
        objectType: 'verification',
        objectId: verificationId,
        details: { resolution },
      });
    });
  }

  async #runChecks(row: VerificationRow, caller: Caller): Promise<VerificationCheck[]> {
    const captures = this.#vault.read((db) => store.getCaptures(db, row.id));
    const checks: VerificationCheck[] = [];
    if (row.kind === 'authentication') {
      // The standing as it is now (a case can decline an identity after this session began).
      const standing = this.#vault.read((db) => store.identityStanding(db, row.subjectId ?? ''));
      const refusal = STANDING_REFUSALS[standing];
      checks.push(
        refusal === null
          ? { check: 'enrolment', outcome: 'pass', reasonCode: null }
          : { check: 'enrolment', outcome: 'fail', reasonCode: refusal.code },
      );
    }
    const documentId = captures.get('document')?.result.documentId;
    let documentImage: Uint8Array | null = null;
    if (documentId !== undefined) {
      const opened = this.#openDocument(documentId, caller, true);
      if (opened !== null) {
        const { document, image } = opened;
        documentImage = image;
        const policy = this.#config.policies;
        const results = checkDocument(document.record, {
          now: this.#vault.now,
          policy: {
            minimumAge: policy.minimumAge,
            ageOfMajority: policy.ageOfMajority,
            ageOfMajorityByJurisdiction: policy.ageOfMajorityByJurisdiction,
          },
          otherReadings: document.others,
          subjectId: row.subjectId,
          lookups: vaultDocumentLookups(this.#vault),
        });
        checks.push(...results);
        // The fleet's lists (issue 19): its signal is recorded, its signed lists looked up.
        checks.push(...(await fleetDocumentChecks(this.#vault, row.id, document.record)));
        // The same document presented more often than the velocity rule allows: a person looks.
        checks.push(
          documentVelocityCheck(
            document.record,
            row.id,
            this.#vault.now,
            vaultDocumentPresentations(this.#vault),
          ),
        );
      }
    }
    const selfie = captures.get('selfie')?.result;
    if (selfie !== undefined) {
      checks.push(...(selfie.checks ?? []));
      if (selfie.templateId !== undefined) {
        try {
          checks.push(
            ...(await this.#faceChecks(row, selfie.templateId, documentId, documentImage, caller)),
          );
        } finally {
          documentImage?.fill(0);
        }
      }
    }
    checks.push(...(captures.get('signature')?.result.checks ?? []));
    const simulated = [...captures.values()].some((c) => c.source === 'simulated_device');
    checks.push(captureContextCheck({ simulated }));
    return checks;
  }

  /**
   * The fused selfie probe against the document portrait (identity) or the subject's enrolled
   * face templates (authentication), and the probe's 1:N signals (known-fraud face, another
   * subject's enrolled face, face velocity), from one audited read with the purpose
   * 'verification'. An authentication compares only with enrolments: templates kept without a
   * verification or captured in an identity session that was not declined (never another
   * authentication's probe, never a declined identity's capture).
   */
  async #faceChecks(
    row: VerificationRow,
    probeTemplateId: string,
    documentId: string | undefined,
    documentImage: Uint8Array | null,
    caller: Caller,
  ): Promise<VerificationCheck[]> {
    const notRun = (check: string): VerificationCheck => ({
      check,
      outcome: 'not_run',
      reasonCode: null,
    });
    const signalsNotRun = ['known_fraud_face', 'duplicate_face', 'velocity_face'].map(notRun);
    const subjectId = row.subjectId ?? '';
    const engine = this.#face.engine();
    const model = engine.model;
    const all = subjectTemplates(this.#vault, subjectId, 'face');
    const stored = all.filter((t) => sameModel(t.model, model));
    // Templates of another recogniser are never compared (issue 17): not_run, not a score.
    const modelChanged: VerificationCheck = {
      check: 'face_match',
      outcome: 'not_run',
      reasonCode: 'face_model_changed',
    };
    const probeRecord = stored.find((t) => t.id === probeTemplateId);
    if (probeRecord === undefined) return [notRun('face_match'), ...signalsNotRun];
    const candidates = stored.filter(
      (t) => t.id !== probeTemplateId && t.verificationId !== row.id,
    );
    const enrolled = this.#vault.read((db) =>
      store.enrolledTemplateIds(
        db,
        candidates.map((t) => t.id),
      ),
    );
    const references = candidates.filter((t) => enrolled.has(t.id));
    let reference: FaceTemplate[] = [];
    let kind: 'live' | 'document' = 'live';
    let portrait: VerificationCheck | null = null;
    if (
      row.kind === 'authentication' &&
      references.length === 0 &&
      all.some((t) => !sameModel(t.model, model) && t.verificationId !== row.id)
    ) {
      portrait = modelChanged;
    }
    if (row.kind === 'identity') {
      const known = documentId === undefined ? undefined : this.#takePortrait(documentId);
      const analysed =
        known ?? (documentImage === null ? null : await this.#analysePortrait(documentImage));
      if (analysed === null) portrait = notRun('face_match');
      else if ('check' in analysed) portrait = analysed.check;
      else if (!sameModel(analysed.template.model, model)) portrait = modelChanged;
      else {
        reference = [analysed.template];
        kind = 'document';
      }
    }
    const opened = row.kind === 'identity' ? [probeRecord] : [probeRecord, ...references];
    const access = {
      actor: caller.actor,
      action: 'biometric_template.compared',
      purpose: 'verification',
      objectType: 'subject',
      objectId: subjectId,
      details: { modality: 'face', templates: opened.length },
    } as const;
    try {
      return this.#compareFaces(row, opened, access, reference, kind, portrait);
    } finally {
      for (const t of reference) t.vector.fill(0);
    }
  }

  #compareFaces(
    row: VerificationRow,
    opened: ReturnType<typeof subjectTemplates>,
    access: PersonalDataAccess,
    reference: FaceTemplate[],
    kind: 'live' | 'document',
    portrait: VerificationCheck | null,
  ): VerificationCheck[] {
    const subjectId = row.subjectId ?? '';
    const notRun = (check: string): VerificationCheck => ({
      check,
      outcome: 'not_run',
      reasonCode: null,
    });
    const signalsNotRun = ['known_fraud_face', 'duplicate_face', 'velocity_face'].map(notRun);
    return openTemplates<VerificationCheck[]>(this.#vault, opened, access, (templates) => {
      const [probe, ...enrolledFaces] = templates.map((t) => deserializeFaceTemplate(t.template));
      if (probe === undefined) {
        return { value: [notRun('face_match'), ...signalsNotRun], outcome: 'not_run' };
      }
      const signals = sameModel(probe.model, this.#faceSearch.model)
        ? faceSignalChecks(
            {
              probe: { model: probe.model, embedding: probe.vector },
              subjectId,
              verificationId: row.id,
              now: this.#vault.now,
            },
            this.#fraud,
            { thresholds: faceMatchThresholds('live', this.#rates) },
          )
        : signalsNotRun.map((c) => ({ ...c, reasonCode: 'face_model_changed' }));
      const against = row.kind === 'identity' ? reference : enrolledFaces;
      if (portrait !== null || against.length === 0) {
        const check = portrait ?? notRun('face_match');
        return { value: [check, ...signals], outcome: check.outcome };
      }
      const distance = Math.min(...against.map((t) => faceDistance(probe, t)));
      const thresholds = faceMatchThresholds(kind, this.#rates);
      const comparison = {
        status: 'compared',
        kind,
        distance,
        decision: decideFaceMatch(distance, thresholds),
        reasonCodes: [],
        estimatedFmr: estimatedFmr(distance, kind),
        thresholds,
        greyscaleMatch: false,
      } as unknown as FaceComparison;
      const check = faceMatchCheck(comparison);
      return { value: [check, ...signals], outcome: check.outcome };
    });
  }

  /**
   * The document portrait's template, or the failed face-match check its image gives (no face,
   * several, too poor); null when the engine was too busy to answer (submit asks again).
   */
  async #analysePortrait(image: Uint8Array): Promise<Portrait | null> {
    const engine = this.#face.engine();
    const analysis = await engine.analyse(image, { role: 'document' });
    if (analysis.status === 'busy') return null;
    if (analysis.status === 'rejected') {
      return {
        check: faceMatchCheck({
          status: 'not_compared',
          side: 'b',
          reason: analysis.reason,
          guidance: analysis.guidance,
        }),
      };
    }
    return { template: templateOf(analysis, engine.model) };
  }

  /** Keeps a captured document's portrait for its submit (a bounded map, zeroed on the way out). */
  #rememberPortrait(documentId: string, portrait: Portrait): void {
    this.#portraits.set(documentId, portrait);
    while (this.#portraits.size > PORTRAIT_CACHE) {
      const oldest = this.#portraits.keys().next().value;
      if (oldest === undefined) break;
      const evicted = this.#takePortrait(oldest);
      if (evicted !== undefined && 'template' in evicted) evicted.template.vector.fill(0);
    }
  }

  /**
   * A remembered portrait, taken out of the map (a submit uses it once; a resubmission's new
   * document brings its own). Another process, or a restart, finds nothing: submit analyses.
   */
  #takePortrait(documentId: string): Portrait | undefined {
    const portrait = this.#portraits.get(documentId);
    this.#portraits.delete(documentId);
    return portrait;
  }

  /**
   * A committed selfie probe joins the running 1:N index, so the next session's search sees it
   * (the index loads every face template at start, so a restart agrees). Whether a hit counts as
   * a duplicate identity is decided at search time from the vault (enrolledTemplateIds).
   */
  #index(
    indexed: { templateId: string; subjectId: string } | null,
    model: FaceTemplate['model'],
    embedding: Float32Array,
  ): void {
    if (indexed === null) return;
    const index = this.#faceSearch.index;
    if (index.closed || index.has(indexed.templateId)) return;
    // A probe of another recogniser than the index's is never compared, but counted as unseen.
    if (!sameModel(model, this.#faceSearch.model))
      index.noteOtherModelTemplate(indexed.templateId, indexed.subjectId);
    else index.addTemplate({ ...indexed, model, embedding });
  }

  // ---- internals ----------------------------------------------------------------------------------

  /** The session, after applying a timeout that has ended it. */
  #load(id: string, actor: string): VerificationRow {
    const vault = this.#vault;
    const row = vault.read((db) => store.getVerification(db, id));
    if (row === null)
      throw new VerificationError('not_found', 'unknown_verification', 'No such resource.');
    const reason = timeoutOf(sessionOf(row), vault.now, this.#timeouts);
    if (reason === null) return row;
    this.#apply(
      id,
      { actor, kioskId: null, apiClientId: null, piiRead: false },
      {
        type: 'expire',
        reason,
      },
      'verification.expired',
    );
    return vault.read((db) => store.getVerification(db, id)) ?? row;
  }

  /** A transition with nothing else to write (cancel, expire), audited. */
  #apply(id: string, caller: Caller, event: SessionEvent, action: string): void {
    const vault = this.#vault;
    vault.write((db) => {
      const row = store.getVerification(db, id);
      if (row === null)
        throw new VerificationError('not_found', 'unknown_verification', 'No such resource.');
      const result = transition(sessionOf(row), event, vault.now, this.#rules);
      if (!result.ok) throw refusalError(result.refusal);
      this.#save(db, id, result.session);
      vault.audit({
        actor: caller.actor,
        action,
        objectType: 'verification',
        objectId: id,
        details: { status: result.session.state, reason: result.session.reasonCode },
      });
    });
  }

  /** Refuses a capture the machine would refuse, before any work is done. */
  #admit(id: string, caller: Caller, step: CaptureStep): VerificationRow {
    const row = this.#load(id, caller.actor);
    this.#vault.read((db) => this.#admissible(db, row, step));
    return row;
  }

  /**
   * Refuses now what a document capture from `source` would be refused (state, order, consent,
   * the plan's sources): the reader route asks before it waits for a document to be presented.
   */
  admitDocument(id: string, source: DocumentSource, caller: Caller): void {
    this.#admitDocument(id, caller, source);
  }

  /**
   * #admit for the document step, and the source refused unless the kind's plan allows it
   * (policy data: a kind may take the document from the reader only, never from a photo).
   */
  #admitDocument(id: string, caller: Caller, source: DocumentSource): VerificationRow {
    const row = this.#admit(id, caller, 'document');
    const allowed = documentSources(this.#rules.plans[row.kind]);
    if (!allowed.includes(source)) {
      throw new VerificationError(
        'refused',
        'document_source_not_allowed',
        `this kind of verification does not take a document from ${DOCUMENT_SOURCE_NAMES[source]}: allowed are ${allowed.join(', ')}`,
      );
    }
    return row;
  }

  /**
   * Whether the session takes this capture now: the machine, the subject's restriction (PRIV-3:
   * a restricted subject's data is not processed, whenever the restriction came) and, after the
   * consent step, a consent in force. Asked before the work and again in the writing transaction.
   */
  #admissible(db: ReadableDb, row: VerificationRow, step: CaptureStep): Session {
    const result = transition(
      sessionOf(row),
      { type: 'capture', step },
      this.#vault.now,
      this.#rules,
    );
    if (!result.ok) throw refusalError(result.refusal);
    this.#requireUnrestricted(db, row);
    if (step !== 'consent') this.#requireConsent(db, row);
    return result.session;
  }

  /** PRIV-3: nothing of a restricted subject is processed (captures, submit, challenges). */
  #requireUnrestricted(db: ReadableDb, row: VerificationRow): void {
    if (row.subjectId !== null && isSubjectRestricted(db, row.subjectId)) {
      throw new VerificationError(
        'refused',
        'subject_restricted',
        'the processing of this subject is restricted',
      );
    }
  }

  /**
   * Records a capture: in one transaction the machine is asked again, `write` stores the
   * capture's rows, and the capture row, the session and the audit entry are written.
   */
  #commit(
    id: string,
    caller: Caller,
    step: CaptureStep,
    source: CaptureSource,
    base: CaptureResult,
    write: (db: WritableDb, row: VerificationRow) => CaptureWrite,
  ): void {
    const vault = this.#vault;
    vault.write((db) => {
      const row = store.getVerification(db, id);
      if (row === null)
        throw new VerificationError('not_found', 'unknown_verification', 'No such resource.');
      const now = vault.now;
      const session = this.#admissible(db, row, step);
      const captured = write(db, row);
      store.putCapture(db, id, step, source, { ...base, ...captured.result }, now.toISOString());
      if (source === 'simulated_device') store.markSimulated(db, id);
      this.#save(db, id, session);
      vault.audit({
        actor: caller.actor,
        action: 'verification.captured',
        objectType: 'verification',
        objectId: id,
        details: { step, source, ...captured.details },
      });
    });
  }

  #save(db: WritableDb, id: string, session: Session): void {
    const now = this.#vault.now.toISOString();
    store.updateSession(db, id, {
      status: session.state,
      stepsDone: session.done,
      resubmissions: session.resubmissions,
      reasonCode: session.reasonCode,
      lastActivityAt: session.lastActivityAt.toISOString(),
      at: now,
    });
  }

  async #storeDocument(
    id: string,
    caller: Caller,
    source: CaptureSource,
    document: SealedDocument,
    image: StoredImage | null,
  ): Promise<void> {
    const vault = this.#vault;
    const { record } = document;
    // Under the minimum age (issue 15, PRIV-4): the session stops and nothing is stored.
    if (ageGate(record, vault.now, this.#config.policies) === 'under_minimum') {
      // Not stopped (the session ended meanwhile): the machine's refusal, and nothing stored.
      if (!stopUnderMinimumAge(vault, id, caller.actor)) this.#admit(id, caller, 'document');
      return;
    }
    // The portrait is analysed now, outside any transaction, so submit only compares: the face
    // worker's queue (other kiosks' bursts) is waited on here, not between submit and decision.
    const portrait = image === null ? null : await this.#analysePortrait(image.bytes);
    let stored: string | null = null;
    this.#commit(id, caller, 'document', source, {}, (db, row) => {
      const subjectId = row.subjectId ?? '';
      const owner = { subjectId };
      const documentId = newId('doc');
      const number =
        record.documentNumber === null ? '' : normaliseDocumentNumber(record.documentNumber);
      store.deleteSessionDocuments(db, id);
      const at = vault.now.toISOString();
      // The holder's name and birth date as the vault indexes them, so "this number under
      // another identity" compares identities, not subjects (a new capture replaces it).
      if (row.kind === 'identity') {
        const { nameAndBirthDate } = identityOf(record, subjectId);
        setSubjectNameDob(
          db,
          subjectId,
          nameAndBirthDate === null ? null : vault.blindIndex('name_birth_date', nameAndBirthDate),
        );
      }
      store.insertDocument(db, {
        id: documentId,
        subjectId,
        verificationId: id,
        kind: record.kind,
        format: record.format,
        issuingState: record.issuingState,
        documentNumberMasked: maskDocumentNumber(record),
        numberBidx: number === '' ? null : vault.blindIndex('document_number', number),
        recordEnc: vault.seal(
          owner,
          { table: 'documents', column: 'record_enc', rowId: documentId },
          JSON.stringify(document),
        ),
        at,
      });
      if (image !== null) {
        const imageId = newId('dim');
        store.insertDocumentImage(db, {
          id: imageId,
          documentId,
          subjectId,
          mime: image.mime,
          width: image.width,
          height: image.height,
          imageEnc: vault.seal(
            owner,
            { table: 'document_images', column: 'image_enc', rowId: imageId },
            image.bytes,
          ),
          at,
        });
      }
      stored = documentId;
      return {
        result: { documentId },
        details: { kind: record.kind, format: record.format, image: image !== null },
      };
    });
    if (stored !== null && portrait !== null) this.#rememberPortrait(stored, portrait);
  }

  /**
   * Opens a session's document (and its image when asked), audited as a `pii.read` with the
   * purpose 'verification'. The image is a copy the caller zeroes.
   */
  #openDocument(
    documentId: string,
    caller: Caller,
    withImage: boolean,
  ): { document: SealedDocument; image: Uint8Array | null } | null {
    const vault = this.#vault;
    const doc = vault.read((db) => store.getDocument(db, documentId));
    if (doc === null) return null;
    const img = withImage ? vault.read((db) => store.getDocumentImage(db, documentId)) : null;
    const owner = { subjectId: doc.subjectId };
    const fields = [
      {
        owner,
        ref: { table: 'documents', column: 'record_enc', rowId: doc.id },
        sealed: doc.recordEnc,
      },
      ...(img === null
        ? []
        : [
            {
              owner,
              ref: { table: 'document_images', column: 'image_enc', rowId: img.id },
              sealed: img.imageEnc,
            },
          ]),
    ];
    return vault.openSealed(
      {
        actor: caller.actor,
        action: 'pii.read',
        purpose: 'verification',
        objectType: 'document',
        objectId: doc.id,
        details: { fields: fields.length },
      },
      fields,
      ([record, image]) => ({
        value: {
          document: JSON.parse(new TextDecoder().decode(record)) as SealedDocument,
          image: image === undefined ? null : new Uint8Array(image),
        },
        outcome: 'opened',
      }),
    );
  }

  #dto(row: VerificationRow, caller: Caller): VerificationDto {
    const vault = this.#vault;
    const doc = vault.read((db) => {
      const captures = store.getCaptures(db, row.id);
      const documentId = captures.get('document')?.result.documentId;
      return documentId === undefined ? null : store.getDocument(db, documentId);
    });
    let reference: string | null = null;
    let fields: DocumentFields | null = null;
    // PRIV-3 objection: a subject who objected to data sharing is not shown to the branch system.
    const sharingRefused =
      caller.apiClientId !== null &&
      row.subjectId !== null &&
      vault.read((db) => subjectObjectsTo(db, row.subjectId ?? '', 'data_sharing'));
    if (caller.piiRead && !sharingRefused && (doc !== null || row.referenceEnc !== null)) {
      const sealed = [];
      const subjectOwner = { subjectId: row.subjectId ?? '' };
      if (row.referenceEnc !== null) {
        sealed.push({
          owner: subjectOwner,
          ref: { table: 'verifications', column: 'external_ref_enc', rowId: row.id },
          sealed: row.referenceEnc,
        });
      }
      if (doc !== null) {
        sealed.push({
          owner: { subjectId: doc.subjectId },
          ref: { table: 'documents', column: 'record_enc', rowId: doc.id },
          sealed: doc.recordEnc,
        });
      }
      const opened = vault.openSealed(
        {
          actor: caller.actor,
          action: 'pii.read',
          purpose: 'verification',
          objectType: 'verification',
          objectId: row.id,
          details: { fields: sealed.length },
        },
        sealed,
        (plaintexts) => {
          const text = plaintexts.map((p) => new TextDecoder().decode(p));
          const ref = row.referenceEnc !== null ? (text.shift() ?? null) : null;
          const docText = doc !== null ? text.shift() : undefined;
          const record =
            docText === undefined ? null : (JSON.parse(docText) as SealedDocument).record;
          return {
            value: {
              ref,
              fields:
                record === null
                  ? null
                  : {
                      documentNumber: record.documentNumber,
                      surname: record.surname,
                      givenNames: record.givenNames,
                      birthDate: record.birthDate,
                      expiryDate: record.expiryDate,
                      nationality: record.nationality,
                      sex: record.sex,
                    },
            },
            outcome: 'opened',
          };
        },
      );
      reference = opened.ref;
      fields = opened.fields;
    }
    const plan = this.#rules.plans[row.kind];
    const open =
      row.status === 'created' ||
      row.status === 'in_progress' ||
      row.status === 'resubmission_requested';
    const decision =
      row.status === 'approved' ||
      row.status === 'declined' ||
      row.status === 'review' ||
      row.status === 'resubmission_requested'
        ? row.decidedAt === null
          ? null
          : row.status
        : null;
    return {
      id: row.id,
      kind: row.kind,
      status: row.status,
      subjectId: row.subjectId,
      kioskId: row.kioskId,
      reference,
      createdAt: row.createdAt,
      updatedAt: row.updatedAt,
      decidedAt: row.decidedAt,
      decision,
      riskScore: row.riskScore,
      reasons: row.reasons,
      reasonCode: row.reasonCode,
      policyVersion: row.policyVersion,
      checks: row.checks.map((c) => ({
        check: c.check,
        outcome: c.outcome,
        ...(c.score === undefined ? {} : { score: c.score }),
        reasonCode: c.reasonCode,
        ...(c.evidence === undefined ? {} : { evidence: { ...c.evidence } }),
      })),
      stepsDone: row.stepsDone,
      nextStep: open ? nextStep(plan, row.stepsDone) : null,
      documentSources: [...documentSources(plan)],
      resubmissions: row.resubmissions,
      document:
        doc === null
          ? null
          : {
              kind: doc.kind,
              format: doc.format,
              issuingState: doc.issuingState,
              documentNumberMasked: doc.documentNumberMasked,
              fields,
            },
    };
  }

  /** Where a capture came from: a named appliance device (simulated or not), a kiosk, the API. */
  #sourceOf(caller: Caller, deviceId: string | undefined): CaptureSource {
    if (deviceId !== undefined) {
      const device = this.#devices?.list().find((d) => deviceApiId(d.id) === deviceId);
      if (device === undefined) {
        throw new VerificationError(
          'refused',
          'unknown_device',
          'no such device on this appliance',
        );
      }
      return device.source === 'simulator' ? 'simulated_device' : 'device';
    }
    return caller.kioskId !== null ? 'kiosk' : 'api';
  }

  async #mrzReader(): Promise<MrzImageReader | null> {
    if (this.#readMrz === undefined) {
      const { loadMrzImageReader } = await import('../documents/index.js');
      this.#readMrz = await loadMrzImageReader();
    }
    return this.#readMrz;
  }
}

/** The media type the bytes are (JPEG and PNG by their signature), else the one recorded. */
export function imageMime(bytes: Uint8Array, recorded: string): string {
  if (bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return 'image/jpeg';
  if (bytes[0] === 0x89 && bytes[1] === 0x50 && bytes[2] === 0x4e && bytes[3] === 0x47) {
    return 'image/png';
  }
  return recorded;
}

/** A record worth keeping: a format was recognised and a document number read. */
function isReading(record: DocumentRecord): boolean {
  return record.documentNumber !== null && record.documentNumber !== '';
}
