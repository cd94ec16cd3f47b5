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

export const FrameGuidanceSchema = z
  .object({
    /** The decoded frame's size in pixels. */
    width: z.number().int(),
    height: z.number().int(),
    /** At most three faces, largest first; empty when none was found. */
    faces: z.array(FrameFaceSchema).max(3),
  })
  .meta({ id: 'FrameGuidance' });
export type FrameGuidanceDto = z.infer<typeof FrameGuidanceSchema>;
