import { createRoute, z, type RouteConfig } from '@hono/zod-openapi';
import type { Context, MiddlewareHandler } from 'hono';
import {
  PrivacyRequestCreateSchema,
  PrivacyRequestExtendSchema,
  PrivacyRequestIdParamsSchema,
  PrivacyRequestListQuerySchema,
  PrivacyRequestListSchema,
  PrivacyRequestSchema,
  RequesterSchema,
  type ApiScope,
} from '../../../contract/index.js';
import type { PrivacyRequestService, RequestCaller } from '../../privacy/index.js';
import {
  actorOf,
  authenticateRequest,
  hasScope,
  requireScope,
  type ApiEnv,
} from '../middleware/auth.js';
import { apiRouter, json, securityOf, problemResponses } from '../openapi.js';
import { HttpError } from '../problem.js';

const TAGS = ['privacy-requests'];

/** What a route of this file declares beyond the shape `route` gives every one of them. */
type RouteSpec = Omit<RouteConfig, 'tags' | 'security' | 'middleware'>;

/**
 * A route of this file: its tag, the scope it is documented under and the guard that enforces
 * it (a kiosk may pass some guards: see `scopeOrKiosk`), then the method, path, request and
 * responses. The keys keep the order the OpenAPI document is generated in.
 */
function route<const S extends RouteSpec>(
  scope: ApiScope,
  guard: MiddlewareHandler<ApiEnv>,
  spec: S,
) {
  return createRoute({
    tags: TAGS,
    security: securityOf(scope),
    middleware: [guard] as const,
    ...spec,
  });
}

function callerOf(c: Context<ApiEnv>): RequestCaller {
  const principal = c.get('principal');
  return {
    actor: actorOf(principal),
    channel: principal?.kind === 'kiosk' ? 'kiosk' : principal?.kind === 'staff' ? 'staff' : 'api',
    kioskId: principal?.kind === 'kiosk' ? principal.kiosk.id : null,
  };
}

/**
 * Data-subject requests (PRIV-3): `privacy:write` files and extends them, `privacy:read` lists and
 * reads them; a kiosk files them for the person in front of it and sees only its own. The export
 * bundle of an access or portability request is personal data: its download also needs `pii:read`
 * (or is the kiosk's that filed the request). No answer or error holds a personal value.
 */
export function privacyRequestRoutes(service: PrivacyRequestService) {
  const { vault } = service;
  /** The scope, or a kiosk (which the service limits to its own requests). */
  const scopeOrKiosk = (scope: ApiScope): MiddlewareHandler<ApiEnv> => {
    const guard = requireScope(scope, { vault });
    return async (c, next) => {
      if (authenticateRequest(c, vault)?.kind === 'kiosk') return next();
      return guard(c, next);
    };
  };
  const write = scopeOrKiosk('privacy:write');
  const read = scopeOrKiosk('privacy:read');
  const extendGuard = requireScope('privacy:write', { vault });
  const file = route('privacy:write', write, {
    method: 'post',
    path: '/privacy/requests',
    summary: "File a data-subject request, with proof of the requester's identity",
    description:
      'Refused (nothing recorded) unless the identity proof holds: 422 `identity_unverified`. Under the CCPA a third access or portability request within twelve months is refused with 422 `privacy_request_limit`. Access and portability build their export in the background: poll the request for `progress`, then download the bundle.',
    request: { body: { required: true, content: json(PrivacyRequestCreateSchema) } },
    responses: {
      201: {
        description: 'Accepted (and fulfilled, except exports)',
        content: json(PrivacyRequestSchema),
      },
      ...problemResponses(400, 401, 403, 404, 409, 413, 415, 422, 429),
    },
  });
  const list = route('privacy:read', read, {
    method: 'get',
    path: '/privacy/requests',
    summary: 'The request queue, newest first; overdue requests flagged and counted',
    request: { query: PrivacyRequestListQuerySchema },
    responses: {
      200: { description: 'A page of requests', content: json(PrivacyRequestListSchema) },
      ...problemResponses(400, 401, 403, 429),
    },
  });
  const get = route('privacy:read', read, {
    method: 'get',
    path: '/privacy/requests/{id}',
    summary: 'One request: deadlines, outcome, what was retained, an export’s progress',
    request: { params: PrivacyRequestIdParamsSchema },
    responses: {
      200: { description: 'The request', content: json(PrivacyRequestSchema) },
      ...problemResponses(400, 401, 403, 404, 429),
    },
  });
  const extend = route('privacy:write', extendGuard, {
    method: 'post',
    path: '/privacy/requests/{id}/extend',
    summary: 'Extend the deadline once, with a reason (GDPR: two months; CCPA: 45 days)',
    request: {
      params: PrivacyRequestIdParamsSchema,
      body: { required: true, content: json(PrivacyRequestExtendSchema) },
    },
    responses: {
      200: { description: 'The request, extended', content: json(PrivacyRequestSchema) },
      ...problemResponses(400, 401, 403, 404, 409, 413, 415, 429),
    },
  });
  const download = route('privacy:read', read, {
    method: 'get',
    path: '/privacy/requests/{id}/export',
    summary: 'Download the export bundle (zip: data.json, summary.html, files) once ready',
    description:
      'Needs `pii:read` as well (or the kiosk that filed the request). 409 while the export runs.',
    request: { params: PrivacyRequestIdParamsSchema },
    responses: {
      200: {
        description: 'The bundle',
        content: { 'application/zip': { schema: z.string().meta({ format: 'binary' }) } },
      },
      ...problemResponses(400, 401, 403, 404, 409, 429),
    },
  });
  const requester = route('privacy:write', extendGuard, {
    method: 'get',
    path: '/privacy/requests/{id}/requester',
    summary: "The requester's contact, to send the answer (an audited read of personal data)",
    description:
      'Privacy staff only: needs `privacy:write` and `pii:read`; never a kiosk. 404 `requester_not_on_file` when none was given or the subject was destroyed.',
    request: { params: PrivacyRequestIdParamsSchema },
    responses: {
      200: { description: 'Who asked and how to reach them', content: json(RequesterSchema) },
      ...problemResponses(400, 401, 403, 404, 429),
    },
  });
  return apiRouter()
    .openapi(requester, (c) => {
      if (!hasScope(c.get('principal'), 'pii:read')) {
        throw new HttpError(403, 'forbidden', 'these credentials lack the pii:read scope');
      }
      return c.json(service.requester(c.req.valid('param').id, callerOf(c)), 200);
    })
    .openapi(file, (c) => c.json(service.file(c.req.valid('json'), callerOf(c)), 201))
    .openapi(list, (c) => c.json(service.list(c.req.valid('query'), callerOf(c)), 200))
    .openapi(get, (c) => c.json(service.get(c.req.valid('param').id, callerOf(c)), 200))
    .openapi(extend, (c) =>
      c.json(service.extend(c.req.valid('param').id, c.req.valid('json').reason, callerOf(c)), 200),
    )
    .openapi(download, (c) => {
      const principal = c.get('principal');
      if (principal?.kind !== 'kiosk' && !hasScope(principal, 'pii:read')) {
        throw new HttpError(403, 'forbidden', 'these credentials lack the pii:read scope');
      }
      const { id } = c.req.valid('param');
      const bundle = service.exportBundle(id, callerOf(c));
      return c.body(bundle as Uint8Array<ArrayBuffer>, 200, {
        'content-type': 'application/zip',
        'content-disposition': `attachment; filename="${id}.zip"`,
        'cache-control': 'no-store',
      });
    });
}
