import { createRoute, z } from '@hono/zod-openapi';
import type { Context, MiddlewareHandler } from 'hono';
import {
  ConsentCaptureSchema,
  DocumentTextCaptureSchema,
  LivenessChallengeSchema,
  SelfieCaptureSchema,
  SelfieFormSchema,
  SignatureCaptureSchema,
  VerificationCreateSchema,
  VerificationIdParamsSchema,
  VerificationImageParamsSchema,
  VerificationListQuerySchema,
  VerificationListSchema,
  VerificationSchema,
} from '../../../contract/index.js';
import type { Vault } from '../../vault/index.js';
import type { Caller, VerificationService } from '../../verification/index.js';
import {
  actorOf,
  authenticateRequest,
  hasScope,
  requireKioskOwnsSession,
  requireScope,
  type ApiEnv,
} from '../middleware/auth.js';
import { bodyLimitFor } from '../middleware/body-limit.js';
import { apiRouter, json, securityOf, problemResponses } from '../openapi.js';
import { HttpError } from '../problem.js';

const TAGS = ['verifications'];

/** The route prefix whose capture routes take image bodies (IMAGE_UPLOAD_PREFIXES). */
export const VERIFICATION_IMAGE_PREFIX = '/api/v1/verifications/';

export function callerOf(c: Context<ApiEnv>): Caller {
  const principal = c.get('principal');
  return {
    actor: actorOf(principal),
    kioskId: principal?.kind === 'kiosk' ? principal.kiosk.id : null,
    apiClientId: principal?.kind === 'api_client' ? principal.client.id : null,
    piiRead: hasScope(principal, 'pii:read'),
  };
}

const IMAGE_TYPE = /^image\/(jpeg|png)\s*(?:;|$)/i;
const JSON_TYPE = /^application\/json\s*(?:;|$)/i;
const MULTIPART_TYPE = /^multipart\/form-data\s*;/i;

/**
 * Verification sessions (VER-1…VER-3, API-3): created by an integrator or a kiosk, fed by the
 * capture routes (`captures:write`; a kiosk only for its own sessions), submitted for a decision.
 */
export function verificationRoutes(vault: Vault, service: VerificationService, jsonLimit: number) {
  const read = requireScope('verifications:read', { vault });
  const write = requireScope('verifications:write', { vault });
  const capture = requireScope('captures:write', { vault });
  const images = requireScope('images:read', { vault });
  // The capture prefix takes image-sized bodies; the JSON-only captures keep the JSON limit.
  const small = bodyLimitFor(jsonLimit);
  /** verifications:write, or a kiosk starting a session on itself. */
  const createGuard: MiddlewareHandler<ApiEnv> = async (c, next) => {
    const principal = authenticateRequest(c, vault);
    if (principal?.kind === 'kiosk') return next();
    return write(c, next);
  };
  /** A kiosk acts on its own sessions only: another kiosk's is not found. */
  const owns: MiddlewareHandler<ApiEnv> = async (c, next) => {
    const id = c.req.param('id') ?? '';
    requireKioskOwnsSession(c, service.kioskOf(id));
    await next();
  };
  const params = { params: VerificationIdParamsSchema };
  const captureResponses = {
    200: {
      description: 'The session, with the capture recorded',
      content: json(VerificationSchema),
    },
    ...problemResponses(400, 401, 403, 404, 409, 413, 415, 422, 429, 503),
  };
  const captureSecurity: Record<string, string[]>[] = [
    { apiKey: ['captures:write'] },
    { session: [] },
  ];

  const create = createRoute({
    method: 'post',
    path: '/verifications',
    tags: TAGS,
    summary: 'Start a verification session (identity creates the subject)',
    security: securityOf('verifications:write'),
    middleware: [createGuard] as const,
    request: { body: { required: true, content: json(VerificationCreateSchema) } },
    responses: {
      201: { description: 'The new session', content: json(VerificationSchema) },
      ...problemResponses(400, 401, 403, 413, 415, 422, 429),
    },
  });
  const list = createRoute({
    method: 'get',
    path: '/verifications',
    tags: TAGS,
    summary: 'List sessions, newest first (cursor pagination)',
    security: securityOf('verifications:read'),
    middleware: [read] as const,
    request: { query: VerificationListQuerySchema },
    responses: {
      200: { description: 'A page of sessions', content: json(VerificationListSchema) },
      ...problemResponses(400, 401, 403, 422, 429),
    },
  });
  const get = createRoute({
    method: 'get',
    path: '/verifications/{id}',
    tags: TAGS,
    summary: 'A session: status, decision, risk, reasons, checks (document fields with pii:read)',
    security: securityOf('verifications:read'),
    middleware: [read] as const,
    request: params,
    responses: {
      200: { description: 'The session', content: json(VerificationSchema) },
      ...problemResponses(400, 401, 403, 404, 429),
    },
  });
  const image = createRoute({
    method: 'get',
    path: '/verifications/{id}/images/{name}',
    tags: TAGS,
    summary:
      "A session's image (document photo, best selfie frame): images:read, an audited read; an API key sees its own sessions only",
    security: securityOf('images:read'),
    middleware: [images, owns] as const,
    request: { params: VerificationImageParamsSchema },
    responses: {
      200: {
        description: 'The image, as captured',
        content: {
          'image/jpeg': { schema: z.string().meta({ format: 'binary' }) },
          'image/png': { schema: z.string().meta({ format: 'binary' }) },
        },
      },
      ...problemResponses(400, 401, 403, 404, 429),
    },
  });
  const cancel = createRoute({
    method: 'post',
    path: '/verifications/{id}/cancel',
    tags: TAGS,
    summary: 'Cancel an open session (abandoned)',
    security: securityOf('verifications:write'),
    middleware: [small, write] as const,
    request: params,
    responses: {
      200: { description: 'The session, abandoned', content: json(VerificationSchema) },
      ...problemResponses(400, 401, 403, 404, 409, 429),
    },
  });
  const consent = createRoute({
    method: 'post',
    path: '/verifications/{id}/consent',
    tags: TAGS,
    summary:
      'The written consent: the texts shown and the signature on the pad (no capture before it)',
    security: captureSecurity,
    // The written release carries the pad's signature: the capture prefix's limit, as the
    // signature capture has (a slow signer's release passes 64 KiB of JSON).
    middleware: [capture, owns] as const,
    request: { ...params, body: { required: true, content: json(ConsentCaptureSchema) } },
    responses: captureResponses,
  });
  const document = createRoute({
    method: 'post',
    path: '/verifications/{id}/document',
    tags: TAGS,
    summary: 'The document: MRZ or barcode text (as read, never corrected), or an image',
    security: captureSecurity,
    middleware: [capture, owns] as const,
    request: {
      ...params,
      body: {
        content: {
          ...json(DocumentTextCaptureSchema),
          'image/jpeg': { schema: z.string().meta({ format: 'binary' }) },
          'image/png': { schema: z.string().meta({ format: 'binary' }) },
        },
      },
    },
    responses: captureResponses,
  });
  const challenge = createRoute({
    method: 'post',
    path: '/verifications/{id}/liveness-challenge',
    tags: TAGS,
    summary:
      'Issue the liveness challenge: the core draws the plan, stores it on the session (one use, a bounded lifetime) and returns it to follow; the selfie names it by id',
    security: captureSecurity,
    middleware: [small, capture, owns] as const,
    request: params,
    responses: {
      201: { description: 'The challenge to follow', content: json(LivenessChallengeSchema) },
      ...problemResponses(400, 401, 403, 404, 409, 422, 429),
    },
  });
  const selfie = createRoute({
    method: 'post',
    path: '/verifications/{id}/selfie',
    tags: TAGS,
    summary:
      'The selfie: a liveness burst following the issued challenge (challengeId), as JSON (base64 frames) or multipart/form-data (frame files)',
    security: captureSecurity,
    middleware: [capture, owns] as const,
    request: {
      ...params,
      body: {
        content: {
          ...json(SelfieCaptureSchema),
          'multipart/form-data': { schema: SelfieFormSchema },
        },
      },
    },
    responses: captureResponses,
  });
  const signature = createRoute({
    method: 'post',
    path: '/verifications/{id}/signature',
    tags: TAGS,
    summary: 'Signatures: 3-5 to enrol (identity), one to verify (authentication)',
    security: captureSecurity,
    middleware: [capture, owns] as const,
    request: { ...params, body: { required: true, content: json(SignatureCaptureSchema) } },
    responses: captureResponses,
  });
  const submit = createRoute({
    method: 'post',
    path: '/verifications/{id}/submit',
    tags: TAGS,
    summary: 'Submit: run the checks and decide (a submitted session takes no more captures)',
    security: captureSecurity,
    middleware: [small, capture, owns] as const,
    request: params,
    responses: {
      200: { description: 'The session, decided', content: json(VerificationSchema) },
      ...problemResponses(400, 401, 403, 404, 409, 422, 429, 503),
    },
  });

  return apiRouter()
    .openapi(create, (c) => c.json(service.create(c.req.valid('json'), callerOf(c)), 201))
    .openapi(list, (c) => {
      const query = c.req.valid('query');
      const caller = callerOf(c);
      // Whether a reference exists is the branch's data: searching by it needs pii:read.
      if (query.reference !== undefined && !caller.piiRead) {
        throw new HttpError(403, 'forbidden', 'searching by reference needs pii:read');
      }
      return c.json(service.list(query, caller), 200);
    })
    .openapi(get, (c) => c.json(service.get(c.req.valid('param').id, callerOf(c)), 200))
    .openapi(image, (c) => {
      const { id, name } = c.req.valid('param');
      const { bytes, mime } = service.image(id, name, callerOf(c));
      return c.body(bytes, 200, {
        'content-type': mime,
        'cache-control': 'no-store',
        'x-content-type-options': 'nosniff',
      });
    })
    .openapi(cancel, (c) => c.json(service.cancel(c.req.valid('param').id, callerOf(c)), 200))
    .openapi(consent, (c) =>
      c.json(service.consent(c.req.valid('param').id, c.req.valid('json'), callerOf(c)), 200),
    )
    .openapi(document, async (c) => {
      const { id } = c.req.valid('param');
      const type = c.req.header('content-type') ?? '';
      if (JSON_TYPE.test(type)) {
        const body = c.req.valid('json');
        if (typeof body === 'string')
          throw new HttpError(400, 'malformed_body', 'send a JSON object');
        return c.json(await service.documentText(id, body, callerOf(c)), 200);
      }
      const image = IMAGE_TYPE.exec(type);
      if (image === null) {
        throw new HttpError(
          415,
          'unsupported_media_type',
          'send application/json (mrz or barcode text), image/jpeg or image/png',
        );
      }
      const bytes = new Uint8Array(await c.req.arrayBuffer());
      const mime = `image/${(image[1] ?? '').toLowerCase()}`;
      return c.json(await service.documentImage(id, bytes, mime, callerOf(c)), 200);
    })
    .openapi(challenge, (c) =>
      c.json(service.livenessChallenge(c.req.valid('param').id, callerOf(c)), 201),
    )
    .openapi(selfie, async (c) => {
      const { id } = c.req.valid('param');
      const type = c.req.header('content-type') ?? '';
      if (JSON_TYPE.test(type)) {
        const body = c.req.valid('json');
        if ('frames' in body) return c.json(await service.selfie(id, body, callerOf(c)), 200);
      }
      if (MULTIPART_TYPE.test(type)) {
        const form = c.req.valid('form');
        if ('frame' in form) return c.json(await service.selfieForm(id, form, callerOf(c)), 200);
      }
      throw new HttpError(
        415,
        'unsupported_media_type',
        'send application/json (base64 frames) or multipart/form-data (frame files)',
      );
    })
    .openapi(signature, (c) =>
      c.json(service.signature(c.req.valid('param').id, c.req.valid('json'), callerOf(c)), 200),
    )
    .openapi(submit, async (c) =>
      c.json(await service.submit(c.req.valid('param').id, callerOf(c)), 200),
    );
}
