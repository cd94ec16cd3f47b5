import { z } from 'zod';

/**
 * Consent (PRIV-1): the purposes an End-User agrees to, the texts shown for them (versioned data
 * per language and purpose, each with the SHA-256 of its wording), the written release (their
 * signature on the pad) and its withdrawal; the guardian link of a minor's session (PRIV-4); the
 * published retention schedule (PRIV-2).
 */

/**
 * `biometric_processing`: biometric processing for identity verification (the document's
 * portrait, the selfie and the signature compared to prove who someone is);
 * `authentication`: biometric authentication (the enrolled face and signature kept to recognise
 * the person at later visits); `data_sharing`: the result shared with the branch system.
 */
export const CONSENT_PURPOSES = ['biometric_processing', 'authentication', 'data_sharing'] as const;
export type ConsentPurpose = (typeof CONSENT_PURPOSES)[number];

/** Languages every consent text exists in. */
export const CONSENT_LANGUAGES = ['en', 'es', 'de'] as const;
export type ConsentLanguage = (typeof CONSENT_LANGUAGES)[number];

/** Where a withdrawal was made: at the kiosk, by staff on the subject's request, or by the API. */
export const WITHDRAWAL_CHANNELS = ['kiosk', 'staff', 'api'] as const;
export type WithdrawalChannel = (typeof WITHDRAWAL_CHANNELS)[number];

/** The path of the published retention schedule, which every consent text links. */
export const RETENTION_SCHEDULE_PATH = '/privacy/retention-schedule';

const ID = /^[a-z]{2,5}_[0-9A-Za-z]{10,40}$/;
const version = z.string().regex(/^[A-Za-z0-9._-]{1,32}$/);
const hash = z.string().regex(/^[0-9a-f]{64}$/);

export const ConsentTextSchema = z
  .object({
    purpose: z.enum(CONSENT_PURPOSES),
    language: z.enum(CONSENT_LANGUAGES),
    version,
    /** SHA-256 (hex) of `title`, a blank line and `body`, exactly as shown. */
    hash,
    title: z.string(),
    body: z.string(),
    /** The retention policy version whose terms the text names. */
    policyVersion: z.number().int().nullable(),
    retentionScheduleUrl: z.string(),
    publishedAt: z.string(),
  })
  .meta({ id: 'ConsentText' });
export type ConsentTextDto = z.infer<typeof ConsentTextSchema>;

export const ConsentTextListSchema = z
  .object({ data: z.array(ConsentTextSchema) })
  .meta({ id: 'ConsentTextList' });

export const ConsentTextQuerySchema = z
  .strictObject({
    language: z.enum(CONSENT_LANGUAGES).optional(),
    purpose: z.enum(CONSENT_PURPOSES).optional(),
  })
  .meta({ id: 'ConsentTextQuery' });
export type ConsentTextQuery = z.infer<typeof ConsentTextQuerySchema>;

/**
 * The written release at the kiosk: which texts were shown (purpose and version, in one
 * language) and the End-User's signature on the pad (a verikiosk signature JSON document, the
 * format of the signature capture). The texts must be the current versions.
 */
export const ConsentCaptureSchema = z
  .strictObject({
    language: z.enum(CONSENT_LANGUAGES),
    texts: z
      .array(z.strictObject({ purpose: z.enum(CONSENT_PURPOSES), version }))
      .min(1)
      .max(CONSENT_PURPOSES.length)
      .refine(
        (list) => new Set(list.map((t) => t.purpose)).size === list.length,
        'purposes must not repeat',
      ),
    signature: z.record(z.string(), z.unknown()),
    deviceId: z
      .string()
      .regex(/^dev_[0-9a-f]{8,64}$/)
      .optional(),
  })
  .meta({ id: 'ConsentCapture' });
export type ConsentCapture = z.infer<typeof ConsentCaptureSchema>;

/**
 * A withdrawal: of one purpose, for a subject (staff, API: `privacy:write`) or for the subject of
 * a session on the calling kiosk (`verificationId`).
 */
export const ConsentWithdrawalSchema = z
  .strictObject({
    purpose: z.enum(CONSENT_PURPOSES),
    subjectId: z.string().regex(ID).optional(),
    verificationId: z.string().regex(ID).optional(),
  })
  .refine((b) => (b.subjectId === undefined) !== (b.verificationId === undefined), {
    message: 'exactly one of subjectId and verificationId',
  })
  .meta({ id: 'ConsentWithdrawal' });
export type ConsentWithdrawal = z.infer<typeof ConsentWithdrawalSchema>;

export const ConsentWithdrawalResultSchema = z
  .object({
    subjectId: z.string(),
    purpose: z.enum(CONSENT_PURPOSES),
    channel: z.enum(WITHDRAWAL_CHANNELS),
    withdrawnAt: z.string(),
    /** Consent records withdrawn (0: nothing was in force; the call is idempotent). */
    withdrawn: z.number().int(),
    /** What was destroyed at once, with the certificate of each category. */
    destroyed: z.array(
      z.object({ category: z.string(), count: z.number().int(), certificateId: z.string() }),
    ),
    /** Records kept because the subject is under a legal hold (none destroyed then). */
    heldByLegalHold: z.boolean(),
  })
  .meta({ id: 'ConsentWithdrawalResult' });
export type ConsentWithdrawalResult = z.infer<typeof ConsentWithdrawalResultSchema>;

/**
 * A minor's session takes its guardian: the guardian's own identity session (approved) and the
 * guardian's written consent for the minor, in the format of the consent capture.
 */
export const GuardianLinkSchema = z
  .strictObject({
    guardianVerificationId: z.string().regex(ID),
    consent: ConsentCaptureSchema,
  })
  .meta({ id: 'GuardianLink' });
export type GuardianLink = z.infer<typeof GuardianLinkSchema>;

export const GuardianLinkResultSchema = z
  .object({
    verificationId: z.string(),
    guardianVerificationId: z.string(),
    linkedAt: z.string(),
  })
  .meta({ id: 'GuardianLinkResult' });
