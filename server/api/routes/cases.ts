import { createRoute } from '@hono/zod-openapi';
import type { Context } from 'hono';
import {
  CaseAssignSchema,
  CaseDecisionSchema,
  CaseDetailSchema,
  CaseIdParamsSchema,
  CaseListSchema,
  CaseQuerySchema,
  CaseSchema,
  SavedCaseFilterCreateSchema,
  SavedCaseFilterIdParamsSchema,
  SavedCaseFilterListSchema,
  SavedCaseFilterSchema,
} from '../../../contract/index.js';
import type { CaseService, Reviewer } from '../../cases/index.js';
import { actorOf, requireScope, type ApiEnv } from '../middleware/auth.js';
import { apiRouter, json, securityOf, problemResponses } from '../openapi.js';

const TAGS = ['cases'];
const READ = securityOf('verifications:read');
const WRITE = securityOf('verifications:write');

/** The caller as a reviewer: its audit actor, its staff user, whether it may re-assign. */
function reviewerOf(c: Context<ApiEnv>): Reviewer {
  const principal = c.get('principal');
  const actor = actorOf(principal);
  if (principal?.kind === 'staff') {
    const { role, userId, permissions } = principal.session;
    return {
      actor,
      staffUserId: userId,
      supervisor: role === 'supervisor' || role === 'admin' || permissions.includes('admin'),
    };
  }
  const admin = principal?.kind === 'api_client' && principal.client.scopes.includes('admin');
  return { actor, staffUserId: null, supervisor: admin };
}

/** Review cases: the queue, one case, assignment, decisions, saved filters (VER-4). */
export function caseRoutes(cases: CaseService) {
  const { vault } = cases;
  const read = {
    tags: TAGS,
    security: READ,
    middleware: requireScope('verifications:read', { vault }),
  };
  const write = {
    tags: TAGS,
    security: WRITE,
    middleware: requireScope('verifications:write', { vault }),
  };
  const list = createRoute({
    ...read,
    method: 'get',
    path: '/cases',
    summary: 'The review queue, oldest first, filtered (or by a saved filter), a page at a time',
    request: { query: CaseQuerySchema },
    responses: {
      200: { description: 'A page of cases', content: json(CaseListSchema) },
      ...problemResponses(400, 401, 403, 404, 422, 429),
    },
  });
  const getOne = createRoute({
    ...read,
    method: 'get',
    path: '/cases/{id}',
    summary: "One case with its verification's checks, reasons and risk",
    request: { params: CaseIdParamsSchema },
    responses: {
      200: { description: 'The case', content: json(CaseDetailSchema) },
      ...problemResponses(400, 401, 403, 404, 429),
    },
  });
  const assign = createRoute({
    ...write,
    method: 'post',
    path: '/cases/{id}/assign',
    summary: "Assign to yourself or another reviewer (someone else's case: supervisors only)",
    request: {
      params: CaseIdParamsSchema,
      body: { required: true, content: json(CaseAssignSchema) },
    },
    responses: {
      200: { description: 'The case as assigned', content: json(CaseSchema) },
      ...problemResponses(400, 401, 403, 404, 409, 413, 422, 429),
    },
  });
  const decide = createRoute({
    ...write,
    method: 'post',
    path: '/cases/{id}/decision',
    summary:
      'Decide with a reason code (and a sealed note); approving a decline waits for a second reviewer',
    request: {
      params: CaseIdParamsSchema,
      body: { required: true, content: json(CaseDecisionSchema) },
    },
    responses: {
      200: {
        description: 'The case, decided or awaiting its second reviewer',
        content: json(CaseSchema),
      },
      ...problemResponses(400, 401, 403, 404, 409, 413, 422, 429, 503),
    },
  });
  const filters = createRoute({
    ...read,
    method: 'get',
    path: '/case-filters',
    summary: "The calling staff user's saved queue filters",
    responses: {
      200: { description: 'Saved filters', content: json(SavedCaseFilterListSchema) },
      ...problemResponses(401, 403, 422, 429),
    },
  });
  const saveFilter = createRoute({
    ...write,
    method: 'post',
    path: '/case-filters',
    summary: 'Save a queue filter under a name',
    request: { body: { required: true, content: json(SavedCaseFilterCreateSchema) } },
    responses: {
      201: { description: 'Saved', content: json(SavedCaseFilterSchema) },
      ...problemResponses(400, 401, 403, 409, 413, 422, 429),
    },
  });
  const deleteFilter = createRoute({
    ...write,
    method: 'delete',
    path: '/case-filters/{id}',
    summary: 'Delete a saved filter',
    request: { params: SavedCaseFilterIdParamsSchema },
    responses: {
      204: { description: 'Deleted' },
      ...problemResponses(400, 401, 403, 404, 422, 429),
    },
  });
  return apiRouter()
    .openapi(list, (c) => c.json(cases.list(c.req.valid('query'), reviewerOf(c)), 200))
    .openapi(getOne, (c) => c.json(cases.get(c.req.valid('param').id), 200))
    .openapi(assign, (c) =>
      c.json(
        cases.assign(c.req.valid('param').id, c.req.valid('json').assignee, reviewerOf(c)),
        200,
      ),
    )
    .openapi(decide, (c) =>
      c.json(cases.decide(c.req.valid('param').id, c.req.valid('json'), reviewerOf(c)), 200),
    )
    .openapi(filters, (c) => c.json({ items: cases.listFilters(reviewerOf(c)) }, 200))
    .openapi(saveFilter, (c) => {
      const { name, filter } = c.req.valid('json');
      return c.json(cases.saveFilter(name, filter, reviewerOf(c)), 201);
    })
    .openapi(deleteFilter, (c) => {
      cases.deleteFilter(c.req.valid('param').id, reviewerOf(c));
      return c.body(null, 204);
    });
}
