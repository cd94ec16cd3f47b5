import { createRoute, z } from '@hono/zod-openapi';
import type { MiddlewareHandler } from 'hono';
import {
  FRAME_GUIDANCE_MAX_BYTES,
  FrameGuidanceSchema,
  FrameGuidanceTargetQuerySchema,
  VerificationIdParamsSchema,
  type FrameFace,
} from '../../../contract/index.js';
import { eyeOpenness, headPose, type LazyFaceEngine } from '../../biometrics/index.js';
import { decodeImage, detectPage } from '../../documents/index.js';
import type { Vault } from '../../vault/index.js';
import type { VerificationService } from '../../verification/index.js';
import { HttpError } from '../errors.js';
import { requireKioskOwnsSession, requireScope, type ApiEnv } from '../middleware/auth.js';
import { bodyLimitFor } from '../middleware/body-limit.js';
import { apiRouter, json, problemResponses, securityOf } from '../openapi.js';
import { callerOf } from './verifications.js';

const IMAGE_TYPE = /^image\/jpeg\s*(?:;|$)/i;

/** Frames a kiosk may send in a burst, and how many a second it earns back. */
export const FRAME_GUIDANCE_BURST = 4;
export const FRAME_GUIDANCE_PER_SECOND = 4;

/** Sessions that may still take captures. */
const OPEN = new Set(['created', 'in_progress']);

/**
 * A token bucket per kiosk plus one frame in flight: the kiosk sends its next frame when the last
 * answer came, so a well-behaved kiosk never meets the limit; a runaway loop gets 429s instead of
 * filling the face engine's queue ahead of real captures.
 */
class KioskFrameLimiter {
  readonly #buckets = new Map<string, { tokens: number; at: number; busy: boolean }>();
  constructor(readonly now: () => number) {}

  take(kioskId: string): () => void {
    const now = this.now();
    const bucket = this.#buckets.get(kioskId) ?? {
      tokens: FRAME_GUIDANCE_BURST,
      at: now,
      busy: false,
    };
    bucket.tokens = Math.min(
      FRAME_GUIDANCE_BURST,
      bucket.tokens + ((now - bucket.at) / 1000) * FRAME_GUIDANCE_PER_SECOND,
    );
    bucket.at = now;
    this.#buckets.set(kioskId, bucket);
    if (bucket.busy || bucket.tokens < 1) {
      throw new HttpError(
        429,
        'rate_limited',
        bucket.busy
          ? 'one guidance frame at a time: wait for the answer'
          : 'too many guidance frames from this kiosk; retry after 1 s',
        { retryAfterSeconds: 1 },
        { 'retry-after': '1' },
      );
    }
    bucket.tokens -= 1;
    bucket.busy = true;
    return () => {
      bucket.busy = false;
    };
  }
}

const round = (n: number, digits = 3) => Math.round(n * 10 ** digits) / 10 ** digits;

/**
 * Live capture guidance for the kiosk's camera screens (UI-1): a downscaled JPEG frame of one of
 * the kiosk's own open sessions goes through the face engine's fast detector and landmarks (the
 * liveness frame path, no embedding) and comes back as face boxes and head pose. Kiosk tokens
 * only, body-limited, rate-limited per kiosk; the frame is neither stored nor logged, and nothing
 * is audited (no personal data is kept: the answer is geometry). Advisory: the selfie capture is
 * judged again by the core's quality gates.
 */
export function frameGuidanceRoutes(
  vault: Vault,
  verifications: VerificationService,
  face: LazyFaceEngine | undefined,
  now: () => number = Date.now,
) {
  const capture = requireScope('captures:write', { vault });
  const limit = bodyLimitFor(FRAME_GUIDANCE_MAX_BYTES);
  const limiter = new KioskFrameLimiter(now);
  const kioskOnly: MiddlewareHandler<ApiEnv> = async (c, next) => {
    const principal = c.get('principal');
    if (principal?.kind !== 'kiosk') {
      throw new HttpError(403, 'forbidden', 'capture guidance is for kiosks only');
    }
    requireKioskOwnsSession(c, verifications.kioskOf(c.req.param('id') ?? ''));
    await next();
  };
  const route = createRoute({
    method: 'post',
    path: '/verifications/{id}/frame-guidance',
    tags: ['verifications'],
    summary: 'Capture guidance: where the faces, or the document page, are in a live camera frame',
    description: `For the kiosk's live guidance (kiosk tokens only, one of its own open sessions). Send one downscaled JPEG frame (at most ${FRAME_GUIDANCE_MAX_BYTES} bytes); with target=face (the default) the answer gives the faces found (boxes as fractions of the frame, head pose, eye openness); with target=document, where the page is and whether it is absent, too far or cut off by the frame's edge (faces then empty). The frame is not stored. At most ${FRAME_GUIDANCE_BURST} frames in a burst and ${FRAME_GUIDANCE_PER_SECOND} a second per kiosk, one at a time.`,
    security: securityOf('captures:write'),
    middleware: [limit, capture, kioskOnly] as const,
    request: {
      params: VerificationIdParamsSchema,
      query: FrameGuidanceTargetQuerySchema,
      body: {
        required: true,
        content: { 'image/jpeg': { schema: z.string().meta({ format: 'binary' }) } },
      },
    },
    responses: {
      200: { description: 'The faces in the frame', content: json(FrameGuidanceSchema) },
      ...problemResponses(400, 401, 403, 404, 409, 413, 415, 422, 429, 503),
    },
  });
  return apiRouter().openapi(route, async (c) => {
    const { id } = c.req.valid('param');
    const { target } = c.req.valid('query');
    if (!IMAGE_TYPE.test(c.req.header('content-type') ?? '')) {
      throw new HttpError(415, 'unsupported_media_type', 'send one frame as image/jpeg');
    }
    const session = verifications.get(id, { ...callerOf(c), piiRead: false });
    if (!OPEN.has(session.status)) {
      throw new HttpError(409, 'conflict', 'the session takes no more captures');
    }
    const principal = c.get('principal');
    const release = limiter.take(principal?.kind === 'kiosk' ? principal.kiosk.id : '');
    let bytes: Uint8Array | null = null;
    try {
      bytes = new Uint8Array(await c.req.arrayBuffer());
      if (target === 'document') {
        const decoded = await decodeImage(bytes, { maxBytes: FRAME_GUIDANCE_MAX_BYTES });
        if (!decoded.ok) {
          throw new HttpError(422, 'invalid_media', 'the frame cannot be read', {
            rule: decoded.reason,
          });
        }
        const { image } = decoded;
        try {
          const page = detectPage(image);
          return c.json({ width: image.width, height: image.height, faces: [], page }, 200);
        } finally {
          image.data.fill(0);
        }
      }
      if (face === undefined) throw new HttpError(503, 'unavailable', 'no face engine');
      const observed = await face.engine().observe(bytes);
      if (observed.status === 'busy') {
        throw new HttpError(
          503,
          'unavailable',
          'the face engine is busy; try again',
          {},
          {
            'retry-after': '1',
          },
        );
      }
      if (observed.status === 'rejected') {
        throw new HttpError(422, 'invalid_media', 'the frame cannot be read', {
          rule: observed.reason,
        });
      }
      const { imageWidth: width, imageHeight: height } = observed;
      const faces: FrameFace[] = observed.faces.map((f) => {
        const pose = headPose(f.landmarks);
        return {
          x: round(f.box.x / width),
          y: round(f.box.y / height),
          width: round(f.box.width / width),
          height: round(f.box.height / height),
          score: round(f.score),
          yaw: round(pose.yaw, 1),
          pitch: round(pose.pitch, 1),
          roll: round(pose.roll, 1),
          eyeOpenness: round(eyeOpenness(f.landmarks)),
        };
      });
      faces.sort((a, b) => b.width - a.width);
      return c.json({ width, height, faces }, 200);
    } finally {
      bytes?.fill(0);
      release();
    }
  });
}
