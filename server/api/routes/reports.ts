import { createRoute, z } from '@hono/zod-openapi';
import {
  MAX_REPORT_DAYS,
  ReportParamsSchema,
  ReportQuerySchema,
  ReportSchema,
} from '../../../contract/index.js';
import type { Vault } from '../../vault/index.js';
import { reportCsv, type ReportService } from '../../reports/index.js';
import { requireScope } from '../middleware/auth.js';
import { apiRouter, json, securityOf, problemResponses } from '../openapi.js';
import { HttpError } from '../problem.js';

const SECURITY = securityOf('reports:read');
const MAX_DAILY_REPORT_DAYS = 92;

/**
 * Aggregated, anonymised reports (PRIV-5) with `reports:read`: JSON, or CSV when `?format=csv` or
 * the Accept header asks for text/csv. Small cells are suppressed (null in JSON, empty in CSV).
 */
export function reportRoutes(service: ReportService, vault: Vault) {
  const read = requireScope('reports:read', { vault });
  const route = createRoute({
    tags: ['reports'],
    security: SECURITY,
    middleware: [read] as const,
    method: 'get',
    path: '/reports/{report}',
    summary: 'A report over a period: counts with margins, small cells suppressed',
    description:
      'JSON by default; CSV (`text/csv`) with `?format=csv` or `Accept: text/csv`. Suppressed counts are null in JSON and empty in CSV.',
    request: { params: ReportParamsSchema, query: ReportQuerySchema },
    responses: {
      200: {
        description: 'The report',
        content: { ...json(ReportSchema), 'text/csv': { schema: z.string() } },
      },
      ...problemResponses(400, 401, 403, 429),
    },
  });
  return apiRouter().openapi(route, (c) => {
    const query = c.req.valid('query');
    const days = (Date.parse(query.to) - Date.parse(query.from)) / 86_400_000;
    if (days < 0 || days > MAX_REPORT_DAYS) {
      throw new HttpError(
        400,
        'invalid_request',
        'the period must run forwards, for at most three years',
        {
          errors: [{ in: 'query', path: days < 0 ? 'from' : 'to', rule: 'period' }],
        },
      );
    }
    // Daily columns over a long period would make a table too wide to suppress (or read).
    if (query.bucket === 'day' && days > MAX_DAILY_REPORT_DAYS) {
      throw new HttpError(400, 'invalid_request', 'daily buckets cover at most 92 days', {
        errors: [{ in: 'query', path: 'bucket', rule: 'period' }],
      });
    }
    const report = service.report(c.req.valid('param').report, query);
    const accept = c.req.header('accept') ?? '';
    const csv =
      query.format === 'csv' || (query.format === undefined && /\btext\/csv\b/i.test(accept));
    if (csv) {
      return c.body(reportCsv(report), 200, {
        'content-type': 'text/csv; charset=utf-8',
        'content-disposition': `attachment; filename="${report.report}-${report.from}-${report.to}.csv"`,
      });
    }
    return c.json(report, 200);
  });
}
