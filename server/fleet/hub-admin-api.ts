/**
 * The fleet hub's fraud-list admin API (issue 19), served by `verikiosk fleet hub serve-admin` on
 * 127.0.0.1 by default. Hono, with the appliance's conventions: a bearer API key with scopes
 * (`Authorization: Bearer vk_hub_…`; `fraud_lists:read` to list, `fraud_lists:write` to add and
 * remove, `audit:read` for the audit chain, `admin` for all), refused without one (401) or
 * without the scope (403); every failure a typed `application/problem+json` from the appliance's
 * catalogue (contract/problems.ts) that never repeats a submitted value; `X-Request-Id` on every
 * response. Every change is audited by HubAdmin (hub-admin.ts).
 *
 *   GET  /api/v1/fleet/fraud-lists?kind=document|face&include=active|all
 *   POST /api/v1/fleet/fraud-lists/documents      {documentNumber, issuingState?, reason, legalBasis?, reference?, expiresAt?}
 *   POST /api/v1/fleet/fraud-lists/faces          {template (VKFT, base64), reason, legalBasis, reference, expiresAt}
 *   POST /api/v1/fleet/fraud-lists/entries/{id}/remove   {reason, legalBasis?}
 *   GET  /api/v1/fleet/audit                      the newest entries and the chain's verification
 */
import { createAdaptorServer, type HttpBindings, type ServerType } from '@hono/node-server';
import { Hono, type Context, type MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { z, type ZodError, type ZodType } from 'zod';
import { randomUUID } from 'node:crypto';
import {
  FRAUD_LIST_REASONS,
  FRAUD_REMOVAL_REASONS,
  PROBLEMS,
  type ProblemCode,
} from '../../contract/index.js';
import { FaceTemplateError } from '../biometrics/index.js';
import { problem } from '../api/index.js';
import { FleetError } from './engine.js';
import type { HubAdmin, HubAdminKey, HubAdminScope } from './hub-admin.js';

interface HubAdminEnv {
  Bindings: Partial<HttpBindings>;
  Variables: { requestId: string; key: HubAdminKey };
}

type Ctx = Context<HubAdminEnv>;

/** The largest body: a face template is ~0.7 KiB, base64 ~1 KiB; a document entry less. */
export const HUB_ADMIN_BODY_LIMIT = 64 * 1024;

const CODE = z.string().regex(/^[a-z0-9_.:-]{1,64}$/);
const FUTURE = z.iso.datetime({ offset: true });

const DocumentCreate = z.strictObject({
  documentNumber: z.string().min(1).max(64),
  issuingState: z
    .string()
    .regex(/^[A-Za-z<]{1,3}$/)
    .nullable()
    .optional(),
  reason: z.enum(FRAUD_LIST_REASONS),
  legalBasis: CODE.nullable().optional(),
  reference: CODE.nullable().optional(),
  expiresAt: FUTURE.nullable().optional(),
});

const FaceCreate = z.strictObject({
  /** A serialized face template (VKFT: model and vector), base64. */
  template: z.base64().min(16).max(48_000),
  reason: z.enum(FRAUD_LIST_REASONS),
  legalBasis: CODE,
  reference: CODE,
  expiresAt: FUTURE,
});

const Remove = z.strictObject({
  reason: z.enum(FRAUD_REMOVAL_REASONS),
  legalBasis: CODE.nullable().optional(),
});

const ListQuery = z.strictObject({
  kind: z.enum(['document', 'face']).optional(),
  include: z.enum(['active', 'all']).optional(),
});

const ENTRY_ID = /^(ffd|ffc)_[0-9a-f]{20}$/;

/** Thrown inside a handler; turned into its problem by the error handler. */
class Refusal extends Error {
  constructor(
    readonly status: ContentfulStatusCode,
    readonly type: ProblemCode,
    message: string,
    readonly extra: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

/** The failing fields as (part, path, rule), never the values (as the appliance's API). */
function validationIssues(where: 'body' | 'query', error: ZodError) {
  return error.issues.map((issue) => ({
    in: where,
    path: issue.path
      .map((p) =>
        typeof p === 'number' || (typeof p === 'string' && /^[A-Za-z_][A-Za-z0-9_-]{0,63}$/.test(p))
          ? String(p)
          : '*',
      )
      .join('.'),
    rule: issue.code,
  }));
}

const JSON_TYPE = /^application\/(?:[a-z0-9.+-]+\+)?json\s*(?:;|$)/i;

async function body<T>(c: Ctx, schema: ZodType<T>): Promise<T> {
  if (!JSON_TYPE.test(c.req.header('content-type') ?? ''))
    throw new Refusal(415, 'unsupported_media_type', 'the body must be sent as application/json');
  let raw: unknown;
  try {
    raw = await c.req.json();
  } catch {
    throw new Refusal(400, 'malformed_body', 'the body is not valid JSON');
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success)
    throw new Refusal(400, 'invalid_request', 'the request does not match the operation schema', {
      errors: validationIssues('body', parsed.error),
    });
  return parsed.data;
}

function query<T>(c: Ctx, schema: ZodType<T>): T {
  const parsed = schema.safeParse(c.req.query());
  if (!parsed.success)
    throw new Refusal(400, 'invalid_request', 'the request does not match the operation schema', {
      errors: validationIssues('query', parsed.error),
    });
  return parsed.data;
}

const BEARER = /^Bearer +([^\s]+) *$/i;

/** The caller's key must hold `scope` (or `admin`): 401 without a valid key, 403 without it. */
function requireScope(admin: HubAdmin, scope: HubAdminScope): MiddlewareHandler<HubAdminEnv> {
  return async (c, next) => {
    const presented = BEARER.exec(c.req.header('authorization') ?? '')?.[1];
    const key = presented === undefined ? null : admin.authenticate(presented);
    if (key === null)
      return problem(
        c,
        401,
        'unauthorized',
        'a valid hub admin key is required',
        {},
        { 'www-authenticate': 'Bearer realm="verikiosk-fleet-hub"' },
      );
    if (!key.scopes.includes(scope) && !key.scopes.includes('admin'))
      return problem(c, 403, 'forbidden', `the key lacks the ${scope} scope`);
    c.set('key', key);
    await next();
  };
}

/** The audit actor of the caller: `api:<key id>`. */
const actorOf = (c: Ctx): string => `api:${c.get('key').id}`;

/** A known error's problem: FleetError by its reason, a template that does not read. */
function classify(error: Error): Refusal | null {
  if (error instanceof Refusal) return error;
  if (error instanceof FleetError) {
    const type: ProblemCode =
      error.reason === 'unknown_entry'
        ? 'not_found'
        : error.reason === 'refused'
          ? 'conflict'
          : error.reason === 'invalid_entry'
            ? 'rule_violation'
            : 'unavailable';
    return new Refusal(PROBLEMS[type].status, type, error.message, { rule: error.reason });
  }
  if (error instanceof FaceTemplateError)
    return new Refusal(422, 'invalid_media', 'the face template cannot be read', {
      rule: error.code,
    });
  return null;
}

export function hubAdminApp(admin: HubAdmin, options: { onError?: (error: unknown) => void } = {}) {
  const read = requireScope(admin, 'fraud_lists:read');
  const write = requireScope(admin, 'fraud_lists:write');
  const auditRead = requireScope(admin, 'audit:read');
  const app = new Hono<HubAdminEnv>();
  app.use('*', async (c, next) => {
    const id = randomUUID();
    c.set('requestId', id);
    await next();
    c.res.headers.set('X-Request-Id', id);
  });
  app.use(
    '*',
    bodyLimit({
      maxSize: HUB_ADMIN_BODY_LIMIT,
      onError: (c) => problem(c as Ctx, 413, 'body_too_large', 'the body is too large'),
    }),
  );
  const base = '/api/v1/fleet';
  app.get(`${base}/fraud-lists`, read, (c) => c.json({ items: admin.list(query(c, ListQuery)) }));
  app.post(`${base}/fraud-lists/documents`, write, async (c) => {
    const input = await body(c, DocumentCreate);
    return c.json(await admin.addDocument(input, actorOf(c)), 201);
  });
  app.post(`${base}/fraud-lists/faces`, write, async (c) => {
    const input = await body(c, FaceCreate);
    const template = Buffer.from(input.template, 'base64');
    try {
      return c.json(await admin.addFace({ ...input, template }, actorOf(c)), 201);
    } finally {
      template.fill(0);
    }
  });
  app.post(`${base}/fraud-lists/entries/:id/remove`, write, async (c) => {
    const id = c.req.param('id');
    if (!ENTRY_ID.test(id)) throw new Refusal(404, 'not_found', 'no such fraud-list entry');
    const input = await body(c, Remove);
    return c.json(await admin.remove(id, input, actorOf(c)), 200);
  });
  app.get(`${base}/audit`, auditRead, (c) =>
    c.json({ verification: admin.verifyAudit(), items: admin.auditEntries() }),
  );
  app.notFound((c) => problem(c, 404, 'not_found', 'no such resource'));
  app.onError((error, c) => {
    const known = classify(error);
    if (known !== null) return problem(c, known.status, known.type, known.message, known.extra);
    options.onError?.(error);
    return problem(c, 500, 'internal', 'An internal error occurred.');
  });
  return app;
}

/** Serves the admin API on host:port (0: a free port); resolves with the server and its port. */
export async function serveHubAdmin(
  admin: HubAdmin,
  listen: { host: string; port: number },
  options: { onError?: (error: unknown) => void } = {},
): Promise<{ server: ServerType; port: number }> {
  const app = hubAdminApp(admin, options);
  const server = createAdaptorServer({ fetch: app.fetch, hostname: listen.host });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(listen.port, listen.host, () => resolve());
  });
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : listen.port;
  return { server, port };
}
