/**
 * The document step: which document, what to do with it, then the reader's reading taken into
 * the session by the core (a long poll, repeated until a document is read or the step is left).
 * Without a reader, or when the End-User chooses it (a reading that keeps failing), the page is
 * held to the camera instead (document-camera.tsx) and read by the core from the photo, when the
 * session's policy takes an image (`documentSources`); without a usable source the End-User is
 * sent to a member of staff.
 */
import { useEffect, useState } from 'preact/hooks';
import type { Device, DocumentSource } from '../../contract/index.js';
import { ApiProblem } from '../shared/api.js';
import { openSse } from '../shared/sse.js';
import type { Translator } from '../shared/i18n/index.js';
import type { KioskApi, Session } from './api.js';
import { DocumentCamera } from './document-camera.js';

export const DOCUMENT_TYPES = ['passport', 'idCard', 'licence'] as const;
export type DocumentType = (typeof DOCUMENT_TYPES)[number];

const SPECIMENS = {
  passport: 'passport-td3',
  idCard: 'id-card-td1',
  licence: 'driving-licence-aamva',
} as const;

type Status = 'waiting' | 'reading' | 'read' | 'failed';

export interface DocumentStepProps {
  i18n: Translator;
  api: KioskApi;
  sessionId: string;
  reader: Device | null;
  /** Where the session's policy takes the document from (the session's `documentSources`). */
  sources: readonly DocumentSource[];
  /** The kiosk's token, for the reader's progress stream. */
  token: () => string;
  onRead: (session: Session) => void;
  onFail: () => void;
}

export function DocumentStep(props: DocumentStepProps) {
  const { i18n, api, sessionId, sources, token, onRead, onFail } = props;
  const { t } = i18n;
  const [type, setType] = useState<DocumentType | null>(null);
  const [status, setStatus] = useState<Status>('waiting');
  const [choseCamera, setCamera] = useState(false);
  const imageAllowed = sources.includes('image');
  const reader = sources.includes('reader') ? props.reader : null;
  const camera = imageAllowed && choseCamera;
  const useCamera = imageAllowed && (reader === null || camera);

  useEffect(() => {
    if (type === null || reader === null || camera) return;
    const controller = new AbortController();
    let next: number | undefined;
    const poll = async (): Promise<void> => {
      while (!controller.signal.aborted) {
        try {
          const session = await api.documentFromReader(sessionId, reader.id, controller.signal);
          if (session === null) continue;
          setStatus('read');
          next = window.setTimeout(() => onRead(session), 1200);
          return;
        } catch (error) {
          if (controller.signal.aborted) return;
          if (error instanceof ApiProblem && error.code === 'invalid_media') {
            setStatus('failed');
            continue;
          }
          onFail();
          return;
        }
      }
    };
    void poll();
    return () => {
      controller.abort();
      clearTimeout(next);
    };
  }, [type, reader, camera]);

  // The reader's own progress (device events over SSE): "reading" while a document arrives.
  useEffect(() => {
    if (type === null || reader === null || camera) return;
    const connection = openSse(`/api/v1/devices/${encodeURIComponent(reader.id)}/reader`, {
      headers: () => ({ authorization: `Bearer ${token()}` }),
      onMessage(message) {
        if (message.event === 'reading') {
          setStatus((now) => (now === 'read' ? now : 'reading'));
        }
      },
    });
    return () => connection.close();
  }, [type, reader, camera]);

  if (reader === null && !imageAllowed) {
    return (
      <div class="document">
        <p role="alert">{t('kiosk.document.noReader')}</p>
      </div>
    );
  }
  if (type === null) {
    return (
      <fieldset class="choices">
        <legend>{t('kiosk.document.choose')}</legend>
        {DOCUMENT_TYPES.map((d) => (
          <button key={d} type="button" class="choice" onClick={() => setType(d)}>
            {t(`kiosk.document.${d}`)}
          </button>
        ))}
      </fieldset>
    );
  }
  if (useCamera || reader === null) {
    return (
      <DocumentCamera
        i18n={i18n}
        api={api}
        sessionId={sessionId}
        type={type}
        onRead={onRead}
        onCancel={() => {
          setCamera(false);
          setType(null);
        }}
        onFail={onFail}
      />
    );
  }
  const simulated = reader.transport.source === 'simulator';
  return (
    <div class="document">
      <h2>{t(`kiosk.document.placeOnReader.${type}`)}</h2>
      <div class={`reader-illustration reader-${type}`} aria-hidden="true" />
      <p>{t(`kiosk.document.instructions.${type}`)}</p>
      <p class={`reader-status status-${status}`} role="status" aria-live="polite">
        {status === 'waiting' && (
          <>
            <span class="spinner" aria-hidden="true" />
            {t('kiosk.document.waiting')}
          </>
        )}
        {status === 'reading' && (
          <>
            <span class="spinner" aria-hidden="true" />
            {t('kiosk.document.reading')}
          </>
        )}
        {status === 'read' && t('kiosk.document.read')}
        {status === 'failed' && t('kiosk.document.failed')}
      </p>
      <div class="row">
        {status !== 'read' && (
          <button type="button" class="secondary" onClick={() => setType(null)}>
            {t('kiosk.document.other')}
          </button>
        )}
        {status !== 'read' && imageAllowed && (
          <button type="button" class="secondary" onClick={() => setCamera(true)}>
            {t('kiosk.document.camera.useCamera')}
          </button>
        )}
        {simulated && status !== 'read' && (
          <button
            type="button"
            class="secondary simulate"
            onClick={() =>
              void api.simulate(reader.id, { action: 'present', specimen: SPECIMENS[type] })
            }
          >
            {t('kiosk.document.simulate')}
          </button>
        )}
      </div>
    </div>
  );
}
