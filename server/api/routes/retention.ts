import { createRoute } from '@hono/zod-openapi';
import { RetentionPreviewSchema } from '../../../contract/index.js';
import type { RetentionRule } from '../../config/index.js';
import { runRetention } from '../../retention/index.js';
import type { Vault } from '../../vault/index.js';
import { requireScope } from '../middleware/auth.js';
import { apiRouter, securityOf, problemResponses } from '../openapi.js';
import { HttpError } from '../problem.js';
import { actorOf } from './api-keys.js';

/**
 * The retention rules' dry run (admin): what a run now would destroy, per rule and category,
 * counted by the engine in a transaction it rolls back, so the numbers are a real run's and
 * nothing is written. Without rules (an appliance built without them) it answers 503.
 */
const SECURITY = securityOf('admin');

export function retentionRoutes(vault: Vault, rules: readonly RetentionRule[] | undefined) {
  const preview = createRoute({
    method: 'get',
    path: '/retention/preview',
    tags: ['retention'],
    summary: 'What a retention run would destroy now (a dry run: nothing is written)',
    security: SECURITY,
    middleware: requireScope('admin', { vault }),
    responses: {
      200: {
        description: 'The counts',
        content: { 'application/json': { schema: RetentionPreviewSchema } },
      },
      ...problemResponses(401, 403, 429, 503),
    },
  });
  return apiRouter().openapi(preview, (c) => {
    if (rules === undefined) {
      throw new HttpError(503, 'unavailable', 'retention rules are not configured here');
    }
    const report = runRetention(vault, rules, { dryRun: true, actor: actorOf(c) });
    c.header('cache-control', 'no-store');
    return c.json(
      {
        asOf: report.asOf,
        items: report.items.map((i) => ({ ...i, category: String(i.category) })),
        total: report.total,
        heldSubjects: report.heldSubjects,
      },
      200,
    );
  });
}
