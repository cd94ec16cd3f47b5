import { createRoute } from '@hono/zod-openapi';
import {
  KioskCreateSchema,
  KioskCreatedSchema,
  KioskIdParamsSchema,
  KioskListSchema,
  KioskSchema,
  type KioskDto,
} from '../../../contract/index.js';
import {
  listKiosks,
  registerKiosk,
  revokeKiosk,
  rotateKioskToken,
  type Kiosk,
} from '../../auth/index.js';
import type { Vault } from '../../vault/index.js';
import { requireScope } from '../middleware/auth.js';
import { apiRouter, securityOf, problemResponses } from '../openapi.js';
import { actorOf } from './api-keys.js';

function toDto(kiosk: Kiosk): KioskDto {
  return {
    id: kiosk.id,
    name: kiosk.name,
    location: kiosk.location,
    tokenPrefix: kiosk.tokenPrefix,
    createdAt: kiosk.createdAt,
    revokedAt: kiosk.revokedAt,
    lastSeenAt: kiosk.lastSeenAt,
  };
}

/** An admin key, or the session of a staff admin. */
const SECURITY = securityOf('admin');

/** Kiosks registered by an admin, each with its token (shown once) and location. */
export function kioskRoutes(vault: Vault) {
  const admin = requireScope('admin', { vault });
  const list = createRoute({
    method: 'get',
    path: '/kiosks',
    tags: ['kiosks'],
    summary: 'List the kiosks (never their tokens)',
    security: SECURITY,
    middleware: [admin] as const,
    responses: {
      200: {
        description: 'Every kiosk, revoked ones included',
        content: { 'application/json': { schema: KioskListSchema } },
      },
      ...problemResponses(401, 403, 429),
    },
  });
  const register = createRoute({
    method: 'post',
    path: '/kiosks',
    tags: ['kiosks'],
    summary: 'Register a kiosk: its token is in this response only',
    security: SECURITY,
    middleware: [admin] as const,
    request: {
      body: { required: true, content: { 'application/json': { schema: KioskCreateSchema } } },
    },
    responses: {
      201: {
        description:
          'Registered; give `token` to the kiosk window now, only its keyed hash is kept',
        content: { 'application/json': { schema: KioskCreatedSchema } },
      },
      ...problemResponses(400, 401, 403, 413, 422, 429),
    },
  });
  const revoke = createRoute({
    method: 'delete',
    path: '/kiosks/{id}',
    tags: ['kiosks'],
    summary: "Revoke a kiosk's token (idempotent)",
    security: SECURITY,
    middleware: [admin] as const,
    request: { params: KioskIdParamsSchema },
    responses: {
      200: {
        description: 'The kiosk, revoked',
        content: { 'application/json': { schema: KioskSchema } },
      },
      ...problemResponses(400, 401, 403, 404, 429),
    },
  });
  const rotate = createRoute({
    method: 'post',
    path: '/kiosks/{id}/rotate-token',
    tags: ['kiosks'],
    summary: 'Give a kiosk a new token; the old one is refused at once',
    security: SECURITY,
    middleware: [admin] as const,
    request: { params: KioskIdParamsSchema },
    responses: {
      200: {
        description: 'The new token, in this response only',
        content: { 'application/json': { schema: KioskCreatedSchema } },
      },
      ...problemResponses(400, 401, 403, 404, 422, 429),
    },
  });
  return apiRouter()
    .openapi(list, (c) => c.json({ items: listKiosks(vault).map(toDto) }, 200))
    .openapi(register, (c) => {
      const { name, location } = c.req.valid('json');
      const { kiosk, token } = registerKiosk(vault, name, actorOf(c), location);
      return c.json({ kiosk: toDto(kiosk), token }, 201);
    })
    .openapi(revoke, (c) => {
      const { id } = c.req.valid('param');
      return c.json(toDto(revokeKiosk(vault, id, actorOf(c))), 200);
    })
    .openapi(rotate, (c) => {
      const { id } = c.req.valid('param');
      const { kiosk, token } = rotateKioskToken(vault, id, actorOf(c));
      return c.json({ kiosk: toDto(kiosk), token }, 200);
    });
}
