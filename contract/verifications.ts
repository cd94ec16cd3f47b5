import { z } from 'zod';

/**
 * The verification resource's vocabulary (VER-1, VER-2): kinds, states, capture steps, check
 * outcomes and decisions, as `as const` lists shared by the core, the kiosk and integrators.
 */

/** `identity`: a new customer proves who they are; `authentication`: a known subject returns. */
export const VERIFICATION_KINDS = ['identity', 'authentication'] as const;
export type VerificationKind = (typeof VERIFICATION_KINDS)[number];

/**
 * created → in_progress → submitted → approved | declined | review | resubmission_requested;
 * expired and abandoned end a session that never got a decision. `review` waits for a case;
 * `resubmission_requested` goes back to in_progress when a new capture arrives.
 */
export const VERIFICATION_STATES = [
  'created',
  'in_progress',
  'submitted',
  'approved',
  'declined',
  'review',
  'resubmission_requested',
  'expired',
  'abandoned',
] as const;
export type VerificationState = (typeof VERIFICATION_STATES)[number];

/** States nothing leaves. */
export const FINAL_STATES = ['approved', 'declined', 'expired', 'abandoned'] as const;
export type FinalState = (typeof FINAL_STATES)[number];

export function isFinalState(state: VerificationState): state is FinalState {
  return (FINAL_STATES as readonly string[]).includes(state);
}

/** What a session captures, in the order a kind's plan asks for it. */
export const CAPTURE_STEPS = ['consent', 'document', 'selfie', 'signature'] as const;
export type CaptureStep = (typeof CAPTURE_STEPS)[number];

/**
 * Where a document capture may come from: an appliance reader (`from-reader`), an image (the
 * kiosk camera or an upload, read by OCR) or text (an MRZ or barcode payload). Policy data per
 * kind (the document step of the step plan) says which a session takes.
 */
export const DOCUMENT_SOURCES = ['reader', 'image', 'text'] as const;
export type DocumentSource = (typeof DOCUMENT_SOURCES)[number];

export const CHECK_OUTCOMES = ['pass', 'warn', 'fail', 'not_run'] as const;
export type CheckOutcome = (typeof CHECK_OUTCOMES)[number];

/** What a policy concludes from the checks. */
export const DECISIONS = ['approved', 'declined', 'review', 'resubmission_requested'] as const;
export type Decision = (typeof DECISIONS)[number];

export const VerificationKindSchema = z.enum(VERIFICATION_KINDS).meta({ id: 'VerificationKind' });
export const VerificationStateSchema = z
  .enum(VERIFICATION_STATES)
  .meta({ id: 'VerificationState' });
export const CaptureStepSchema = z.enum(CAPTURE_STEPS).meta({ id: 'CaptureStep' });
export const DocumentSourceSchema = z.enum(DOCUMENT_SOURCES).meta({ id: 'DocumentSource' });
export const CheckOutcomeSchema = z.enum(CHECK_OUTCOMES).meta({ id: 'CheckOutcome' });
export const DecisionSchema = z.enum(DECISIONS).meta({ id: 'Decision' });

// ---- the verification resource over HTTP (API-3) ---------------------------------------------

const ID = /^[a-z]{2,5}_[0-9A-Za-z]{10,40}$/;
const idString = (example: string) => z.string().regex(ID).meta({ example });

/** An integrator's own reference for the session (a branch case number): no free text. */
export const VERIFICATION_REFERENCE_PATTERN = /^[A-Za-z0-9._:/#-]{1,64}$/;

export const VerificationCreateSchema = z
  .strictObject({
    kind: VerificationKindSchema,
    reference: z.string().regex(VERIFICATION_REFERENCE_PATTERN).optional().meta({
      description:
        "The branch system's reference (1-64 letters, digits and . _ : / # -), sealed; shown with `pii:read`.",
    }),
    subjectId: idString('sub_01JF3M8X2K4Q9W7E5R6T').optional().meta({
      description: 'The returning subject (authentication only; identity creates the subject).',
    }),
    kioskId: idString('ksk_01JF3M8X2K4Q9W7E5R6T').optional().meta({
      description: 'The kiosk the session runs on (a kiosk token: its own, the default).',
    }),
  })
  .superRefine((body, ctx) => {
    if (body.kind === 'authentication' && body.subjectId === undefined) {
      ctx.addIssue({ code: 'custom', path: ['subjectId'], message: 'required' });
    }
    if (body.kind === 'identity' && body.subjectId !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['subjectId'], message: 'not allowed' });
    }
  })
  .meta({ id: 'VerificationCreate' });
export type VerificationCreate = z.infer<typeof VerificationCreateSchema>;

export const VerificationCheckSchema = z
  .object({
    check: z.string(),
    outcome: CheckOutcomeSchema,
    score: z.number().optional(),
    reasonCode: z.string().nullable(),
    /** Counts that explain the outcome (e.g. `unsearchedSubjects` after a face-model change). */
    evidence: z
      .record(z.string(), z.number().int().nonnegative())
      .optional()
      .describe('Counts behind the outcome, never identifiers'),
  })
  .meta({ id: 'VerificationCheck' });

/** The document's fields: with `pii:read` only (the read is audited). */
export const DocumentFieldsSchema = z
  .object({
    documentNumber: z.string().nullable(),
    surname: z.string().nullable(),
    givenNames: z.string().nullable(),
    birthDate: z.string().nullable(),
    expiryDate: z.string().nullable(),
    nationality: z.string().nullable(),
    sex: z.string().nullable(),
  })
  .meta({ id: 'DocumentFields' });
export type DocumentFields = z.infer<typeof DocumentFieldsSchema>;

export const VerificationDocumentSchema = z
  .object({
    kind: z.enum(['mrz', 'aamva', 'visual']),
    format: z.string().nullable(),
    issuingState: z.string().nullable(),
    /** Always masked (last characters only). */
    documentNumberMasked: z.string().nullable(),
    /** Null without `pii:read`. */
    fields: DocumentFieldsSchema.nullable(),
  })
  .meta({ id: 'VerificationDocument' });

export const VerificationSchema = z
  .object({
    id: z.string(),
    kind: VerificationKindSchema,
    status: VerificationStateSchema,
    subjectId: z.string().nullable(),
    kioskId: z.string().nullable(),
    /** Null without `pii:read`. */
    reference: z.string().nullable(),
    createdAt: z.string(),
    updatedAt: z.string(),
    decidedAt: z.string().nullable(),
    decision: DecisionSchema.nullable(),
    riskScore: z.number().int().min(0).max(100).nullable(),
    /** Ordered most severe first (the catalogue at /api/v1/reason-codes). */
    reasons: z.array(z.string()),
    /** Why the session is where it is (a timeout, a cancel, the resubmission limit). */
    reasonCode: z.string().nullable(),
    policyVersion: z.string().nullable(),
    checks: z.array(VerificationCheckSchema),
    stepsDone: z.array(CaptureStepSchema),
    /** The capture to ask for next; null when nothing is missing. */
    nextStep: CaptureStepSchema.nullable(),
    /** Where this kind's document capture may come from (empty: the kind takes no document). */
    documentSources: z.array(DocumentSourceSchema),
    resubmissions: z.number().int(),
    document: VerificationDocumentSchema.nullable(),
  })
  .meta({ id: 'Verification' });
export type VerificationDto = z.infer<typeof VerificationSchema>;

export const VerificationListSchema = z
  .object({
    items: z.array(VerificationSchema),
    /** Pass as `cursor` for the next page; null on the last page. */
    nextCursor: z.string().nullable(),
  })
  .meta({ id: 'VerificationList' });

const isoInstant = z.iso.datetime({ offset: true });

export const VerificationListQuerySchema = z
  .strictObject({
    status: VerificationStateSchema.optional(),
    kind: VerificationKindSchema.optional(),
    kioskId: idString('ksk_01JF3M8X2K4Q9W7E5R6T').optional(),
    createdFrom: isoInstant.optional(),
    createdTo: isoInstant.optional(),
    /** Sessions created with this reference (needs `pii:read`: it is the branch's case number). */
    reference: z.string().regex(VERIFICATION_REFERENCE_PATTERN).optional(),
    cursor: z
      .string()
      .regex(/^[A-Za-z0-9_-]{1,200}$/)
      .optional(),
    limit: z.coerce.number().int().min(1).max(100).optional(),
  })
  .meta({ id: 'VerificationListQuery' });
export type VerificationListQuery = z.infer<typeof VerificationListQuerySchema>;

export const VerificationIdParamsSchema = z.object({
  id: z
    .string()
    .regex(ID)
    .meta({ param: { name: 'id', in: 'path' }, example: 'ver_01JF3M8X2K4Q9W7E5R6T' }),
});

// The consent capture (the written release) is in consents.ts.

/** The images a session may hold: the document's photo, and the best frame of the selfie burst. */
export const VERIFICATION_IMAGE_NAMES = ['document', 'selfie'] as const;
export type VerificationImageName = (typeof VERIFICATION_IMAGE_NAMES)[number];

export const VerificationImageParamsSchema = z.object({
  id: VerificationIdParamsSchema.shape.id,
  name: z
    .enum(VERIFICATION_IMAGE_NAMES)
    .meta({ param: { name: 'name', in: 'path' }, example: 'selfie' }),
});

/** A device of the appliance the capture came from (GET /api/v1/devices), when one did. */
const deviceId = z
  .string()
  .regex(/^dev_[0-9a-f]{8,64}$/)
  .optional();

/** An MRZ (TD1/TD2/TD3 lines) or an AAMVA barcode payload, as read: taken as given. */
export const DocumentTextCaptureSchema = z
  .strictObject({
    mrz: z.string().min(1).max(1000).optional(),
    barcode: z.string().min(1).max(65_536).optional(),
    /** Base64 of the document's photo (JPEG or PNG) taken with the reading: its portrait is matched. */
    image: z
      .string()
      .regex(/^[A-Za-z0-9+/]+={0,2}$/)
      .optional(),
    deviceId,
  })
  .refine((body) => (body.mrz === undefined) !== (body.barcode === undefined), {
    message: 'exactly one of mrz and barcode',
  })
  .meta({ id: 'DocumentTextCapture' });
export type DocumentTextCapture = z.infer<typeof DocumentTextCaptureSchema>;

/**
 * The active liveness challenge: which actions to ask for, in which windows (ms since the burst
 * began). The core draws it (POST /verifications/{id}/liveness-challenge); the client follows it.
 */
export const ChallengePlanSchema = z
  .strictObject({
    baselineEnd: z.number().int().min(0).max(60_000),
    steps: z
      .array(
        z.strictObject({
          action: z.enum(['turn_left', 'turn_right', 'blink']),
          start: z.number().int().min(0).max(120_000),
          end: z.number().int().min(0).max(120_000),
        }),
      )
      .min(1)
      .max(3),
    duration: z.number().int().min(0).max(120_000),
  })
  .meta({ id: 'ChallengePlan' });
export type ChallengePlan = z.infer<typeof ChallengePlanSchema>;

/** A challenge id (`lch_…`): what a selfie capture names, never the plan itself. */
const challengeId = z
  .string()
  .regex(/^lch_[0-9A-Za-z]{10,40}$/)
  .meta({
    example: 'lch_01JF3M8X2K4Q9W7E5R6T',
    description:
      'The challenge issued by POST /verifications/{id}/liveness-challenge: the burst is judged against its stored plan.',
  });

/**
 * A liveness challenge issued by the core to one session: the plan to follow, drawn with the
 * CSPRNG and stored on the session. It is valid until `expiresAt`, for one selfie capture of this
 * session only; a new request replaces it.
 */
export const LivenessChallengeSchema = z
  .object({
    id: z.string(),
    verificationId: z.string(),
    plan: ChallengePlanSchema,
    expiresAt: z.string(),
  })
  .meta({ id: 'LivenessChallenge' });
export type LivenessChallengeDto = z.infer<typeof LivenessChallengeSchema>;

/** Base64 of one JPEG or PNG camera frame. */
const base64Image = z
  .string()
  .regex(/^[A-Za-z0-9+/]+={0,2}$/)
  .min(16);

export const SelfieCaptureSchema = z
  .strictObject({
    /** The liveness burst, in capture order: each frame with its time since the burst began. */
    frames: z
      .array(z.strictObject({ t: z.number().int().min(0).max(120_000), image: base64Image }))
      .min(1)
      .max(30),
    challengeId,
    deviceId,
  })
  .meta({ id: 'SelfieCapture' });
export type SelfieCapture = z.infer<typeof SelfieCaptureSchema>;

/** The media types a multipart selfie frame may declare (the bytes are checked when decoded). */
export const SELFIE_FRAME_TYPES = ['image/jpeg', 'image/png'] as const;
const MAX_FRAMES = 30;

const oneOrMany = <T extends z.ZodType>(item: T) =>
  z.union([item, z.array(item).max(MAX_FRAMES)]).transform((v) => (Array.isArray(v) ? v : [v]));

const frameFile = z
  .instanceof(File)
  .refine((file) => file.size > 0, 'an empty frame')
  .refine(
    (file) => (SELFIE_FRAME_TYPES as readonly string[]).includes(file.type.toLowerCase()),
    'a frame is image/jpeg or image/png',
  )
  .meta({ type: 'string', format: 'binary' });

/**
 * The selfie as multipart/form-data (a browser's FormData, curl -F): `frame` parts (JPEG or
 * PNG files, in capture order), one `t` field per frame (ms since the burst began, same order),
 * `challengeId` (the challenge the core issued) and an optional `deviceId`. The whole body is held to the
 * image body limit (server.maxImageBytes) before it is parsed.
 */
export const SelfieFormSchema = z
  .strictObject({
    frame: oneOrMany(frameFile).pipe(
      z
        .array(z.instanceof(File).meta({ type: 'string', format: 'binary' }))
        .min(1)
        .max(MAX_FRAMES),
    ),
    t: oneOrMany(
      z
        .string()
        .regex(/^\d{1,6}$/)
        .transform(Number),
    ).pipe(z.array(z.number().int().min(0).max(120_000)).min(1).max(MAX_FRAMES)),
    challengeId,
    deviceId,
  })
  .refine((form) => form.frame.length === form.t.length, {
    message: 'one t per frame',
    path: ['t'],
  })
  .meta({ id: 'SelfieForm' });
export type SelfieForm = z.infer<typeof SelfieFormSchema>;

export const SignatureCaptureSchema = z
  .strictObject({
    /**
     * verikiosk signature JSON documents (format `verikiosk-signature`): 3-5 to enrol in an
     * identity, one to verify in an authentication.
     */
    signatures: z.array(z.record(z.string(), z.unknown())).min(1).max(5),
    deviceId,
  })
  .meta({ id: 'SignatureCapture' });
export type SignatureCapture = z.infer<typeof SignatureCaptureSchema>;
