/**
 * Live capture guidance for the kiosk (UI-1): a downscaled camera frame sent while the End-User
 * frames their face, answered with where the core's face detector sees faces. Advisory only: the
 * frame is never stored, and the selfie capture is judged again by the core's quality gates.
 */
import { z } from '@hono/zod-openapi';

/** The largest frame the guidance route takes (a 320×240 JPEG is ~15-30 kB). */
export const FRAME_GUIDANCE_MAX_BYTES = 192 * 1024;

/** One face the detector found, its box as fractions of the frame (0..1), largest first. */
export const FrameFaceSchema = z
  .object({
    x: z.number(),
    y: z.number(),
    width: z.number(),
    height: z.number(),
    /** The detector's confidence, 0..1. */
    score: z.number(),
    /** Head pose from the 68 landmarks, degrees. */
    yaw: z.number(),
    pitch: z.number(),
    roll: z.number(),
    /** Mean eye aspect ratio (closed below ~0.16). */
    eyeOpenness: z.number(),
  })
  .meta({ id: 'FrameFace' });
export type FrameFace = z.infer<typeof FrameFaceSchema>;

/** What the frame shows of a document page (target=document). */
export const PAGE_STATES = ['none', 'tooFar', 'cutOff', 'ok'] as const;
export type PageState = (typeof PAGE_STATES)[number];

export const FramePageSchema = z
  .object({
    /** none: no page found; tooFar: too small in the frame; cutOff: runs off its edge; ok. */
    state: z.enum(PAGE_STATES),
    /** The page's bounding box as fractions of the frame; null when none was found. */
    box: z
      .object({ x: z.number(), y: z.number(), width: z.number(), height: z.number() })
      .nullable(),
    /** The box's share of the frame. */
    area: z.number(),
  })
  .meta({ id: 'FramePage' });
export type FramePage = z.infer<typeof FramePageSchema>;

export const FrameGuidanceTargetQuerySchema = z.object({
  /** face (the default): the face detector's view; document: where the page is. */
  target: z.enum(['face', 'document']).default('face'),
});

export const FrameGuidanceSchema = z
  .object({
    /** The decoded frame's size in pixels. */
    width: z.number().int(),
    height: z.number().int(),
    /** At most three faces, largest first; empty when none was found. */
    faces: z.array(FrameFaceSchema).max(3),
    /** Where the document page is (target=document only). */
    page: FramePageSchema.optional(),
  })
  .meta({ id: 'FrameGuidance' });
export type FrameGuidanceDto = z.infer<typeof FrameGuidanceSchema>;
