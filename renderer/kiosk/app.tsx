/**
 * The kiosk (UI-1): language, the retention schedule and consent signed on the pad (or the
 * screen), the document on the reader, the selfie with its liveness challenge, the signatures,
 * and an outcome without scores. The session lives in this component's state only: finishing,
 * declining or walking away (the idle timeout) wipes it, and nothing personal is ever written to
 * storage.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import type { ConsentPurpose, Device, SelfieCapture } from '../../contract/index.js';
import { ApiProblem } from '../shared/api.js';
import { LANGUAGES, LANGUAGE_NAMES, type Language, type Translator } from '../shared/i18n/index.js';
import { kioskApi, type KioskApi, type Session } from './api.js';
import { DocumentStep } from './document-step.js';
import { Ink, screenDevice } from './ink.js';
import { MyData, MyDataEntry } from './my-data.js';
import {
  loadConsentText,
  loadRetentionSchedule,
  recordConsent,
  type ConsentText,
  type RetentionSchedule,
} from './privacy.js';
import { SelfieStep } from './selfie.js';
import { SignaturePad, simulateSigning } from './signature-pad.js';
import { forgetKioskToken, isKioskToken, loadKioskToken, saveKioskToken } from './token.js';

/** How many signatures an identity enrols (the core takes 3-5). */
const ENROL_SIGNATURES = 3;
/** How many selfie bursts a session may take before a person helps. */
const SELFIE_ATTEMPTS = 2;
/** The warning before an idle screen is wiped, seconds. */
const IDLE_WARNING_SECONDS = 15;

type Screen =
  | { name: 'setup'; rejected: boolean }
  | { name: 'welcome' }
  | { name: 'privacy' }
  | { name: 'document' }
  | { name: 'selfie'; notice: string | null }
  | { name: 'uploading' }
  | { name: 'signature' }
  | { name: 'checking' }
  | { name: 'outcome'; verified: boolean }
  | { name: 'myData' };

const STEP_OF: Partial<Record<Screen['name'], number>> = {
  privacy: 0,
  document: 1,
  selfie: 2,
  uploading: 2,
  signature: 3,
};
const STEP_NAMES = ['consent', 'document', 'selfie', 'signature'] as const;

export interface KioskAppProps {
  i18n: Translator;
  defaultLanguage: Language;
  /** Seconds without a touch before the warning (default 90; `?idle=` on the page URL). */
  idleSeconds: number;
}

interface Devices {
  reader: Device | null;
  pad: Device | null;
  simulated: boolean;
}

const connected = (items: Device[], kind: Device['kind']) =>
  items.find((d) => d.kind === kind && d.state === 'connected') ?? null;

export function KioskApp({ i18n, defaultLanguage, idleSeconds }: KioskAppProps) {
  const token = useRef<string | null>(loadKioskToken());
  const api = useRef<KioskApi>(kioskApi(() => token.current ?? ''));
  const [language, setLanguageState] = useState<Language>(i18n.language);
  const [screen, setScreen] = useState<Screen>(
    token.current === null ? { name: 'setup', rejected: false } : { name: 'welcome' },
  );
  const [devices, setDevices] = useState<Devices>({ reader: null, pad: null, simulated: false });
  // The session: kept in memory only, dropped by wipe().
  const [session, setSession] = useState<Session | null>(null);
  const [epoch, setEpoch] = useState(0);
  const selfieAttempts = useRef(0);
  const signed = useRef(false);
  const [idleLeft, setIdleLeft] = useState<number | null>(null);
  const heading = useRef<HTMLHeadingElement>(null);
  const { t } = i18n;

  const setLanguage = async (next: Language) => {
    await i18n.setLanguage(next);
    setLanguageState(next);
  };

  const refreshDevices = async (): Promise<boolean> => {
    try {
      const list = await api.current.devices();
      setDevices({
        reader: connected(list.items, 'reader'),
        pad: connected(list.items, 'pad'),
        simulated: list.items.some((d) => d.transport.source === 'simulator'),
      });
      return true;
    } catch (error) {
      if (error instanceof ApiProblem && error.status === 401) {
        forgetKioskToken();
        token.current = null;
        setScreen({ name: 'setup', rejected: true });
        return false;
      }
      setDevices({ reader: null, pad: null, simulated: false });
      return true;
    }
  };

  useEffect(() => {
    if (token.current !== null) void refreshDevices();
  }, []);

  /** Ends the session on screen: everything the customer gave is dropped from the page. */
  const wipe = () => {
    setSession(null);
    selfieAttempts.current = 0;
    signed.current = false;
    setIdleLeft(null);
    setEpoch((e) => e + 1);
    setScreen(token.current === null ? { name: 'setup', rejected: false } : { name: 'welcome' });
    void setLanguage(defaultLanguage);
  };

  // Move focus to the screen's heading so a screen reader announces the new step.
  useEffect(() => {
    heading.current?.focus();
  }, [screen.name, epoch]);

  // The idle timeout: a warning after idleSeconds without a touch, then the wipe.
  useEffect(() => {
    // Not while the core works on what was given (the person is waiting for the kiosk).
    const waiting = ['setup', 'welcome', 'uploading', 'checking'];
    if (waiting.includes(screen.name)) return;
    let warnAt = Date.now() + idleSeconds * 1000;
    const touched = () => {
      warnAt = Date.now() + idleSeconds * 1000;
      setIdleLeft(null);
    };
    const events = ['pointerdown', 'keydown', 'touchstart'] as const;
    for (const e of events) document.addEventListener(e, touched, { passive: true });
    const id = setInterval(() => {
      const overdue = Date.now() - warnAt;
      if (overdue < 0) return;
      const left = IDLE_WARNING_SECONDS - Math.floor(overdue / 1000);
      if (left <= 0) wipe();
      else setIdleLeft(left);
    }, 250);
    return () => {
      clearInterval(id);
      for (const e of events) document.removeEventListener(e, touched);
    };
  }, [screen.name, epoch, idleSeconds]);

  const fail = () => setScreen({ name: 'outcome', verified: false });

  const submit = async (id: string) => {
    setScreen({ name: 'checking' });
    try {
      const decided = await api.current.submit(id);
      setSession(decided);
      if (decided.decision === 'approved') return setScreen({ name: 'outcome', verified: true });
      const livenessRetry =
        decided.decision === 'resubmission_requested' &&
        selfieAttempts.current < SELFIE_ATTEMPTS &&
        decided.reasons.some((r) => r.startsWith('liveness') || r.startsWith('face'));
      if (livenessRetry) return setScreen({ name: 'selfie', notice: t('kiosk.selfie.retry') });
      setScreen({ name: 'outcome', verified: false });
    } catch {
      fail();
    }
  };

  const onSelfie = async (capture: SelfieCapture) => {
    if (session === null) return fail();
    selfieAttempts.current += 1;
    setScreen({ name: 'uploading' });
    try {
      const updated = await api.current.selfie(session.id, capture);
      setSession(updated);
      if (signed.current) await submit(updated.id);
      else setScreen({ name: 'signature' });
    } catch (error) {
      // No usable face, or the face engine busy with other kiosks: one more burst.
      const retry =
        error instanceof ApiProblem &&
        (error.code === 'invalid_media' || error.code === 'unavailable') &&
        selfieAttempts.current < SELFIE_ATTEMPTS;
      if (retry) setScreen({ name: 'selfie', notice: t('kiosk.selfie.guidance.noFace') });
      else fail();
    } finally {
      capture.frames.length = 0;
    }
  };

  const titleKey: Record<Screen['name'], string> = {
    setup: 'kiosk.setup.title',
    welcome: 'kiosk.welcome.title',
    privacy: 'kiosk.privacy.title',
    document: 'kiosk.document.title',
    selfie: 'kiosk.selfie.title',
    uploading: 'kiosk.selfie.title',
    signature: 'kiosk.signature.title',
    checking: 'kiosk.outcome.checking',
    outcome:
      screen.name === 'outcome' && screen.verified
        ? 'kiosk.outcome.verified'
        : 'kiosk.outcome.staff',
    myData: '',
  };
  const step = STEP_OF[screen.name];

  return (
    <div class="kiosk" key={epoch} data-screen={screen.name}>
      {devices.simulated && (
        <p class="notice-simulated" role="note">
          {t('common.simulated')}
        </p>
      )}
      <header class="kiosk-header">
        <span class="brand">{t('kiosk.title')}</span>
        {step !== undefined && (
          <nav aria-label={t('kiosk.steps.label')}>
            <ol class="steps">
              {STEP_NAMES.map((name, i) => (
                <li
                  key={name}
                  class={i < step ? 'done' : i === step ? 'current' : ''}
                  aria-current={i === step ? 'step' : undefined}
                >
                  <span class="visually-hidden">
                    {t('kiosk.steps.position', {
                      current: i + 1,
                      total: STEP_NAMES.length,
                      name: t(`kiosk.steps.${name}`),
                    })}
                  </span>
                  <span aria-hidden="true">{t(`kiosk.steps.${name}`)}</span>
                </li>
              ))}
            </ol>
          </nav>
        )}
      </header>
      <main class="kiosk-main">
        {screen.name !== 'myData' && (
          <h1 ref={heading} tabIndex={-1}>
            {t(titleKey[screen.name])}
          </h1>
        )}
        {screen.name === 'setup' && (
          <Setup
            i18n={i18n}
            rejected={screen.rejected}
            onToken={async (value) => {
              token.current = value;
              saveKioskToken(value);
              if (await refreshDevices()) setScreen({ name: 'welcome' });
            }}
          />
        )}
        {screen.name === 'welcome' && (
          <Welcome
            i18n={i18n}
            language={language}
            onLanguage={(l) => void setLanguage(l)}
            onStart={() => {
              void refreshDevices();
              setScreen({ name: 'privacy' });
            }}
          />
        )}
        {screen.name === 'welcome' && (
          <MyDataEntry
            language={language}
            onOpen={() => {
              void refreshDevices();
              setScreen({ name: 'myData' });
            }}
          />
        )}
        {screen.name === 'myData' && (
          <MyData
            i18n={i18n}
            api={api.current}
            language={language}
            pad={devices.pad}
            token={() => token.current ?? ''}
            onDone={wipe}
          />
        )}
        {screen.name === 'privacy' && (
          <Privacy
            i18n={i18n}
            api={api.current}
            language={language}
            pad={devices.pad}
            token={() => token.current ?? ''}
            onDecline={wipe}
            onAccept={async (text, signature) => {
              try {
                const started = await api.current.start();
                const consented = await recordConsent(
                  api.current,
                  started.id,
                  text,
                  language,
                  signature,
                );
                setSession(consented);
                setScreen({ name: 'document' });
              } catch {
                fail();
              }
            }}
          />
        )}
        {screen.name === 'document' && session && (
          <DocumentStep
            i18n={i18n}
            api={api.current}
            sessionId={session.id}
            reader={devices.reader}
            sources={session.documentSources}
            token={() => token.current ?? ''}
            onRead={(read) => {
              setSession(read);
              setScreen({ name: 'selfie', notice: null });
            }}
            onFail={fail}
          />
        )}
        {screen.name === 'selfie' && session && (
          <SelfieStep
            i18n={i18n}
            api={api.current}
            sessionId={session.id}
            notice={screen.notice}
            challenge={() => api.current.livenessChallenge(session.id)}
            onCaptured={(capture) => void onSelfie(capture)}
            onCameraError={fail}
            onFail={fail}
          />
        )}
        {(screen.name === 'uploading' || screen.name === 'checking') && (
          <p class="busy" role="status" aria-live="polite">
            <span class="spinner" aria-hidden="true" />
            {screen.name === 'uploading' ? t('kiosk.selfie.sending') : t('kiosk.outcome.checking')}
          </p>
        )}
        {screen.name === 'signature' && session && (
          <Signatures
            i18n={i18n}
            api={api.current}
            pad={devices.pad}
            token={() => token.current ?? ''}
            onDone={async (signatures, deviceId) => {
              try {
                const updated = await api.current.signatures(session.id, signatures, deviceId);
                signatures.length = 0;
                signed.current = true;
                setSession(updated);
                await submit(updated.id);
              } catch {
                fail();
              }
            }}
          />
        )}
        {screen.name === 'outcome' && (
          <div class={`outcome ${screen.verified ? 'verified' : 'staff'}`}>
            <div class="outcome-mark" aria-hidden="true" />
            <p>
              {screen.verified ? t('kiosk.outcome.verifiedBody') : t('kiosk.outcome.staffBody')}
            </p>
            <button type="button" class="primary-action" onClick={wipe}>
              {t('kiosk.outcome.finish')}
            </button>
          </div>
        )}
        {screen.name !== 'setup' &&
          screen.name !== 'welcome' &&
          screen.name !== 'outcome' &&
          screen.name !== 'myData' &&
          screen.name !== 'checking' &&
          screen.name !== 'uploading' && (
            <button type="button" class="secondary cancel" onClick={wipe}>
              {t('kiosk.cancel')}
            </button>
          )}
      </main>
      {idleLeft !== null && (
        <div class="idle-backdrop">
          <div class="idle" role="alertdialog" aria-modal="true" aria-labelledby="idle-warning">
            <p id="idle-warning">{t('kiosk.idle.warning', { count: idleLeft })}</p>
            <button
              type="button"
              class="primary-action"
              onClick={() => setIdleLeft(null)}
              autoFocus
            >
              {t('kiosk.idle.continue')}
            </button>
          </div>
        </div>
      )}
    </div>
  );
}

function Setup({
  i18n,
  rejected,
  onToken,
}: {
  i18n: Translator;
  rejected: boolean;
  onToken: (token: string) => Promise<void>;
}) {
  const { t } = i18n;
  const [value, setValue] = useState('');
  const [invalid, setInvalid] = useState(rejected);
  return (
    <form
      class="setup"
      onSubmit={(event) => {
        event.preventDefault();
        const token = value.trim();
        if (!isKioskToken(token)) return setInvalid(true);
        setValue('');
        void onToken(token);
      }}
    >
      <p>{t('kiosk.setup.body')}</p>
      <label for="kiosk-token">{t('kiosk.setup.label')}</label>
      <input
        id="kiosk-token"
        type="password"
        autoComplete="off"
        value={value}
        aria-invalid={invalid}
        aria-describedby={invalid ? 'kiosk-token-error' : undefined}
        onInput={(e) => setValue(e.currentTarget.value)}
      />
      {invalid && (
        <p id="kiosk-token-error" class="error" role="alert">
          {t('kiosk.setup.invalid')}
        </p>
      )}
      <button type="submit" class="primary-action">
        {t('kiosk.setup.submit')}
      </button>
    </form>
  );
}

function Welcome({
  i18n,
  language,
  onLanguage,
  onStart,
}: {
  i18n: Translator;
  language: Language;
  onLanguage: (language: Language) => void;
  onStart: () => void;
}) {
  const { t } = i18n;
  return (
    <div class="welcome">
      <p class="lead">{t('kiosk.welcome.lead')}</p>
      <fieldset class="choices languages">
        <legend>{t('kiosk.welcome.chooseLanguage')}</legend>
        {LANGUAGES.map((l) => (
          <button
            key={l}
            type="button"
            lang={l}
            class="choice"
            aria-pressed={l === language}
            onClick={() => onLanguage(l)}
          >
            {LANGUAGE_NAMES[l]}
          </button>
        ))}
      </fieldset>
      <button type="button" class="primary-action" onClick={onStart}>
        {t('kiosk.welcome.start')}
      </button>
    </div>
  );
}

export function Privacy({
  i18n,
  api,
  language,
  pad,
  token,
  purposes,
  onAccept,
  onDecline,
}: {
  i18n: Translator;
  api: KioskApi;
  language: Language;
  pad: Device | null;
  token: () => string;
  /** The consent purposes shown (default: an identity session's). */
  purposes?: readonly ConsentPurpose[];
  onAccept: (
    text: ConsentText,
    signature: { signature: unknown; deviceId?: string | undefined },
  ) => Promise<void>;
  onDecline: () => void;
}) {
  const { t } = i18n;
  const [schedule, setSchedule] = useState<RetentionSchedule | null | undefined>(undefined);
  const [text, setText] = useState<ConsentText | null | undefined>(undefined);
  const [empty, setEmpty] = useState(true);
  const [busy, setBusy] = useState(false);
  const ink = useRef(new Ink(screenDevice(1, 1)));
  useEffect(() => {
    void loadRetentionSchedule(api.client, language).then(setSchedule);
    void loadConsentText(api.client, language, purposes).then(setText);
  }, [language]);
  useEffect(() => () => ink.current.clear(), []);
  return (
    <div class="privacy">
      <section aria-labelledby="retention-title">
        <h2 id="retention-title">{t('kiosk.privacy.retentionTitle')}</h2>
        {schedule === undefined && <p>{t('common.loading')}</p>}
        {schedule === null && <p>{t('kiosk.privacy.retentionUnavailable')}</p>}
        {schedule && (
          <>
            <dl class="retention">
              {schedule.items.map((item, i) => (
                <div key={`${item.label}-${String(i)}`}>
                  <dt>{item.label}</dt>
                  <dd>
                    {item.days !== null ? (
                      t('kiosk.privacy.days', { count: item.days })
                    ) : item.period !== null ? (
                      <span lang="en">{item.period}</span>
                    ) : (
                      t('kiosk.privacy.forever')
                    )}
                    {item.description && <span class="muted"> · {item.description}</span>}
                  </dd>
                </div>
              ))}
            </dl>
            {schedule.backups && (
              <p class="muted" lang="en">
                {schedule.backups}
              </p>
            )}
            {schedule.publishedAt && (
              <p class="muted">
                {t('kiosk.privacy.retentionPublished', {
                  date: i18n.formatDate(schedule.publishedAt),
                })}
              </p>
            )}
          </>
        )}
      </section>
      <section aria-labelledby="consent-title">
        <h2 id="consent-title">{t('kiosk.privacy.consentTitle')}</h2>
        {text === undefined && <p>{t('common.loading')}</p>}
        {text === null && <p>{t('kiosk.privacy.consentUnavailable')}</p>}
        {text?.texts.map((shown) => (
          <div class="consent-text" key={shown.purpose}>
            <h3>{shown.title}</h3>
            {shown.body.split(/\n{2,}/).map((paragraph, i) => (
              <p key={i}>{paragraph}</p>
            ))}
          </div>
        ))}
        {text && (
          <p class="muted">{t('kiosk.privacy.consentVersion', { version: text.version })}</p>
        )}
        <h3>{t('kiosk.privacy.signToAccept')}</h3>
        <SignaturePad
          i18n={i18n}
          ink={ink.current}
          pad={pad}
          token={token}
          onChange={setEmpty}
          onSimulate={simulateSigning(api, pad)}
        />
      </section>
      <div class="row actions">
        <button type="button" class="secondary" onClick={onDecline}>
          {t('kiosk.privacy.decline')}
        </button>
        <button
          type="button"
          class="primary-action"
          disabled={empty || busy || !text}
          onClick={() => {
            if (!text) return;
            setBusy(true);
            const signature = ink.current.toJson();
            ink.current.clear();
            void onAccept(text, { signature, deviceId: pad?.id });
          }}
        >
          {t('kiosk.privacy.accept')}
        </button>
      </div>
    </div>
  );
}

function Signatures({
  i18n,
  api,
  pad,
  token,
  onDone,
}: {
  i18n: Translator;
  api: KioskApi;
  pad: Device | null;
  token: () => string;
  onDone: (signatures: Record<string, unknown>[], deviceId?: string) => Promise<void>;
}) {
  const { t } = i18n;
  const collected = useRef<Record<string, unknown>[]>([]);
  const [index, setIndex] = useState(0);
  const [empty, setEmpty] = useState(true);
  const [busy, setBusy] = useState(false);
  const ink = useRef(new Ink(screenDevice(1, 1)));
  useEffect(
    () => () => {
      ink.current.clear();
      collected.current.length = 0;
    },
    [],
  );
  const last = index === ENROL_SIGNATURES - 1;
  return (
    <div class="signatures">
      <p>{t('kiosk.signature.instructions', { count: ENROL_SIGNATURES })}</p>
      <p class="signature-progress" aria-live="polite">
        {t('kiosk.signature.progress', { current: index + 1, total: ENROL_SIGNATURES })}
      </p>
      <SignaturePad
        key={index}
        i18n={i18n}
        ink={ink.current}
        pad={pad}
        token={token}
        onChange={setEmpty}
        onSimulate={simulateSigning(api, pad)}
      />
      <div class="row actions">
        <button
          type="button"
          class="primary-action"
          disabled={empty || busy}
          onClick={() => {
            collected.current.push(ink.current.toJson());
            ink.current.clear();
            setEmpty(true);
            if (!last) return setIndex(index + 1);
            setBusy(true);
            void onDone(collected.current, pad?.id);
          }}
        >
          {last ? t('kiosk.signature.done') : t('kiosk.signature.next')}
        </button>
      </div>
    </div>
  );
}
