import { z } from 'zod';

/**
 * Every problem the API answers with (RFC 9457), by code. The code is stable: clients branch on
 * the problem's `type`, which is `/api/v1/problems/<code>`, a page of the catalogue served by the
 * appliance itself (relative, so it resolves against whichever address the client called).
 */
export const PROBLEMS = {
  invalid_request: {
    status: 400,
    title: 'Invalid request',
    description:
      'A parameter, header or the JSON body does not match the schema of the operation. `errors` lists each failing field by its path and the rule it broke (a zod issue code); the submitted values are never repeated.',
  },
  malformed_body: {
    status: 400,
    title: 'Malformed body',
    description: 'The body is not valid JSON.',
  },
  ambiguous_path: {
    status: 400,
    title: 'Ambiguous path',
    description:
      'The request path holds a dot segment, an encoded slash or backslash, an encoded control character, a double-encoded character or an empty segment, which different parsers read differently.',
  },
  unauthorized: {
    status: 401,
    title: 'Unauthorized',
    description:
      'No credentials, or credentials that are not valid: an unknown, revoked or expired API key or kiosk token, an ended or expired staff session, or a failed login (one answer for every reason). Sent with `WWW-Authenticate: Bearer` where a bearer token was expected.',
  },
  forbidden: {
    status: 403,
    title: 'Forbidden',
    description: 'The credentials are valid but lack the scope the operation needs.',
  },
  password_change_required: {
    status: 403,
    title: 'Password change required',
    description:
      'The staff user logged in with a password someone else set (a generated first password) and must change it (`POST /api/v1/auth/password`) before anything else; until then the session opens only that, `GET /api/v1/auth/session` and logout.',
  },
  csrf: {
    status: 403,
    title: 'Cross-site request refused',
    description:
      "A write made with the session cookie lacks the session's `X-CSRF-Token` (from `GET /api/v1/auth/session`), carries a wrong one, or comes from another site (`Origin`, `Sec-Fetch-Site`).",
  },
  not_found: {
    status: 404,
    title: 'Not Found',
    description: 'No such resource, or one the caller may not see.',
  },
  method_not_allowed: {
    status: 405,
    title: 'Method Not Allowed',
    description: 'The resource exists but does not take this method.',
  },
  conflict: {
    status: 409,
    title: 'Conflict',
    description: 'The resource is in a state that does not allow the operation.',
  },
  body_too_large: {
    status: 413,
    title: 'Content Too Large',
    description:
      'The body is larger than the limit of the operation (config `server.bodyLimitBytes` for JSON, `server.maxImageBytes` for images).',
  },
  unsupported_media_type: {
    status: 415,
    title: 'Unsupported Media Type',
    description:
      'The body is not sent as `application/json` (or the media type the operation names).',
  },
  not_acceptable: {
    status: 406,
    title: 'Not Acceptable',
    description:
      'The `Accept` header names no media type this resource is served as (the retention schedule: `text/html` or `application/json`).',
  },
  rule_violation: {
    status: 422,
    title: 'Refused by a rule',
    description:
      'The request is well formed but a rule of the appliance refuses it (a legal hold, an unknown scope, a name out of bounds). `rule` names the rule.',
  },
  invalid_media: {
    status: 422,
    title: 'Unusable media',
    description:
      'An image, template or signature sent in the request cannot be read. `rule` names why.',
  },
  rate_limited: {
    status: 429,
    title: 'Too Many Requests',
    description:
      'The API key or the client address sent more requests than its rate limit allows (config `server.rateLimit`). `Retry-After` says how many seconds to wait.',
  },
  internal: {
    status: 500,
    title: 'Internal Server Error',
    description:
      'An unexpected failure. Nothing about it is disclosed; quote `requestId` (also in `X-Request-Id`) to the operator, who finds it in the log.',
  },
  integrity_failure: {
    status: 500,
    title: 'Stored data failed its integrity check',
    description:
      'A sealed value did not authenticate (altered, moved or its key destroyed). The operator should run `verikiosk status` and check the audit chain.',
  },
  identity_unverified: {
    status: 422,
    title: 'Identity not verified',
    description:
      'A data-subject request whose requester was not proven to be the subject: the authentication is not an approved, recent one of theirs (`authentication_in_review`: staff have not decided it yet, ask again; every other rule is final), the document presented is not theirs, or evidence was recorded by someone other than staff. `rule` names which. Nothing was recorded or released.',
  },
  privacy_request_limit: {
    status: 422,
    title: 'Request limit reached',
    description:
      'Under the CCPA a business need not answer more than two access or portability requests of a person in twelve months (config `privacyRequests.ccpaAccessRequestsPerYear`). The earlier answers stand.',
  },
  unavailable: {
    status: 503,
    title: 'Service Unavailable',
    description:
      'A part the operation needs is not ready (the database, the keys, the face engine or index is still loading). Retry later.',
  },
} as const satisfies Record<string, { status: number; title: string; description: string }>;

export type ProblemCode = keyof typeof PROBLEMS;
export const PROBLEM_CODES = Object.keys(PROBLEMS) as ProblemCode[];

export const PROBLEM_BASE = '/api/v1/problems/';

export function problemType(code: ProblemCode): string {
  return `${PROBLEM_BASE}${code}`;
}

/** The problem code for a bare HTTP status (a foreign exception carrying only a status). */
export function problemCodeForStatus(status: number): ProblemCode {
  const match = PROBLEM_CODES.find((code) => PROBLEMS[code].status === status);
  if (match !== undefined) return match;
  return status >= 500 ? 'internal' : 'invalid_request';
}

export const ValidationIssueSchema = z
  .object({
    in: z.enum(['path', 'query', 'header', 'cookie', 'body']),
    /** Dotted path of the field within its part (`scopes.0`); '' for the part itself. */
    path: z.string(),
    /** The rule broken: a zod issue code (`invalid_type`, `too_small`, `unrecognized_keys`, …). */
    rule: z.string(),
  })
  .meta({
    id: 'ValidationIssue',
    description: 'One failing field: where, and which rule. Never the value sent.',
  });
export type ValidationIssue = z.infer<typeof ValidationIssueSchema>;

export const ProblemSchema = z
  .object({
    type: z.string().meta({ description: 'A catalogue URI, `/api/v1/problems/<code>`.' }),
    title: z.string(),
    status: z.number().int(),
    detail: z.string(),
    requestId: z.string().meta({ description: 'The id in `X-Request-Id`, also in the log.' }),
    rule: z.string().optional(),
    errors: z.array(ValidationIssueSchema).optional(),
  })
  .meta({ id: 'Problem', description: 'An RFC 9457 problem (`application/problem+json`).' });
export type Problem = z.infer<typeof ProblemSchema>;
