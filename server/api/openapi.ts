import { OpenAPIHono } from '@hono/zod-openapi';
import type { Context } from 'hono';
import type { ZodError } from 'zod';
import { ProblemSchema, type ValidationIssue } from '../../contract/index.js';
import type { ApiEnv } from './middleware/auth.js';
import { problem } from './problem.js';

type Target = 'json' | 'form' | 'query' | 'param' | 'header' | 'cookie';

const PART: Record<Target, ValidationIssue['in']> = {
  json: 'body',
  form: 'body',
  query: 'query',
  param: 'path',
  header: 'header',
  cookie: 'cookie',
};

/** A field name from a schema. A key that is not one (of a record, say) is the client's input. */
const FIELD_NAME = /^[A-Za-z_][A-Za-z0-9_-]{0,63}$/;

/**
 * The failing fields as (part, path, rule), never the values: zod's messages may quote the input
 * (a refinement's message, the unknown keys of `unrecognized_keys`), so only the issue code is
 * kept, and a path segment that is not a plain field name or index is written `*`.
 */
export function validationIssues(target: Target, error: ZodError): ValidationIssue[] {
  return error.issues.map((issue) => ({
    in: PART[target],
    path: issue.path
      .map((segment) =>
        typeof segment === 'number' || (typeof segment === 'string' && FIELD_NAME.test(segment))
          ? String(segment)
          : '*',
      )
      .join('.'),
    rule: issue.code,
  }));
}

const JSON_TYPE = /^application\/(?:[a-z0-9.+-]+\+)?json\s*(?:;|$)/i;

/**
 * Replaces the validator's default answer (which returns zod's error, values included) with an
 * `invalid_request` problem naming each field and rule.
 */
export function validationHook(
  result:
    | { target: string; success: true; data: unknown }
    | {
        target: string;
        success: false;
        error: ZodError;
      },
  c: Context<ApiEnv>,
): Response | undefined {
  if (result.success) return undefined;
  const target = result.target as Target;
  if (target === 'json' && !JSON_TYPE.test(c.req.header('content-type') ?? '')) {
    return problem(c, 415, 'unsupported_media_type', 'the body must be sent as application/json');
  }
  return problem(c, 400, 'invalid_request', 'the request does not match the operation schema', {
    errors: validationIssues(target, result.error),
  });
}

/** A router for one capability: routes declared with their schemas, failures as problems. */
export function apiRouter(): OpenAPIHono<ApiEnv> {
  return new OpenAPIHono<ApiEnv>({ defaultHook: validationHook });
}

export const BEARER_SCHEME = 'apiKey';
/** A staff session: the `vk_session` cookie, with `X-CSRF-Token` on writes. */
export const SESSION_SCHEME = 'session';

/** A JSON body or response of this schema. */
export const json = <T>(schema: T) => ({ 'application/json': { schema } });

/**
 * An operation's security for the document: an API key with the scope, or a staff session (whose
 * role grants the scope). Typed as a list of records: an inline literal in `createRoute` turns
 * `hc<AppType>`'s paths into `[x: string]`.
 */
export const securityOf = (scope: string): Record<string, string[]>[] => [
  { [BEARER_SCHEME]: [scope] },
  { [SESSION_SCHEME]: [] },
];

/** The responses every authenticated operation may give, for the document. */
export const problemResponses = (...statuses: number[]) =>
  Object.fromEntries(
    statuses.map((status) => [
      status,
      {
        description: PROBLEM_DESCRIPTIONS[status] ?? 'A problem',
        content: { 'application/problem+json': { schema: ProblemSchema } },
      },
    ]),
  );

const PROBLEM_DESCRIPTIONS: Record<number, string> = {
  400: 'Invalid request or malformed body',
  401: 'No valid API key',
  403: 'The key lacks the scope',
  404: 'Not found',
  409: 'Conflict',
  413: 'Body too large',
  422: 'Refused by a rule',
  429: 'Rate limited (see Retry-After)',
  503: 'Not ready',
};

/** The OpenAPI 3.1 document of `app`, with the bearer scheme and the info block. */
export function openApiDocument(app: OpenAPIHono<ApiEnv>, version: string) {
  return app.getOpenAPI31Document({
    openapi: '3.1.0',
    info: {
      title: 'verikiosk API',
      version,
      description:
        'The on-prem identity-verification appliance. Errors are `application/problem+json` with a `type` from the catalogue at `/api/v1/problems`; every response carries `X-Request-Id`.',
    },
    tags: [
      { name: 'health', description: 'Liveness and details of the appliance.' },
      { name: 'api-keys', description: 'API keys of integrators (admin scope, audited).' },
      { name: 'auth', description: 'Staff login, logout and session (cookie + X-CSRF-Token).' },
      { name: 'kiosks', description: 'Kiosks and their tokens (admin scope, audited).' },
      {
        name: 'verifications',
        description:
          'Verification sessions: created, fed by the capture routes (consent first), submitted for a decision.',
      },
      {
        name: 'webhooks',
        description:
          'Signed event deliveries to integrators (admin scope, audited): `Verikiosk-Signature: t=<unix>,v1=<hex>`.',
      },
    ],
  });
}
