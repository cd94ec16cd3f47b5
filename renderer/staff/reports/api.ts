/**
 * The reports module's boundary: GET /api/v1/reports/{report}?from&to&bucket (aggregated,
 * anonymised two-way tables, cells under the threshold suppressed as null). The shape is the
 * reports capability's `Report`, declared here until its contract is on this branch; an
 * appliance that does not serve reports answers 404 and the screen says so.
 */
import type { ApiClient } from '../../shared/api.js';

export const REPORTS = ['volumes', 'outcomes', 'reason-codes', 'fraud', 'review-times'] as const;
export type ReportName = (typeof REPORTS)[number];

export interface Report {
  report: string;
  from: string;
  to: string;
  generatedAt: string;
  threshold: number;
  rowDimension: string;
  columnDimension: string;
  rows: string[];
  columns: string[];
  /** cells[row][column]; null: suppressed. */
  cells: (number | null)[][];
  rowTotals: (number | null)[];
  columnTotals: (number | null)[];
  total: number | null;
  suppressed: number;
}

export const getReport = (
  api: ApiClient,
  report: ReportName,
  from: string,
  to: string,
  signal?: AbortSignal,
) =>
  api.get<Report>(`/api/v1/reports/${report}`, {
    signal,
    query: { from, to, ...(report === 'volumes' ? { bucket: 'day' } : {}) },
  });
