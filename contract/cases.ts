import { z } from 'zod';
import { REASON_CODE_LIST } from './reason-codes.js';

/**
 * Review cases (VER-4): the queue, saved filters, assignment and decisions. A decision carries a
 * resolution and a reason from a fixed list (below) plus an optional note; the note is free text
 * written by staff, so it is sealed and never returned, audited, logged or put in an event.
 */

export const CASE_STATUSES = ['open', 'assigned', 'awaiting_second', 'decided'] as const;
export type CaseStatus = (typeof CASE_STATUSES)[number];

export const CASE_RESOLUTIONS = ['approved', 'declined', 'resubmission_requested'] as const;
export type CaseResolution = (typeof CASE_RESOLUTIONS)[number];

/** The reasons a reviewer may give, per resolution: codes only, never what the capture showed. */
export const CASE_REASON_CODES = {
  approved: [
    'document_genuine',
    'identity_confirmed_in_person',
    'check_false_positive',
    'reading_confirmed',
  ],
  declined: [
    'document_altered',
    'document_not_genuine',
    'face_not_same_person',
    'known_fraud_confirmed',
    'presentation_attack',
    'policy_not_met',
  ],
  resubmission_requested: ['capture_unusable', 'wrong_document', 'capture_incomplete'],
} as const satisfies Record<CaseResolution, readonly string[]>;
export type CaseReasonCode = (typeof CASE_REASON_CODES)[CaseResolution][number];
export const CASE_REASON_CODE_LIST =
  Object.values(CASE_REASON_CODES).flat<readonly (readonly CaseReasonCode[])[]>();

/**
 * Declines that open a case besides `review`: a match on a known-fraud list or another identity
 * is a decline a person must look at (and may overturn, with a second reviewer).
 */
export const CASE_OPENING_DECLINE_REASONS = [
  'known_fraud_document',
  'known_fraud_face',
  'document_number_other_identity',
  'duplicate_face',
] as const;

/**
 * Declines that open a case only when the session was started on a kiosk: staff are at the
 * counter the customer is sent to ("please see a member of staff") and can check the person in
 * person. The same decline of a session an integrator started without a kiosk (a remote channel)
 * opens none: an attack on a remote channel must not flood the queue. Overriding either needs
 * four eyes, as every decline does.
 */
export const KIOSK_CASE_OPENING_DECLINE_REASONS = ['liveness_failed'] as const;

const caseId = z
  .string()
  .regex(/^case_[0-9a-hjkmnp-tv-z]{26}$/)
  .meta({ example: 'case_01jf2m3k4n5p6q7r8s9t0v1w2x' });
const staffUserId = z.string().regex(/^usr_[0-9a-hjkmnp-tv-z]{26}$/);

export const CaseIdParamsSchema = z.strictObject({
  id: caseId.meta({ param: { name: 'id', in: 'path' } }),
});

export const CaseFirstDecisionSchema = z
  .object({
    resolution: z.enum(CASE_RESOLUTIONS),
    reasonCode: z.string(),
    /** The audit actor (`staff:<user id>` or `api:<key id>`). */
    by: z.string(),
    at: z.string(),
  })
  .meta({ id: 'CaseFirstDecision' });

export const CaseSchema = z
  .object({
    id: caseId,
    verificationId: z.string(),
    status: z.enum(CASE_STATUSES),
    /** The staff user working the case. */
    assignedTo: z.string().nullable(),
    /** What the policy decided: `review`, or a decline a person must look at. */
    policyDecision: z.enum(['review', 'declined']),
    /** The policy's reason codes, most severe first. */
    policyReasons: z.array(z.string()),
    /** Approving needs a second, different reviewer (the policy declined, or a decline-class reason). */
    needsSecondReviewer: z.boolean(),
    createdAt: z.string(),
    /** created_at + config cases.slaHours. */
    dueAt: z.string(),
    /** Not decided and past `dueAt`. */
    overdue: z.boolean(),
    /** Minutes since the case opened (until it was decided). */
    ageMinutes: z.number().int(),
    /** The first reviewer's proposal while a second is awaited (and kept after). */
    firstDecision: CaseFirstDecisionSchema.nullable(),
    resolution: z.enum(CASE_RESOLUTIONS).nullable(),
    reasonCode: z.string().nullable(),
    decidedBy: z.string().nullable(),
    secondReviewer: z.string().nullable(),
    decidedAt: z.string().nullable(),
  })
  .meta({ id: 'Case' });
export type Case = z.infer<typeof CaseSchema>;

export const CaseCheckSchema = z
  .object({
    check: z.string(),
    outcome: z.string(),
    score: z.number().optional(),
    reasonCode: z.string().nullable(),
  })
  .meta({ id: 'CaseCheck' });

export const CaseDetailSchema = z
  .object({
    case: CaseSchema,
    /** The verification as the case sees it (images: GET /verifications/{id}/images/{name}). */
    verification: z.object({
      id: z.string(),
      status: z.string(),
      purpose: z.string(),
      riskScore: z.number().int().nullable(),
      reasons: z.array(z.string()),
      checks: z.array(CaseCheckSchema),
      /** Where the session happened: its kiosk (null: started by an integrator, remote). */
      kiosk: z
        .object({ id: z.string(), name: z.string(), location: z.string().nullable() })
        .nullable(),
      /** A simulated device captured some of it (the demo): never approved without staff. */
      simulated: z.boolean(),
    }),
  })
  .meta({ id: 'CaseDetail' });
export type CaseDetail = z.infer<typeof CaseDetailSchema>;

export const CaseListSchema = z
  .object({ items: z.array(CaseSchema), nextCursor: z.string().nullable() })
  .meta({ id: 'CaseList' });

const boolString = z.enum(['true', 'false']).transform((v) => v === 'true');

/** The filter fields of the queue (also what a saved filter holds). */
export const CaseFilterSchema = z
  .strictObject({
    status: z.enum(CASE_STATUSES).optional(),
    /** `me` (the calling staff user), `none` (unassigned), or a staff user id. */
    assignee: z.union([z.literal('me'), z.literal('none'), staffUserId]).optional(),
    overdue: z.boolean().optional(),
    /** Cases whose policy reasons include this code. */
    reasonCode: z.enum(REASON_CODE_LIST as [string, ...string[]]).optional(),
    /** Cases open at least this many hours. */
    minAgeHours: z.number().int().min(0).max(8760).optional(),
  })
  .meta({ id: 'CaseFilter' });
export type CaseFilter = z.infer<typeof CaseFilterSchema>;

const q = (name: string) => ({ param: { name, in: 'query' as const } });

export const CaseQuerySchema = z.strictObject({
  status: z.enum(CASE_STATUSES).optional().meta(q('status')),
  assignee: z
    .union([z.literal('me'), z.literal('none'), staffUserId])
    .optional()
    .meta(q('assignee')),
  overdue: boolString.optional().meta(q('overdue')),
  reasonCode: z
    .enum(REASON_CODE_LIST as [string, ...string[]])
    .optional()
    .meta(q('reasonCode')),
  minAgeHours: z
    .string()
    .regex(/^[0-9]{1,4}$/)
    .transform(Number)
    .refine((n) => n <= 8760)
    .optional()
    .meta(q('minAgeHours')),
  /** A saved filter of the caller: its fields apply unless the query names them. */
  savedFilter: z
    .string()
    .regex(/^cflt_[0-9a-hjkmnp-tv-z]{26}$/)
    .optional()
    .meta(q('savedFilter')),
  /** The `nextCursor` of the previous page. */
  cursor: caseId.optional().meta(q('cursor')),
  limit: z
    .string()
    .regex(/^[1-9][0-9]{0,2}$/)
    .transform(Number)
    .refine((n) => n <= 200)
    .optional()
    .meta(q('limit')),
});

export const CaseAssignSchema = z
  .strictObject({
    /** `me`, or the id of an active staff user who may review. */
    assignee: z.union([z.literal('me'), staffUserId]),
  })
  .meta({ id: 'CaseAssign' });
export type CaseAssign = z.infer<typeof CaseAssignSchema>;

export const CaseDecisionSchema = z
  .strictObject({
    resolution: z.enum(CASE_RESOLUTIONS),
    reasonCode: z.enum(CASE_REASON_CODE_LIST as [string, ...string[]]),
    /** Free text for the file: sealed, never returned, audited or logged. */
    note: z.string().max(2000).optional(),
  })
  .superRefine((value, ctx) => {
    const allowed = CASE_REASON_CODES[value.resolution] as readonly string[];
    if (!allowed.includes(value.reasonCode)) {
      ctx.addIssue({
        code: 'custom',
        path: ['reasonCode'],
        message: `not a reason for ${value.resolution}`,
      });
    }
  })
  .meta({ id: 'CaseDecision' });
export type CaseDecisionInput = z.infer<typeof CaseDecisionSchema>;

export const SavedCaseFilterSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    filter: CaseFilterSchema,
    createdAt: z.string(),
  })
  .meta({ id: 'SavedCaseFilter' });
export type SavedCaseFilter = z.infer<typeof SavedCaseFilterSchema>;

export const SavedCaseFilterListSchema = z
  .object({ items: z.array(SavedCaseFilterSchema) })
  .meta({ id: 'SavedCaseFilterList' });

export const SavedCaseFilterCreateSchema = z
  .strictObject({
    name: z
      .string()
      .min(1)
      .max(60)
      .regex(/^[\p{L}\p{N} _.-]+$/u),
    filter: CaseFilterSchema,
  })
  .meta({ id: 'SavedCaseFilterCreate' });
export type SavedCaseFilterCreate = z.infer<typeof SavedCaseFilterCreateSchema>;

export const SavedCaseFilterIdParamsSchema = z.strictObject({
  id: z
    .string()
    .regex(/^cflt_[0-9a-hjkmnp-tv-z]{26}$/)
    .meta({ param: { name: 'id', in: 'path' } }),
});
