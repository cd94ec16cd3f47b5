import { z } from 'zod';
import { CONSENT_PURPOSES } from './consents.js';

/**
 * Data-subject requests (PRIV-3): access, portability, deletion, correction, restriction,
 * objection and consent withdrawal, filed by staff at the desk, by the branch system or at the
 * kiosk. The requester's identity is verified before anything is released or destroyed: an
 * approved authentication of the subject (face or signature against their enrolment), the same
 * document presented again, or staff with recorded evidence. Nothing personal goes out in a
 * request's answer: ids, codes, dates and counts (the export bundle is its own download).
 */

export const PRIVACY_REQUEST_TYPES = [
  'access',
  'portability',
  'deletion',
  'correction',
  'restriction',
  'objection',
  'consent_withdrawal',
] as const;
export type PrivacyRequestType = (typeof PRIVACY_REQUEST_TYPES)[number];

/** The CHECK of privacy_requests.status (migration 001). */
export const PRIVACY_REQUEST_STATUSES = [
  'received',
  'verifying',
  'in_progress',
  'extended',
  'completed',
  'rejected',
] as const;
export type PrivacyRequestStatus = (typeof PRIVACY_REQUEST_STATUSES)[number];

export const PRIVACY_REGIMES = ['gdpr', 'ccpa', 'other'] as const;
export type PrivacyRegime = (typeof PRIVACY_REGIMES)[number];

export const IDENTITY_METHODS = ['authentication', 'document', 'staff_evidence'] as const;
export type IdentityMethod = (typeof IDENTITY_METHODS)[number];

export const REQUEST_CHANNELS = ['staff', 'api', 'kiosk'] as const;
export type RequestChannel = (typeof REQUEST_CHANNELS)[number];

/** Why a deadline was extended (once): a code, never free text. */
export const EXTENSION_REASONS = [
  'complex_request',
  'number_of_requests',
  'awaiting_requester',
  'legal_review',
] as const;
export type ExtensionReason = (typeof EXTENSION_REASONS)[number];

/** The optional purposes a subject may object to (their processing is not needed for the service). */
export const OBJECTION_PURPOSES = ['data_sharing', 'service_improvement'] as const;
export type ObjectionPurpose = (typeof OBJECTION_PURPOSES)[number];

/** The consent purposes a withdrawal may name: those a consent is given for (contract/consents.ts). */
export const WITHDRAWABLE_PURPOSES = CONSENT_PURPOSES;

/** The document fields a correction may change (the number is the document's identity: present it again instead). */
export const CORRECTABLE_FIELDS = [
  'surname',
  'givenNames',
  'birthDate',
  'nationality',
  'sex',
  'issueDate',
  'expiryDate',
  'personalNumber',
] as const;
export type CorrectableField = (typeof CORRECTABLE_FIELDS)[number];

const ID = /^[a-z]{2,8}_[0-9a-hjkmnp-tv-z]{26}$/;
const id = (example: string) => z.string().regex(ID).meta({ example });
const subjectId = id('sub_01jf2m3k4n5p6q7r8s9t0v1w2x');

/**
 * Why an identity proof was refused: the `rule` of a 422 `identity_unverified`. Only
 * `authentication_in_review` may still turn: staff have not decided the authentication yet, so
 * the kiosk asks again; every other rule is final (`authentication_not_approved` covers an
 * authentication staff or the policy declined, and one that is not this subject's).
 */
export const IDENTITY_UNVERIFIED_RULES = [
  'authentication_in_review',
  'authentication_not_approved',
  'authentication_stale',
  'authentication_other_kiosk',
  'document_mismatch',
  'evidence_staff_only',
] as const;
export type IdentityUnverifiedRule = (typeof IDENTITY_UNVERIFIED_RULES)[number];

/** How the requester proved to be the subject. */
export const IdentityProofSchema = z
  .discriminatedUnion('method', [
    z.strictObject({
      /** An approved authentication session of this subject (face or signature, at the kiosk). */
      method: z.literal('authentication'),
      verificationId: id('ver_01jf2m3k4n5p6q7r8s9t0v1w2x'),
    }),
    z.strictObject({
      /** The same document presented again: its number is blind-indexed and compared, never stored. */
      method: z.literal('document'),
      documentNumber: z.string().min(1).max(64),
    }),
    z.strictObject({
      /** Staff only: what they checked (sealed under the subject's key, never audited in clear). */
      method: z.literal('staff_evidence'),
      evidence: z.string().trim().min(10).max(2000),
    }),
  ])
  .meta({ id: 'IdentityProof' });
export type IdentityProof = z.infer<typeof IdentityProofSchema>;

const jurisdiction = z
  .string()
  .regex(/^[A-Z]{2}(?:-[A-Z0-9]{1,3})?$/)
  .optional()
  .meta({
    description:
      "The subject's jurisdiction (ISO 3166, e.g. `DE`, `US-CA`); it picks the regime and its deadline. Absent: the appliance's (config privacyRequests.jurisdiction).",
  });

/**
 * Who asks, when it is not (only) the subject: under the CCPA an authorised agent, under the GDPR
 * a representative or a holder of parental responsibility (`guardian`). The subject's identity is
 * still proven (`identity`); an agent or guardian also gives their name and what staff checked of
 * their authorisation (a signed permission, a power of attorney). The contact is where the answer
 * goes when it comes later (an export, an extension): sealed under the subject's key, shown to
 * privacy staff only through an audited read, shredded with the subject.
 */
export const REQUESTER_RELATIONS = ['subject', 'authorised_agent', 'guardian'] as const;
export type RequesterRelation = (typeof REQUESTER_RELATIONS)[number];

export const RequesterSchema = z
  .strictObject({
    relation: z.enum(REQUESTER_RELATIONS),
    name: z.string().trim().min(1).max(200).optional(),
    email: z.email().max(254).optional(),
    phone: z
      .string()
      .trim()
      .regex(/^\+?[0-9 ()./-]{5,32}$/)
      .optional(),
    postal: z.string().trim().min(5).max(500).optional(),
    /** What staff checked of an agent's or guardian's authorisation. */
    authorisation: z.string().trim().min(10).max(2000).optional(),
  })
  .refine((r) => r.email !== undefined || r.phone !== undefined || r.postal !== undefined, {
    message: 'names a way to reach the requester (email, phone or postal)',
  })
  .refine(
    (r) => r.relation === 'subject' || (r.name !== undefined && r.authorisation !== undefined),
    {
      message: 'an agent or guardian gives their name and the authorisation checked',
    },
  )
  .meta({ id: 'PrivacyRequester' });
export type Requester = z.infer<typeof RequesterSchema>;

const base = {
  subjectId,
  identity: IdentityProofSchema,
  jurisdiction,
  /** Absent: the subject asks and answers are given where they asked. */
  requester: RequesterSchema.optional(),
};

const datePattern = /^\d{4}-\d{2}-\d{2}$/;
const fieldValue = z.string().trim().min(1).max(100);

export const CorrectionSchema = z
  .strictObject({
    /** The document to correct; absent: the subject's newest. */
    documentId: id('doc_01jf2m3k4n5p6q7r8s9t0v1w2x').optional(),
    fields: z
      .strictObject({
        surname: fieldValue.optional(),
        givenNames: fieldValue.optional(),
        birthDate: z.string().regex(datePattern).optional(),
        nationality: z
          .string()
          .regex(/^[A-Z]{3}$/)
          .optional(),
        sex: z.enum(['M', 'F', 'X']).optional(),
        issueDate: z.string().regex(datePattern).optional(),
        expiryDate: z.string().regex(datePattern).optional(),
        personalNumber: fieldValue.optional(),
      })
      .refine((f) => Object.keys(f).length > 0, { message: 'names at least one field' }),
  })
  .meta({ id: 'PrivacyCorrection' });
export type Correction = z.infer<typeof CorrectionSchema>;

export const PrivacyRequestCreateSchema = z
  .discriminatedUnion('type', [
    z.strictObject({ type: z.literal('access'), ...base }),
    z.strictObject({ type: z.literal('portability'), ...base }),
    z.strictObject({ type: z.literal('deletion'), ...base }),
    z.strictObject({ type: z.literal('restriction'), ...base }),
    z.strictObject({ type: z.literal('correction'), ...base, correction: CorrectionSchema }),
    z.strictObject({
      type: z.literal('objection'),
      ...base,
      purposes: z.array(z.enum(OBJECTION_PURPOSES)).min(1).max(OBJECTION_PURPOSES.length),
    }),
    z.strictObject({
      type: z.literal('consent_withdrawal'),
      ...base,
      purposes: z.array(z.enum(WITHDRAWABLE_PURPOSES)).min(1).max(WITHDRAWABLE_PURPOSES.length),
    }),
  ])
  .meta({ id: 'PrivacyRequestCreate' });
export type PrivacyRequestCreate = z.infer<typeof PrivacyRequestCreateSchema>;

export const RetainedItemSchema = z
  .object({
    /** What was kept: `subject` (everything, under legal hold) or a table such as `fraud_list_entries`. */
    category: z.string(),
    /** Why: `legal_hold` or `legal_retention_duty`. */
    reason: z.enum(['legal_hold', 'legal_retention_duty']),
    count: z.number().int().min(0),
  })
  .meta({ id: 'RetainedItem' });
export type RetainedItem = z.infer<typeof RetainedItemSchema>;

export const PrivacyRequestSchema = z
  .object({
    id: z.string(),
    type: z.enum(PRIVACY_REQUEST_TYPES),
    /** Kept after a deletion (a random id, never personal data). */
    subjectId: z.string(),
    regime: z.enum(PRIVACY_REGIMES),
    status: z.enum(PRIVACY_REQUEST_STATUSES),
    channel: z.enum(REQUEST_CHANNELS),
    filedBy: z.string(),
    /** Who asked: the subject, or an agent or guardian for them. */
    requester: z.enum(REQUESTER_RELATIONS),
    /** A contact for the answer is on file (see GET …/requester); false once shredded. */
    requesterContact: z.boolean(),
    identityMethod: z.enum(IDENTITY_METHODS).nullable(),
    receivedAt: z.string(),
    acknowledgedAt: z.string().nullable(),
    dueAt: z.string(),
    extendedAt: z.string().nullable(),
    extensionReason: z.enum(EXTENSION_REASONS).nullable(),
    completedAt: z.string().nullable(),
    /** Not completed and past its due time. */
    overdue: z.boolean(),
    /** Completed before its due time (null while open). */
    deadlineMet: z.boolean().nullable(),
    /** How it ended: `fulfilled`, `retained_under_legal_hold`, `export_failed`, … */
    outcome: z.string().nullable(),
    purposes: z.array(z.string()),
    /** What a deletion kept, and why. */
    retained: z.array(RetainedItemSchema),
    /** An export's progress (0-100) while it runs; null for other types. */
    progress: z.number().int().min(0).max(100).nullable(),
    /** The export bundle when it is ready: its size and number of items. */
    export: z.object({ bytes: z.number().int(), items: z.number().int() }).nullable(),
  })
  .meta({ id: 'PrivacyRequest' });
export type PrivacyRequestDto = z.infer<typeof PrivacyRequestSchema>;

export const PrivacyRequestListSchema = z
  .object({
    items: z.array(PrivacyRequestSchema),
    nextCursor: z.string().nullable(),
    /** Open requests past their due time (over the whole queue, not this page). */
    overdue: z.number().int(),
  })
  .meta({ id: 'PrivacyRequestList' });

export const PrivacyRequestListQuerySchema = z.strictObject({
  status: z
    .enum(PRIVACY_REQUEST_STATUSES)
    .optional()
    .meta({ param: { name: 'status', in: 'query' } }),
  type: z
    .enum(PRIVACY_REQUEST_TYPES)
    .optional()
    .meta({ param: { name: 'type', in: 'query' } }),
  /** `true`: only open requests past their due time. */
  overdue: z
    .enum(['true', 'false'])
    .optional()
    .meta({ param: { name: 'overdue', in: 'query' } }),
  subjectId: subjectId.optional().meta({ param: { name: 'subjectId', in: 'query' } }),
  after: z
    .string()
    .regex(ID)
    .optional()
    .meta({ param: { name: 'after', in: 'query' } }),
  limit: z.coerce
    .number()
    .int()
    .min(1)
    .max(200)
    .optional()
    .meta({ param: { name: 'limit', in: 'query' } }),
});
export type PrivacyRequestListQuery = z.infer<typeof PrivacyRequestListQuerySchema>;

export const PrivacyRequestExtendSchema = z
  .strictObject({ reason: z.enum(EXTENSION_REASONS) })
  .meta({ id: 'PrivacyRequestExtend' });

export const PrivacyRequestIdParamsSchema = z.strictObject({
  id: z
    .string()
    .regex(ID)
    .meta({ param: { name: 'id', in: 'path' }, example: 'prq_01jf2m3k4n5p6q7r8s9t0v1w2x' }),
});
