/**
 * The live guidance loop of the kiosk's camera screens: samples the video a few times a second
 * in the browser (light, sharpness, motion, glare on small canvases) and asks the core where the
 * faces, or the document page, are (one downscaled frame at a time, POST …/frame-guidance), then folds
 * each sample into the damped message of guidance.ts. Nothing of a frame is kept: the canvases
 * are wiped when the loop stops.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import { ApiProblem } from '../shared/api.js';
import type { FrameGuidanceDto } from '../../contract/index.js';
import type { KioskApi } from './api.js';
import { grabBlob, lumaGrid, wipeCanvas, type Region } from './camera.js';
import {
  documentCue,
  faceCue,
  initialGuidance,
  isReady,
  laplacianVariance,
  mean,
  meanAbsDiff,
  shareAtLeast,
  stepGuidance,
  type DocumentCue,
  type FaceBox,
  type FaceCue,
  type Guidance,
  type PageSeen,
} from './guidance.js';

/** How often the browser samples the video, and the core is asked at most (ms). */
const SAMPLE_MS = 300;
const CORE_MS = 350;
/** After a refusal (rate limit, busy engine), wait this long before the next frame. */
const BACK_OFF_MS = 1000;
/** The downscaled frame the core sees. */
const CORE_FRAME_WIDTH = 320;

/**
 * The document outline on screen, as fractions of the 16:9 frame (kiosk.css .document-outline):
 * 742×504 px of 1280×720, the shape of a passport page (125×88 mm) or an ID-1 card.
 */
export const DOCUMENT_OUTLINE: Region = { x: 0.21, y: 0.15, width: 0.58, height: 0.7 };
const CENTRE: Region = { x: 0.3, y: 0.25, width: 0.4, height: 0.5 };

/** The inner face (brows to chin), where the core measures exposure and blur. */
function innerFace(face: FaceBox): Region {
  return {
    x: face.x + face.width * 0.15,
    y: face.y + face.height * 0.15,
    width: face.width * 0.7,
    height: face.height * 0.75,
  };
}

export interface GuidanceResult<C extends string> {
  cue: C;
  ready: boolean;
}

interface LoopOptions {
  video: { current: HTMLVideoElement | null };
  active: boolean;
  api: KioskApi;
  sessionId: string;
}

/**
 * The core's view, one downscaled frame at a time (the next when the last answer came): each
 * answer goes to `onAnswer`; a refusal other than a rate limit or a busy engine stops the loop
 * and calls `onUnavailable` (the browser's own measures still guide).
 */
function useCoreFrames(
  options: LoopOptions,
  target: 'face' | 'document',
  onAnswer: (answer: FrameGuidanceDto) => void,
  onUnavailable: () => void,
): void {
  const { active, api, sessionId, video } = options;
  useEffect(() => {
    if (!active) return;
    const canvas = document.createElement('canvas');
    const controller = new AbortController();
    let timer: number | undefined;
    const ask = async (): Promise<void> => {
      let wait = CORE_MS;
      const element = video.current;
      const blob = element ? await grabBlob(element, canvas, CORE_FRAME_WIDTH) : null;
      wipeCanvas(canvas);
      if (blob !== null && !controller.signal.aborted) {
        try {
          onAnswer(await api.frameGuidance(sessionId, blob, controller.signal, target));
        } catch (error) {
          if (controller.signal.aborted) return;
          if (error instanceof ApiProblem && (error.status === 429 || error.status === 503)) {
            wait = BACK_OFF_MS;
          } else {
            // No guidance from this core (or the frame was refused): the core still judges the
            // capture itself.
            onUnavailable();
            return;
          }
        }
      }
      if (!controller.signal.aborted) timer = window.setTimeout(() => void ask(), wait);
    };
    void ask();
    return () => {
      controller.abort();
      clearTimeout(timer);
      wipeCanvas(canvas);
    };
  }, [active, sessionId]);
}

export function useFaceGuidance(options: LoopOptions): GuidanceResult<FaceCue> {
  const [state, setState] = useState<Guidance<FaceCue>>(() => initialGuidance('searching'));
  const faces = useRef<readonly FaceBox[] | null | 'unavailable'>(null);
  const { active, video } = options;
  useCoreFrames(
    options,
    'face',
    (answer) => {
      faces.current = answer.faces;
    },
    () => {
      faces.current = 'unavailable';
    },
  );

  // The browser's measurements, folded with the core's latest answer.
  useEffect(() => {
    if (!active) return;
    setState(initialGuidance('searching'));
    const canvas = document.createElement('canvas');
    let previous: Float32Array | null = null;
    const id = window.setInterval(() => {
      const element = video.current;
      if (!element) return;
      const whole = lumaGrid(element, canvas, { x: 0, y: 0, width: 1, height: 1 }, 32, 24);
      const motion = whole && previous ? meanAbsDiff(whole, previous) : null;
      previous = whole;
      const seen = faces.current;
      const face: FaceBox | undefined =
        seen === null || seen === 'unavailable' ? undefined : seen[0];
      const region = face ? innerFace(face) : CENTRE;
      const crop = lumaGrid(element, canvas, region, 112, 112);
      const measured = {
        faces: seen,
        brightness: crop ? mean(crop) : null,
        // Sharpness only means something on a face.
        sharpness: crop && face ? laplacianVariance(crop, 112, 112) : null,
        motion,
      };
      setState((s) => stepGuidance(s, faceCue(measured, s.shown)));
    }, SAMPLE_MS);
    return () => {
      clearInterval(id);
      wipeCanvas(canvas);
    };
  }, [active]);

  return { cue: state.shown, ready: isReady(state) };
}

export function useDocumentGuidance(options: LoopOptions): GuidanceResult<DocumentCue> {
  const [state, setState] = useState<Guidance<DocumentCue>>(() => initialGuidance('searching'));
  const page = useRef<PageSeen | null | 'unavailable'>(null);
  const { active, video } = options;
  useCoreFrames(
    options,
    'document',
    (answer) => {
      page.current = answer.page?.state ?? 'unavailable';
    },
    () => {
      page.current = 'unavailable';
    },
  );
  useEffect(() => {
    if (!active) return;
    setState(initialGuidance('searching'));
    const canvas = document.createElement('canvas');
    let previous: Float32Array | null = null;
    const id = window.setInterval(() => {
      const element = video.current;
      if (!element) return;
      const outline = lumaGrid(element, canvas, DOCUMENT_OUTLINE, 200, 124);
      const small = lumaGrid(element, canvas, DOCUMENT_OUTLINE, 40, 25);
      const motion = small && previous ? meanAbsDiff(small, previous) : null;
      previous = small;
      const measured = {
        page: page.current,
        brightness: outline ? mean(outline) : null,
        glare: outline ? shareAtLeast(outline) : null,
        sharpness: outline ? laplacianVariance(outline, 200, 124) : null,
        motion,
      };
      setState((s) => stepGuidance(s, documentCue(measured, s.shown)));
    }, SAMPLE_MS);
    return () => {
      clearInterval(id);
      wipeCanvas(canvas);
    };
  }, [active]);
  return { cue: state.shown, ready: isReady(state) };
}
