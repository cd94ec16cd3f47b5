/**
 * The document held to the camera (UI-1), for a kiosk without a working reader: the live camera
 * with the page's outline, live guidance (page in frame, too far or cut off, from the core's page
 * detector; light, glare, sharpness, motion in the browser: use-guidance.ts), a
 * photo taken only from a good frame and sent to the session's document-image capture, where the
 * core reads the MRZ or barcode (OCR). What the core read comes back for the End-User to confirm
 * or retake: the kind of document, the issuing state and the number's last characters (a kiosk
 * token never sees the document's fields). The photo is not kept in the page.
 */
import { useRef, useState } from 'preact/hooks';
import { ApiProblem } from '../shared/api.js';
import type { Translator } from '../shared/i18n/index.js';
import type { KioskApi, Session } from './api.js';
import { grabBlob, useCamera, wipeCanvas } from './camera.js';
import type { DocumentType } from './document-step.js';
import { useDocumentGuidance } from './use-guidance.js';

/** The photo sent to the core: wide enough for the MRZ's characters to be read. */
const PHOTO_WIDTH = 1280;

type Phase = 'starting' | 'framing' | 'reading' | 'confirm';

export interface DocumentCameraProps {
  i18n: Translator;
  api: KioskApi;
  sessionId: string;
  type: DocumentType;
  onRead: (session: Session) => void;
  /** Back to the reader (or the choice of document). */
  onCancel: () => void;
  onFail: () => void;
}

export function DocumentCamera(props: DocumentCameraProps) {
  const { i18n, api, sessionId, type, onRead, onCancel, onFail } = props;
  const { t } = i18n;
  const video = useRef<HTMLVideoElement>(null);
  const [phase, setPhase] = useState<Phase>('starting');
  const [notRead, setNotRead] = useState(false);
  const [read, setRead] = useState<Session | null>(null);
  const guidance = useDocumentGuidance({ video, active: phase === 'framing', api, sessionId });

  useCamera(video, { onOpen: () => setPhase('framing'), onFail }, { width: 1280, height: 720 });

  const capture = async () => {
    const element = video.current;
    if (!element || !guidance.ready) return;
    const canvas = document.createElement('canvas');
    const photo = await grabBlob(element, canvas, PHOTO_WIDTH, 0.92);
    wipeCanvas(canvas);
    if (photo === null) return;
    setPhase('reading');
    setNotRead(false);
    try {
      const session = await api.documentImage(sessionId, photo);
      setRead(session);
      setPhase('confirm');
    } catch (error) {
      if (error instanceof ApiProblem && error.code === 'invalid_media') {
        setNotRead(true);
        setPhase('framing');
        return;
      }
      onFail();
    }
  };

  const document_ = read?.document ?? null;
  return (
    <div class="document document-camera">
      <h2>{t('kiosk.document.camera.title')}</h2>
      <p>{t(`kiosk.document.camera.instructions.${type}`)}</p>
      {notRead && (
        <p class="notice" role="alert">
          {t('kiosk.document.camera.notRead')}
        </p>
      )}
      <div class={`camera document-frame ${phase === 'confirm' ? 'hidden' : ''}`}>
        <video
          ref={video}
          class="camera-video"
          muted
          playsInline
          autoplay
          aria-label={t('kiosk.document.camera.cameraLabel')}
        />
        <div class={`document-outline guide-${guidance.cue}`} aria-hidden="true" />
      </div>
      {phase === 'framing' && (
        <>
          <p
            class={`guidance guide-${guidance.cue}`}
            role="status"
            aria-live="polite"
            data-cue={guidance.cue}
          >
            {t(`kiosk.document.camera.guidance.${guidance.cue}`)}
          </p>
          <div class="row">
            <button type="button" class="secondary" onClick={onCancel}>
              {t('kiosk.document.other')}
            </button>
            <button
              type="button"
              class="primary-action"
              disabled={!guidance.ready}
              onClick={() => void capture()}
            >
              {t('kiosk.document.camera.capture')}
            </button>
          </div>
        </>
      )}
      {phase === 'reading' && (
        <p class="reader-status" role="status" aria-live="polite">
          <span class="spinner" aria-hidden="true" />
          {t('kiosk.document.camera.reading')}
        </p>
      )}
      {phase === 'confirm' && read && (
        <section class="document-read" aria-labelledby="document-read-title">
          <h3 id="document-read-title">{t('kiosk.document.camera.confirmTitle')}</h3>
          <ul>
            <li>{t(`kiosk.document.camera.confirmKind.${document_?.kind ?? 'visual'}`)}</li>
            {document_?.issuingState && (
              <li>{t('kiosk.document.camera.issuedBy', { state: document_.issuingState })}</li>
            )}
            {document_?.documentNumberMasked && (
              <li>
                {t('kiosk.document.camera.numberEnding', {
                  number: document_.documentNumberMasked,
                })}
              </li>
            )}
          </ul>
          <div class="row">
            <button
              type="button"
              class="secondary"
              onClick={() => {
                setRead(null);
                setPhase('framing');
              }}
            >
              {t('kiosk.document.camera.retake')}
            </button>
            <button type="button" class="primary-action" onClick={() => onRead(read)}>
              {t('kiosk.document.camera.confirm')}
            </button>
          </div>
        </section>
      )}
    </div>
  );
}
