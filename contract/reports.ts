import { z } from 'zod';

/**
 * Aggregated, anonymised reports (PRIV-5) over a period: two-way tables of counts with their
 * margins. Cells under the threshold (config reports.minCellSize, default 5) are suppressed (null)
 * and so are enough other cells and totals that no suppressed count can be worked out from the
 * published ones (complementary suppression). JSON or CSV (Accept or `?format=`).
 */
export const REPORT_NAMES = [
  'volumes',
  'outcomes',
  'reason-codes',
  'issuing-states',
  'fraud',
  'review-times',
  'privacy-requests',
] as const;
export type ReportName = (typeof REPORT_NAMES)[number];

export const REPORT_BUCKETS = ['day', 'week', 'month'] as const;
export type ReportBucket = (typeof REPORT_BUCKETS)[number];

const DATE = /^\d{4}-\d{2}-\d{2}$/;

export const ReportParamsSchema = z.strictObject({
  report: z.enum(REPORT_NAMES).meta({ param: { name: 'report', in: 'path' } }),
});

export const ReportQuerySchema = z.strictObject({
  /** First day of the period (UTC, inclusive). */
  from: z
    .string()
    .regex(DATE)
    .refine((v) => !Number.isNaN(Date.parse(`${v}T00:00:00Z`)))
    .meta({ param: { name: 'from', in: 'query' }, example: '2026-01-01' }),
  /** Last day of the period (UTC, inclusive). */
  to: z
    .string()
    .regex(DATE)
    .refine((v) => !Number.isNaN(Date.parse(`${v}T00:00:00Z`)))
    .meta({ param: { name: 'to', in: 'query' }, example: '2026-03-31' }),
  /** The time buckets of the `volumes` report's columns (default month). */
  bucket: z
    .enum(REPORT_BUCKETS)
    .optional()
    .meta({ param: { name: 'bucket', in: 'query' } }),
  /** `csv` or `json`; absent: by the Accept header (JSON unless text/csv is asked for). */
  format: z
    .enum(['json', 'csv'])
    .optional()
    .meta({ param: { name: 'format', in: 'query' } }),
});

/** At most three years in one report. */
export const MAX_REPORT_DAYS = 3 * 366;

export type ReportQuery = z.infer<typeof ReportQuerySchema>;

const count = z.number().int().min(0).nullable();

export const ReportSchema = z
  .object({
    report: z.enum(REPORT_NAMES),
    from: z.string(),
    to: z.string(),
    generatedAt: z.string(),
    /** Cells under this count are suppressed. */
    threshold: z.number().int(),
    rowDimension: z.string(),
    columnDimension: z.string(),
    rows: z.array(z.string()),
    columns: z.array(z.string()),
    /** cells[row][column]; null: suppressed. */
    cells: z.array(z.array(count)),
    rowTotals: z.array(count),
    columnTotals: z.array(count),
    total: count,
    /** How many values (cells and totals) were suppressed. */
    suppressed: z.number().int(),
  })
  .meta({ id: 'Report' });
export type ReportDto = z.infer<typeof ReportSchema>;
