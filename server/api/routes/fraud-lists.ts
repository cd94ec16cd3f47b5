import { createRoute } from '@hono/zod-openapi';
import {
  FraudDocumentCreateSchema,
  FraudFaceCreateSchema,
  FraudListEntryListSchema,
  FraudListEntrySchema,
  FraudListIdParamsSchema,
  FraudListQuerySchema,
  FraudListRemoveSchema,
} from '../../../contract/index.js';
import type { FraudListService } from '../../fraud/index.js';
import { requireScope } from '../middleware/auth.js';
import { apiRouter, json, securityOf, problemResponses } from '../openapi.js';
import { actorOf } from './api-keys.js';

const TAGS = ['fraud-lists'];

/**
 * The known-fraud documents and faces (VER-3): `fraud_lists:read` to list, `fraud_lists:write`
 * (supervisors, admins, API keys given it) to add and remove. No response or error ever holds a
 * document number, an image or a template.
 */
export function fraudListRoutes(fraud: FraudListService) {
  const read = requireScope('fraud_lists:read', { vault: fraud.vault });
  const write = requireScope('fraud_lists:write', { vault: fraud.vault });
  const reader = { tags: TAGS, security: securityOf('fraud_lists:read'), middleware: read };
  const writer = { tags: TAGS, security: securityOf('fraud_lists:write'), middleware: write };
  const list = createRoute({
    ...reader,
    method: 'get',
    path: '/fraud-lists',
    summary: 'List fraud-list entries: ids, reasons, who added them and when, expiries',
    request: { query: FraudListQuerySchema },
    responses: {
      200: { description: 'A page of entries', content: json(FraudListEntryListSchema) },
      ...problemResponses(400, 401, 403, 429),
    },
  });
  const addDocument = createRoute({
    ...writer,
    method: 'post',
    path: '/fraud-lists/documents',
    summary: 'Add a known-fraud document number (blind-indexed at once, never stored in clear)',
    request: { body: { required: true, content: json(FraudDocumentCreateSchema) } },
    responses: {
      201: { description: 'Added', content: json(FraudListEntrySchema) },
      ...problemResponses(400, 401, 403, 409, 413, 422, 429),
    },
  });
  const addFace = createRoute({
    ...writer,
    method: 'post',
    path: '/fraud-lists/faces',
    summary: 'Add a known-fraud face, from an image or from an enrolled subject',
    request: { body: { required: true, content: json(FraudFaceCreateSchema) } },
    responses: {
      201: { description: 'Added', content: json(FraudListEntrySchema) },
      ...problemResponses(400, 401, 403, 404, 413, 422, 429, 503),
    },
  });
  const remove = createRoute({
    ...writer,
    method: 'post',
    // Not '/fraud-lists/{id}/remove': a parameter beside the static 'documents' and 'faces' makes
    // Hono's RegExpRouter refuse the route set, and every request then pays the slower trie
    // router (test/server/api/router.test.ts).
    path: '/fraud-lists/entries/{id}/remove',
    summary: 'Take an entry off its list, with a reason (its value is erased)',
    request: {
      params: FraudListIdParamsSchema,
      body: { required: true, content: json(FraudListRemoveSchema) },
    },
    responses: {
      200: { description: 'The entry as removed', content: json(FraudListEntrySchema) },
      ...problemResponses(400, 401, 403, 404, 409, 413, 429),
    },
  });
  return apiRouter()
    .openapi(list, (c) => c.json(fraud.list(c.req.valid('query')), 200))
    .openapi(addDocument, (c) => c.json(fraud.addDocument(c.req.valid('json'), actorOf(c)), 201))
    .openapi(addFace, async (c) =>
      c.json(await fraud.addFace(c.req.valid('json'), actorOf(c)), 201),
    )
    .openapi(remove, (c) =>
      c.json(fraud.remove(c.req.valid('param').id, c.req.valid('json').reason, actorOf(c)), 200),
    );
}
