import { createRoute } from '@hono/zod-openapi';
import {
  AuditEntryListSchema,
  AuditEntryQuerySchema,
  AuditStatusQuerySchema,
  AuditStatusSchema,
  type AuditEntryDto,
} from '../../../contract/index.js';
import { countAuditEntries, listAuditEntries, type Vault } from '../../vault/index.js';
import { requireScope } from '../middleware/auth.js';
import { apiRouter, securityOf, problemResponses } from '../openapi.js';

const SECURITY = securityOf('audit:read');

function parseDetails(details: string): AuditEntryDto['details'] {
  try {
    const value = JSON.parse(details) as unknown;
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as AuditEntryDto['details'])
      : {};
  } catch {
    return {};
  }
}

/**
 * The audit log, read-only (`audit:read`): a page of entries newest first, and the chain's
 * status verified now (from the last signed checkpoint, or the whole chain with `full=true`).
 * Reading the log is not itself audited: it holds no personal data.
 */
export function auditRoutes(vault: Vault) {
  const scope = requireScope('audit:read', { vault });
  const list = createRoute({
    method: 'get',
    path: '/audit',
    tags: ['audit'],
    summary: 'Audit entries, newest first, a page at a time',
    security: SECURITY,
    middleware: [scope] as const,
    request: { query: AuditEntryQuerySchema },
    responses: {
      200: {
        description: 'A page of entries',
        content: { 'application/json': { schema: AuditEntryListSchema } },
      },
      ...problemResponses(400, 401, 403, 429),
    },
  });
  const status = createRoute({
    method: 'get',
    path: '/audit/status',
    tags: ['audit'],
    summary: "The audit chain's status, verified now",
    security: SECURITY,
    middleware: [scope] as const,
    request: { query: AuditStatusQuerySchema },
    responses: {
      200: {
        description: 'What the verification proved',
        content: { 'application/json': { schema: AuditStatusSchema } },
      },
      ...problemResponses(400, 401, 403, 429),
    },
  });
  return apiRouter()
    .openapi(list, (c) => {
      const { before, limit } = c.req.valid('query');
      const page = vault.read((db) => listAuditEntries(db, { before, limit: limit ?? 50 }));
      c.header('cache-control', 'no-store');
      return c.json(
        {
          items: page.items.map((e) => ({ ...e, details: parseDetails(e.details) })),
          nextBefore: page.nextBefore,
        },
        200,
      );
    })
    .openapi(status, (c) => {
      const full = c.req.valid('query').full === 'true';
      const check = vault.verifyAuditLog({ incremental: !full });
      c.header('cache-control', 'no-store');
      return c.json(
        {
          ok: check.ok,
          entries: check.entries,
          firstSeq: check.firstSeq,
          lastSeq: check.lastSeq,
          verifiedThrough: check.verifiedThrough,
          firstBadSeq: check.firstBadSeq,
          problem: check.problem,
          from: check.from,
          total: vault.read(countAuditEntries),
        },
        200,
      );
    });
}
