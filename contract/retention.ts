import { z } from 'zod';

/** What a retention run would destroy now (a dry run: counted in a rolled-back transaction). */
export const RetentionPreviewSchema = z
  .object({
    asOf: z.string(),
    items: z.array(
      z.object({
        ruleId: z.string(),
        category: z.string(),
        /** Records the rule would destroy. */
        count: z.number().int(),
        /** Basis events at or before this time have expired. */
        cutoff: z.string(),
      }),
    ),
    total: z.number().int(),
    /** Subjects under an active legal hold: what expired of theirs would be kept. */
    heldSubjects: z.number().int(),
  })
  .meta({ id: 'RetentionPreview' });
export type RetentionPreviewDto = z.infer<typeof RetentionPreviewSchema>;
