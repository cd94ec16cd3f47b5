import { z } from 'zod';

/**
 * Fraud lists (VER-3): known-fraud documents (a keyed blind index of issuer and number) and
 * known-fraud faces (a sealed template). Nothing personal goes out: an entry is shown by its id,
 * its list, its reason code, who added it and when, its expiry and, once removed, who removed it,
 * when and why. The document number and the face are never echoed, not even in an error.
 */

/** Why an entry is on a list: a code from this fixed list, never free text. */
export const FRAUD_LIST_REASONS = [
  'confirmed_fraud',
  'reported_stolen',
  'reported_lost',
  'counterfeit_document',
  'synthetic_identity',
  'identity_theft',
  'law_enforcement_request',
  'internal_investigation',
] as const;
export type FraudListReason = (typeof FRAUD_LIST_REASONS)[number];

/** Why an entry left its list. */
export const FRAUD_REMOVAL_REASONS = [
  'added_in_error',
  'investigation_closed',
  'document_recovered',
  'court_order',
  'data_subject_request',
  'superseded',
] as const;
export type FraudRemovalReason = (typeof FRAUD_REMOVAL_REASONS)[number];

export const FRAUD_LISTS = ['document', 'face'] as const;
export type FraudListKind = (typeof FRAUD_LISTS)[number];

export const FraudListReasonSchema = z.enum(FRAUD_LIST_REASONS).meta({ id: 'FraudListReason' });
export const FraudRemovalReasonSchema = z
  .enum(FRAUD_REMOVAL_REASONS)
  .meta({ id: 'FraudRemovalReason' });

export const FraudListEntrySchema = z
  .object({
    id: z.string().meta({ example: 'fdo_01jf2m3k4n5p6q7r8s9t0v1w2x' }),
    list: z.enum(FRAUD_LISTS),
    reason: FraudListReasonSchema,
    addedBy: z.string(),
    addedAt: z.string(),
    /** After this time the entry no longer matches; null: no expiry. */
    expiresAt: z.string().nullable(),
    /** `active`, `expired` (past expiresAt) or `removed`. */
    status: z.enum(['active', 'expired', 'removed']),
    removedAt: z.string().nullable(),
    removedBy: z.string().nullable(),
    removalReason: FraudRemovalReasonSchema.nullable(),
  })
  .meta({ id: 'FraudListEntry' });
export type FraudListEntry = z.infer<typeof FraudListEntrySchema>;

export const FraudListEntryListSchema = z
  .object({
    items: z.array(FraudListEntrySchema),
    /** Pass as `after` for the next page; null on the last page. */
    nextCursor: z.string().nullable(),
  })
  .meta({ id: 'FraudListEntryList' });

const expiresAt = z.iso
  .datetime({ offset: true })
  .optional()
  .meta({ description: 'When the entry stops matching (ISO-8601, in the future).' });

export const FraudDocumentCreateSchema = z
  .strictObject({
    /** The printed number; blind-indexed at once, never stored or repeated. */
    documentNumber: z.string().min(1).max(64),
    /** ICAO state or AAMVA jurisdiction code; absent or null: the number from any issuer. */
    issuingState: z
      .string()
      .regex(/^[A-Za-z]{1,3}$|^[A-Za-z]{2}-[A-Za-z0-9]{1,3}$/)
      .nullable()
      .optional(),
    reason: FraudListReasonSchema,
    expiresAt,
  })
  .meta({ id: 'FraudDocumentCreate' });
export type FraudDocumentCreate = z.infer<typeof FraudDocumentCreateSchema>;

export const FraudFaceCreateSchema = z
  .discriminatedUnion('source', [
    z.strictObject({
      /** A face image (JPEG or PNG, base64), analysed by the face engine. */
      source: z.literal('image'),
      image: z.base64().min(4).max(14_000_000),
      reason: FraudListReasonSchema,
      expiresAt,
    }),
    z.strictObject({
      /** The newest face template enrolled for this subject. */
      source: z.literal('subject'),
      subjectId: z.string().regex(/^[a-z]{2,8}_[0-9a-hjkmnp-tv-z]{26}$/),
      reason: FraudListReasonSchema,
      expiresAt,
    }),
  ])
  .meta({ id: 'FraudFaceCreate' });
export type FraudFaceCreate = z.infer<typeof FraudFaceCreateSchema>;

export const FraudListRemoveSchema = z
  .strictObject({ reason: FraudRemovalReasonSchema })
  .meta({ id: 'FraudListRemove' });

export const FraudListIdParamsSchema = z.strictObject({
  id: z
    .string()
    .regex(/^[a-z]{2,8}_[0-9a-hjkmnp-tv-z]{26}$/)
    .meta({ param: { name: 'id', in: 'path' }, example: 'fdo_01jf2m3k4n5p6q7r8s9t0v1w2x' }),
});

export const FraudListQuerySchema = z.strictObject({
  list: z
    .enum(FRAUD_LISTS)
    .optional()
    .meta({ param: { name: 'list', in: 'query' } }),
  /** Also list expired and removed entries. */
  include: z
    .enum(['active', 'all'])
    .optional()
    .meta({ param: { name: 'include', in: 'query' } }),
  after: z
    .string()
    .regex(/^[a-z]{2,8}_[0-9a-hjkmnp-tv-z]{26}$/)
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
