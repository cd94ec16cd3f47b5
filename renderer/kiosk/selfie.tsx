/**
 * The selfie step: the live camera in a face frame, live guidance (use-guidance.ts: where the
 * core's detector sees the face, light, blur, motion; "I'm ready" only once the frame is good),
 * then the challenge (hold,
 * turn, blink in the order and at the times the core drew) with its prompt and progress while
 * the burst is taken. The kiosk asks the core for the challenge when the person starts, follows
 * its plan, and sends the frames with the challenge's id: the core judges them against the plan
 * it stored. The kiosk keeps none of the frames.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import type { LivenessChallengeDto, SelfieCapture } from '../../contract/index.js';
import type { Translator } from '../shared/i18n/index.js';
import type { KioskApi } from './api.js';
import { grabJpeg, useCamera, wipeCanvas } from './camera.js';
import { useFaceGuidance } from './use-guidance.js';
import { frameTimes, promptAt, type ChallengeAction } from './liveness.js';

export interface SelfieStepProps {
  i18n: Translator;
  api: KioskApi;
  sessionId: string;
  /** A message above the camera (a retry). */
  notice: string | null;
  /** Asks the core for this session's liveness challenge (one per burst). */
  challenge: () => Promise<LivenessChallengeDto>;
  onCaptured: (capture: SelfieCapture) => void;
  onCameraError: () => void;
  /** The core gave no challenge. */
  onFail: () => void;
}

type Phase = 'starting' | 'framing' | 'preparing' | 'challenge';

export function SelfieStep({
  i18n,
  api,
  sessionId,
  notice,
  challenge,
  onCaptured,
  onCameraError,
  onFail,
}: SelfieStepProps) {
  const { t } = i18n;
  const video = useRef<HTMLVideoElement>(null);
  const scratch = useRef<HTMLCanvasElement | null>(null);
  const [phase, setPhase] = useState<Phase>('starting');
  const [prompt, setPrompt] = useState<{ prompt: ChallengeAction | 'hold'; index: number }>({
    prompt: 'hold',
    index: -1,
  });
  const [progress, setProgress] = useState(0);
  const timers = useRef<number[]>([]);

  useEffect(() => {
    scratch.current = document.createElement('canvas');
    return () => {
      for (const id of timers.current) clearTimeout(id);
      wipeCanvas(scratch.current);
      scratch.current = null;
    };
  }, []);
  useCamera(video, { onOpen: () => setPhase('framing'), onFail: onCameraError });

  // Live guidance while framing; the challenge starts only from a good frame.
  const guidance = useFaceGuidance({ video, active: phase === 'framing', api, sessionId });

  const begin = async () => {
    if (!video.current || !scratch.current || !guidance.ready) return;
    setPhase('preparing');
    let issued: LivenessChallengeDto;
    try {
      issued = await challenge();
    } catch {
      return onFail();
    }
    const element = video.current;
    const canvas = scratch.current;
    if (!element || !canvas) return;
    const { plan } = issued;
    const times = frameTimes(plan);
    const frames: SelfieCapture['frames'] = [];
    setPhase('challenge');
    const started = performance.now();
    const tick = () => {
      const elapsed = performance.now() - started;
      setPrompt(promptAt(plan, elapsed));
      setProgress(Math.min(100, Math.round((elapsed / plan.duration) * 100)));
      if (elapsed < plan.duration) timers.current.push(window.setTimeout(tick, 100));
    };
    tick();
    times.forEach((at, i) => {
      timers.current.push(
        window.setTimeout(() => {
          const image = grabJpeg(element, canvas);
          const tMs = Math.round(performance.now() - started);
          const previous = frames[frames.length - 1]?.t ?? -1;
          if (image !== null) frames.push({ t: Math.max(tMs, previous + 1), image });
          if (i === times.length - 1) {
            wipeCanvas(canvas);
            onCaptured({ frames: frames.splice(0), challengeId: issued.id });
          }
        }, at),
      );
    });
  };

  const total = 3;
  return (
    <div class="selfie">
      {notice && (
        <p class="notice" role="status">
          {notice}
        </p>
      )}
      <p>{t('kiosk.selfie.instructions')}</p>
      <div class="camera">
        <video
          ref={video}
          class="camera-video"
          muted
          playsInline
          autoplay
          aria-label={t('kiosk.selfie.cameraLabel')}
        />
        <div
          class={`face-frame ${phase === 'challenge' ? `prompt-${prompt.prompt}` : `guide-${guidance.cue}`}`}
          aria-hidden="true"
        />
      </div>
      {phase === 'framing' && (
        <>
          <p
            class={`guidance guide-${guidance.cue}`}
            role="status"
            aria-live="polite"
            data-cue={guidance.cue}
          >
            {t(`kiosk.selfie.guidance.${guidance.cue}`)}
          </p>
          <button
            type="button"
            class="primary-action"
            disabled={!guidance.ready}
            onClick={() => void begin()}
          >
            {t('kiosk.selfie.start')}
          </button>
        </>
      )}
      {phase === 'challenge' && (
        <>
          <p class="prompt" role="status" aria-live="assertive" data-prompt={prompt.prompt}>
            <span class={`prompt-cue cue-${prompt.prompt}`} aria-hidden="true" />
            {t(`kiosk.selfie.prompt.${prompt.prompt}`)}
          </p>
          {prompt.index >= 0 && (
            <p class="prompt-count">
              {t('kiosk.selfie.progress', { current: prompt.index + 1, total })}
            </p>
          )}
          <progress
            class="challenge-progress"
            max={100}
            value={progress}
            aria-label={t('kiosk.selfie.title')}
          />
        </>
      )}
    </div>
  );
}
