import { createRoute, z } from '@hono/zod-openapi';
import type { MiddlewareHandler } from 'hono';
import {
  ConsentTextListSchema,
  ConsentTextQuerySchema,
  ConsentWithdrawalResultSchema,
  ConsentWithdrawalSchema,
  GuardianLinkResultSchema,
  GuardianLinkSchema,
  VerificationIdParamsSchema,
  type WithdrawalChannel,
} from '../../../contract/index.js';
import {
  ConsentError,
  consentTexts,
  consentsOf,
  linkGuardian,
  withdrawConsent,
} from '../../privacy/index.js';
import type { Config } from '../../config/index.js';
import { subjectExists, type Vault } from '../../vault/index.js';
import {
  actorOf,
  authenticateRequest,
  hasScope,
  requireKioskOwnsSession,
  requireScope,
  type ApiEnv,
} from '../middleware/auth.js';
import { apiRouter, json, securityOf, problemResponses } from '../openapi.js';
import { HttpError } from '../problem.js';

const TAGS = ['privacy'];

const SubjectParamsSchema = z.object({
  id: z
    .string()
    .regex(/^[a-z]{2,5}_[0-9A-Za-z]{10,40}$/)
    .meta({ param: { name: 'id', in: 'path' }, example: 'sub_01JF3M8X2K4Q9W7E5R6T' }),
});

const ConsentRecordListSchema = z
  .object({
    data: z.array(
      z.object({
        id: z.string(),
        purpose: z.string(),
        textVersion: z.string(),
        textHash: z.string().nullable(),
        language: z.string(),
        grantedAt: z.string(),
        kioskId: z.string().nullable(),
        branch: z.string().nullable(),
        givenBy: z.enum(['subject', 'guardian']),
        verificationId: z.string().nullable(),
        guardianVerificationId: z.string().nullable(),
        signatureSampleId: z.string().nullable(),
        renderSampleId: z.string().nullable(),
        withdrawnAt: z.string().nullable(),
        withdrawalChannel: z.string().nullable(),
      }),
    ),
  })
  .meta({ id: 'ConsentRecordList' });

const OPEN_STATES = new Set(['created', 'in_progress', 'resubmission_requested', 'submitted']);

/**
 * A kiosk withdraws for the person in front of it: the subject of its own session while the
 * session is open or within `minutes` of its last change. Later, the person asks staff (or
 * proves who they are in a new session): a kiosk token alone must not be able to destroy the
 * biometrics of everyone who ever used that kiosk.
 */
function kioskMayWithdraw(vault: Vault, verificationId: string, minutes: number): boolean {
  const row = vault.read((db) =>
    db
      .prepare('SELECT status, updated_at AS updatedAt FROM verifications WHERE id = ?')
      .get(verificationId),
  ) as { status: string; updatedAt: string } | undefined;
  if (row === undefined) return false;
  if (OPEN_STATES.has(row.status)) return true;
  return vault.now.getTime() - Date.parse(row.updatedAt) <= minutes * 60_000;
}

function sessionKiosk(vault: Vault, verificationId: string): string | null {
  const row = vault.read((db) =>
    db
      .prepare(
        'SELECT kiosk_id AS kioskId, subject_id AS subjectId FROM verifications WHERE id = ?',
      )
      .get(verificationId),
  ) as { kioskId: string | null; subjectId: string | null } | undefined;
  if (row === undefined)
    throw new ConsentError('unknown_verification', 'not_found', 'No such resource.');
  return row.kioskId;
}

/**
 * Consent (PRIV-1, PRIV-4): the current texts (public: the kiosk shows them before any capture,
 * and they hold no personal data), withdrawal (kiosk, staff, API), a subject's consent records,
 * and a minor's guardian.
 */
export function consentRoutes(vault: Vault, policies: Config['policies']) {
  const kioskWithdrawalMinutes = policies.sessionTimeoutMinutes;
  const privacyRead = requireScope('privacy:read', { vault });
  const capture = requireScope('captures:write', { vault });
  /** privacy:write (staff, API), or a kiosk for the subject of one of its own sessions. */
  const withdrawGuard: MiddlewareHandler<ApiEnv> = async (c, next) => {
    const principal = authenticateRequest(c, vault);
    if (principal?.kind === 'kiosk') return next();
    return requireScope('privacy:write', { vault })(c, next);
  };
  const owns: MiddlewareHandler<ApiEnv> = async (c, next) => {
    requireKioskOwnsSession(c, sessionKiosk(vault, c.req.param('id') ?? ''));
    await next();
  };

  const texts = createRoute({
    method: 'get',
    path: '/consent-texts',
    tags: TAGS,
    summary: 'The current consent texts, by language and purpose (public: shown before consent)',
    request: { query: ConsentTextQuerySchema },
    responses: {
      200: {
        description: 'The current version of each text',
        content: json(ConsentTextListSchema),
      },
      ...problemResponses(400, 429),
    },
  });
  const withdraw = createRoute({
    method: 'post',
    path: '/consents/withdraw',
    tags: TAGS,
    summary:
      'Withdraw a consent: processing for the purpose stops; a biometric purpose destroys the templates and samples at once',
    security: securityOf('privacy:write'),
    middleware: [withdrawGuard] as const,
    request: { body: { required: true, content: json(ConsentWithdrawalSchema) } },
    responses: {
      200: {
        description: 'The withdrawal and what it destroyed',
        content: json(ConsentWithdrawalResultSchema),
      },
      ...problemResponses(400, 401, 403, 404, 413, 415, 422, 429),
    },
  });
  const records = createRoute({
    method: 'get',
    path: '/subjects/{id}/consents',
    tags: TAGS,
    summary: "A subject's consent records: text version and hash, kiosk, branch, withdrawal",
    security: securityOf('privacy:read'),
    middleware: [privacyRead] as const,
    request: { params: SubjectParamsSchema },
    responses: {
      200: {
        description: 'Every consent record of the subject',
        content: json(ConsentRecordListSchema),
      },
      ...problemResponses(400, 401, 403, 404, 429),
    },
  });
  const guardian = createRoute({
    method: 'post',
    path: '/verifications/{id}/guardian',
    tags: TAGS,
    summary:
      "A minor's session: link the guardian's approved identity verification and the guardian's written consent",
    security: securityOf('captures:write'),
    middleware: [capture, owns] as const,
    request: {
      params: VerificationIdParamsSchema,
      body: { required: true, content: json(GuardianLinkSchema) },
    },
    responses: {
      200: { description: 'The link', content: json(GuardianLinkResultSchema) },
      ...problemResponses(400, 401, 403, 404, 409, 413, 415, 422, 429),
    },
  });

  return apiRouter()
    .openapi(texts, (c) => c.json({ data: consentTexts(vault, c.req.valid('query')) }, 200))
    .openapi(withdraw, (c) => {
      const body = c.req.valid('json');
      const principal = c.get('principal') ?? authenticateRequest(c, vault);
      let subjectId = body.subjectId;
      let channel: WithdrawalChannel = principal?.kind === 'staff' ? 'staff' : 'api';
      if (principal?.kind === 'kiosk') {
        // At the kiosk: the subject of a session started on this kiosk, named by the session.
        if (body.verificationId === undefined) {
          throw new HttpError(
            403,
            'forbidden',
            'a kiosk withdraws for the subject of its own session',
          );
        }
        requireKioskOwnsSession(c, sessionKiosk(vault, body.verificationId));
        if (!kioskMayWithdraw(vault, body.verificationId, kioskWithdrawalMinutes)) {
          throw new ConsentError(
            'kiosk_window_closed',
            'refused',
            'this session ended too long ago for a withdrawal at the kiosk: ask at the desk',
          );
        }
        channel = 'kiosk';
      }
      if (body.verificationId !== undefined) {
        const row = vault.read((db) =>
          db
            .prepare('SELECT subject_id FROM verifications WHERE id = ?')
            .pluck()
            .get(body.verificationId),
        ) as string | null | undefined;
        if (row === undefined || row === null) {
          throw new ConsentError('unknown_verification', 'not_found', 'No such resource.');
        }
        subjectId = row;
      }
      if (
        principal !== null &&
        principal.kind !== 'kiosk' &&
        !hasScope(principal, 'privacy:write')
      ) {
        throw new HttpError(403, 'forbidden', 'these credentials lack the privacy:write scope');
      }
      const result = withdrawConsent(vault, {
        subjectId: subjectId ?? '',
        purpose: body.purpose,
        channel,
        actor: actorOf(principal),
      });
      return c.json(result, 200);
    })
    .openapi(records, (c) => {
      const { id } = c.req.valid('param');
      if (!vault.read((db) => subjectExists(db, id)))
        throw new ConsentError('unknown_subject', 'not_found', 'No such resource.');
      return c.json({ data: vault.read((db) => consentsOf(db, id)) }, 200);
    })
    .openapi(guardian, (c) => {
      const body = c.req.valid('json');
      const result = linkGuardian(vault, {
        verificationId: c.req.valid('param').id,
        guardianVerificationId: body.guardianVerificationId,
        consent: body.consent,
        actor: actorOf(c.get('principal') ?? null),
        policies,
      });
      return c.json(result, 200);
    });
}
