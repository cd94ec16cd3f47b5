import { createRoute } from '@hono/zod-openapi';
import {
  ApiKeyCreateSchema,
  ApiKeyCreatedSchema,
  ApiKeyIdParamsSchema,
  ApiKeyListSchema,
  ApiKeySchema,
  type ApiKey,
} from '../../../contract/index.js';
import {
  createApiClient,
  getApiClient,
  listApiClients,
  revokeApiClient,
  type ApiClient,
} from '../../auth/index.js';
import type { Vault } from '../../vault/index.js';
import type { ApiEnv } from '../middleware/auth.js';
import { actorOf as principalActor, requireScope } from '../middleware/auth.js';
import { apiRouter, problemResponses } from '../openapi.js';
import { HttpError } from '../problem.js';
import type { Context } from 'hono';

function toDto(client: ApiClient): ApiKey {
  return {
    id: client.id,
    name: client.name,
    keyPrefix: client.keyPrefix,
    scopes: client.scopes,
    createdAt: client.createdAt,
    expiresAt: client.expiresAt,
    revokedAt: client.revokedAt,
    lastUsedAt: client.lastUsedAt,
    rotatedFrom: client.rotatedFrom,
  };
}

/** The audit actor of an API caller: its key, user or kiosk id (never a secret). */
export function actorOf(c: Context<ApiEnv>): string {
  return principalActor(c.get('principal'));
}

const SECURITY = [{ apiKey: ['admin'] }];

export function apiKeyRoutes(vault: Vault) {
  const admin = requireScope('admin', { vault });
  const listKeys = createRoute({
    method: 'get',
    path: '/api-keys',
    tags: ['api-keys'],
    summary: 'List the API keys (never the secrets)',
    security: SECURITY,
    middleware: [admin] as const,
    responses: {
      200: {
        description: 'Every key, revoked and expired ones included',
        content: { 'application/json': { schema: ApiKeyListSchema } },
      },
      ...problemResponses(401, 403, 429),
    },
  });
  const createKey = createRoute({
    method: 'post',
    path: '/api-keys',
    tags: ['api-keys'],
    summary: 'Create an API key: the key is in this response only',
    security: SECURITY,
    middleware: [admin] as const,
    request: {
      body: {
        required: true,
        content: { 'application/json': { schema: ApiKeyCreateSchema } },
      },
    },
    responses: {
      201: {
        description: 'Created; store `key` now, only its keyed hash is kept',
        content: { 'application/json': { schema: ApiKeyCreatedSchema } },
      },
      ...problemResponses(400, 401, 403, 413, 422, 429),
    },
  });
  const getKey = createRoute({
    method: 'get',
    path: '/api-keys/{id}',
    tags: ['api-keys'],
    summary: 'One API key (never its secret)',
    security: SECURITY,
    middleware: [admin] as const,
    request: { params: ApiKeyIdParamsSchema },
    responses: {
      200: {
        description: 'The key, revoked or expired included',
        content: { 'application/json': { schema: ApiKeySchema } },
      },
      ...problemResponses(400, 401, 403, 404, 429),
    },
  });
  const revokeKey = createRoute({
    method: 'delete',
    path: '/api-keys/{id}',
    tags: ['api-keys'],
    summary: 'Revoke an API key (idempotent)',
    security: SECURITY,
    middleware: [admin] as const,
    request: { params: ApiKeyIdParamsSchema },
    responses: {
      200: {
        description: 'The key, revoked',
        content: { 'application/json': { schema: ApiKeySchema } },
      },
      ...problemResponses(400, 401, 403, 404, 429),
    },
  });
  return apiRouter()
    .openapi(listKeys, (c) => c.json({ items: listApiClients(vault).map(toDto) }, 200))
    .openapi(createKey, (c) => {
      const input = c.req.valid('json');
      const { client, key } = createApiClient(vault, input, actorOf(c));
      return c.json({ apiKey: toDto(client), key }, 201);
    })
    .openapi(getKey, (c) => {
      const client = getApiClient(vault, c.req.valid('param').id);
      if (client === null) throw new HttpError(404, 'not_found', 'No such API key.');
      return c.json(toDto(client), 200);
    })
    .openapi(revokeKey, (c) => {
      const { id } = c.req.valid('param');
      return c.json(toDto(revokeApiClient(vault, id, actorOf(c))), 200);
    });
}
