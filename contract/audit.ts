import { z } from 'zod';

/**
 * The audit log as the staff console reads it (`audit:read`): entries newest first and the
 * chain's status. Entries hold ids, codes and counts only (the audit never records personal
 * data); hashes and signatures stay in the export (`verikiosk audit export`).
 */
export const AuditEntrySchema = z
  .object({
    seq: z.number().int(),
    at: z.string(),
    /** `staff:<user id>`, `api:<key id>`, `kiosk:<id>`, `system`, … */
    actor: z.string(),
    action: z.string(),
    objectType: z.string().nullable(),
    objectId: z.string().nullable(),
    details: z.record(z.string(), z.unknown()),
  })
  .meta({ id: 'AuditEntry' });
export type AuditEntryDto = z.infer<typeof AuditEntrySchema>;

export const AuditEntryListSchema = z
  .object({
    items: z.array(AuditEntrySchema),
    /** Pass as `before` for the next (older) page; null on the last. */
    nextBefore: z.number().int().nullable(),
  })
  .meta({ id: 'AuditEntryList' });

const q = (name: string) => ({ param: { name, in: 'query' as const } });

export const AuditEntryQuerySchema = z.strictObject({
  /** Entries numbered below this one. */
  before: z
    .string()
    .regex(/^[1-9][0-9]{0,14}$/)
    .transform(Number)
    .optional()
    .meta(q('before')),
  limit: z
    .string()
    .regex(/^[1-9][0-9]{0,2}$/)
    .transform(Number)
    .refine((n) => n <= 200)
    .optional()
    .meta(q('limit')),
});

export const AuditStatusQuerySchema = z.strictObject({
  /** `true`: verify the whole chain; otherwise from the last signed checkpoint on. */
  full: z.enum(['true', 'false']).optional().meta(q('full')),
});

export const AuditStatusSchema = z
  .object({
    ok: z.boolean(),
    /** Entries checked by this verification. */
    entries: z.number().int(),
    firstSeq: z.number().int().nullable(),
    lastSeq: z.number().int().nullable(),
    /** The highest sequence number proven. */
    verifiedThrough: z.number().int().nullable(),
    /** Where the chain breaks; null when ok. */
    firstBadSeq: z.number().int().nullable(),
    problem: z.string().nullable(),
    /** `checkpoint`: from the last signed checkpoint; `start`: the whole chain. */
    from: z.enum(['checkpoint', 'start']),
    /** Entries in the log now. */
    total: z.number().int(),
  })
  .meta({ id: 'AuditStatus' });
export type AuditStatusDto = z.infer<typeof AuditStatusSchema>;
