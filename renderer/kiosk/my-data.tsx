/**
 * "My data" at the kiosk (PRIV-3): the End-User files a data-subject request for themselves. They
 * choose what they want, give their customer reference, prove they are that subject by an
 * authentication session on this kiosk (consent for `authentication`, one signature compared
 * with their enrolment), and the request is filed with that session as the identity proof
 * (`identity.method = authentication`; the core checks it is an approved authentication of this
 * subject, decided in the last 30 minutes, on this kiosk). A proof that does not hold files
 * nothing. The answer shown is the core's: the request's number, dates, status and what happens
 * next; the reference typed is dropped once it has been used, and the idle wipe of the kiosk
 * clears the rest.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import type {
  IdentityUnverifiedRule,
  ConsentPurpose,
  Device,
  PrivacyRequestCreate,
  PrivacyRequestDto,
  PrivacyRequestType,
} from '../../contract/index.js';
import { ApiProblem } from '../shared/api.js';
import type { Language, Translator } from '../shared/i18n/index.js';
import type { KioskApi, Session } from './api.js';
import { Privacy } from './app.js';
import { Ink, screenDevice } from './ink.js';
import { myDataText, type MyDataKey } from './my-data-strings.js';
import { recordConsent } from './privacy.js';
import { SignaturePad, simulateSigning } from './signature-pad.js';

/** The request types the End-User files at the kiosk (a correction needs a person: see below). */
export const KIOSK_REQUEST_TYPES = [
  'access',
  'portability',
  'deletion',
  'restriction',
  'objection',
  'consent_withdrawal',
] as const satisfies readonly PrivacyRequestType[];
type KioskRequestType = (typeof KIOSK_REQUEST_TYPES)[number];

/** What each purpose-naming type may name (contract: OBJECTION_PURPOSES, WITHDRAWABLE_PURPOSES). */
const PURPOSES: Readonly<Partial<Record<KioskRequestType, readonly string[]>>> = {
  objection: ['data_sharing', 'service_improvement'],
  consent_withdrawal: ['biometric_processing', 'authentication', 'data_sharing'],
};

/** The consent an authentication session asks for (server/privacy/consent.ts purposeOfSession). */
const AUTHENTICATION_PURPOSES: readonly ConsentPurpose[] = ['authentication'];

/** How often the kiosk asks again while staff check a signature sent to review, ms. */
const REVIEW_POLL_MS = 3000;
/** How long it waits for them (the core takes an authentication for 30 minutes), ms. */
const REVIEW_WAIT_MS = 10 * 60_000;

/** The refusal that may still turn: staff have not decided the authentication yet. */
const PENDING_RULE: IdentityUnverifiedRule = 'authentication_in_review';

const SUBJECT_REFERENCE = /^sub_[0-9a-hjkmnp-tv-z]{26}$/;

type Step =
  | { name: 'choose' }
  | { name: 'correction' }
  | { name: 'purposes' }
  | { name: 'reference' }
  | { name: 'consent' }
  | { name: 'sign' }
  | { name: 'checking' }
  | { name: 'waiting' }
  | { name: 'filing' }
  | { name: 'refused' }
  | { name: 'error'; limit: boolean }
  | { name: 'filed'; request: PrivacyRequestDto };

const TITLE: Record<Step['name'], MyDataKey> = {
  choose: 'chooseTitle',
  correction: 'type.correction',
  purposes: 'purposesTitle',
  reference: 'referenceTitle',
  consent: 'consentTitle',
  sign: 'signTitle',
  checking: 'checking',
  waiting: 'checking',
  filing: 'filing',
  refused: 'refusedTitle',
  error: 'errorTitle',
  filed: 'filedTitle',
};

export interface MyDataProps {
  i18n: Translator;
  api: KioskApi;
  language: Language;
  pad: Device | null;
  token: () => string;
  /** Leave: the kiosk wipes everything and shows its welcome. */
  onDone: () => void;
}

/** The entry on the kiosk's welcome screen. */
export function MyDataEntry({ language, onOpen }: { language: Language; onOpen: () => void }) {
  return (
    <button type="button" class="secondary my-data-entry" onClick={onOpen}>
      {myDataText(language, 'entry')}
    </button>
  );
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export function MyData({ i18n, api, language, pad, token, onDone }: MyDataProps) {
  const text = (key: MyDataKey) => myDataText(language, key);
  const [step, setStep] = useState<Step>({ name: 'choose' });
  const [type, setType] = useState<KioskRequestType>('access');
  const [purposes, setPurposes] = useState<string[]>([]);
  const [reference, setReference] = useState('');
  const [invalid, setInvalid] = useState(false);
  const [signedEmpty, setSignedEmpty] = useState(true);
  const heading = useRef<HTMLHeadingElement>(null);
  const ink = useRef(new Ink(screenDevice(1, 1)));
  // The subject and the session proving it: in memory only, dropped once the request is filed.
  const subject = useRef<string | null>(null);
  const session = useRef<Session | null>(null);
  const alive = useRef(true);

  useEffect(() => {
    alive.current = true;
    return () => {
      alive.current = false;
      ink.current.clear();
      subject.current = null;
      session.current = null;
    };
  }, []);
  useEffect(() => {
    heading.current?.focus();
  }, [step.name]);

  const go = (next: Step) => {
    if (alive.current) setStep(next);
  };

  /** Files the request with the authentication as proof; null: the proof does not hold (yet). */
  /** The filed request; `pending` while staff review the authentication; null when refused. */
  const file = async (): Promise<PrivacyRequestDto | 'pending' | null> => {
    const subjectId = subject.current;
    const verificationId = session.current?.id;
    if (subjectId === null || verificationId === undefined) return null;
    const base = {
      subjectId,
      identity: { method: 'authentication' as const, verificationId },
    };
    const body: PrivacyRequestCreate =
      type === 'objection'
        ? { type, ...base, purposes: purposes as ('data_sharing' | 'service_improvement')[] }
        : type === 'consent_withdrawal'
          ? { type, ...base, purposes: purposes as ConsentPurpose[] }
          : { type, ...base };
    try {
      return await api.client.post<PrivacyRequestDto>('/api/v1/privacy/requests', body);
    } catch (error) {
      if (error instanceof ApiProblem && error.code === 'identity_unverified') {
        return error.rule === PENDING_RULE ? 'pending' : null;
      }
      throw error;
    }
  };

  const filed = (request: PrivacyRequestDto) => {
    subject.current = null;
    session.current = null;
    go({ name: 'filed', request });
  };

  const failed = (error: unknown) => {
    const limit = error instanceof ApiProblem && error.code === 'privacy_request_limit';
    go({ name: 'error', limit });
  };

  /** After submit: approved files at once; in review, asks again until staff decide. */
  const afterDecision = async (decided: Session) => {
    try {
      if (decided.decision === 'approved') {
        go({ name: 'filing' });
        const request = await file();
        return request === null || request === 'pending' ? go({ name: 'refused' }) : filed(request);
      }
      if (decided.decision !== 'review') return go({ name: 'refused' });
      go({ name: 'waiting' });
      const until = Date.now() + REVIEW_WAIT_MS;
      while (alive.current && Date.now() < until) {
        await sleep(REVIEW_POLL_MS);
        if (!alive.current) return;
        const request = await file();
        // Staff declined it (or it cannot prove identity for another final reason): the
        // outcome now, not after the wait.
        if (request === null) return go({ name: 'refused' });
        if (request !== 'pending') return filed(request);
      }
      go({ name: 'refused' });
    } catch (error) {
      failed(error);
    }
  };

  const startProof = async (
    consent: Parameters<typeof recordConsent>[2],
    release: { signature: unknown; deviceId?: string | undefined },
  ) => {
    try {
      const started = await api.client.post<Session>('/api/v1/verifications', {
        kind: 'authentication',
        subjectId: subject.current,
      });
      session.current = await recordConsent(api, started.id, consent, language, release);
      go({ name: 'sign' });
    } catch (error) {
      // No such subject, or one that cannot be authenticated (no enrolment, declined,
      // restricted): the proof cannot be made here.
      if (error instanceof ApiProblem && (error.status === 404 || error.status === 422)) {
        return go({ name: 'refused' });
      }
      failed(error);
    }
  };

  const sendSignature = async () => {
    const current = session.current;
    if (current === null) return go({ name: 'refused' });
    const signature = ink.current.toJson();
    ink.current.clear();
    go({ name: 'checking' });
    try {
      const signed = await api.signatures(current.id, [signature], pad?.id);
      session.current = signed;
      const decided = await api.submit(signed.id);
      session.current = decided;
      await afterDecision(decided);
    } catch (error) {
      if (error instanceof ApiProblem && error.status === 422) return go({ name: 'refused' });
      failed(error);
    }
  };

  const busy = step.name === 'checking' || step.name === 'waiting' || step.name === 'filing';
  const ended = step.name === 'filed' || step.name === 'refused' || step.name === 'error';

  return (
    <div class="my-data" data-step={step.name}>
      <h1 ref={heading} tabIndex={-1}>
        {step.name === 'choose' ? text('title') : text(TITLE[step.name])}
      </h1>

      {step.name === 'choose' && (
        <fieldset class="choices">
          <legend>{text('chooseLead')}</legend>
          {KIOSK_REQUEST_TYPES.map((t) => (
            <button
              key={t}
              type="button"
              class="choice"
              onClick={() => {
                setType(t);
                setPurposes([]);
                go({ name: PURPOSES[t] ? 'purposes' : 'reference' });
              }}
            >
              {text(`type.${t}`)}
            </button>
          ))}
          <button type="button" class="choice" onClick={() => go({ name: 'correction' })}>
            {text('type.correction')}
          </button>
        </fieldset>
      )}

      {step.name === 'correction' && (
        <>
          <p class="lead">{text('correctionDesk')}</p>
          <div class="row actions">
            <button type="button" class="secondary" onClick={() => go({ name: 'choose' })}>
              {text('back')}
            </button>
            <button type="button" class="primary-action" onClick={onDone}>
              {text('finish')}
            </button>
          </div>
        </>
      )}

      {step.name === 'purposes' && (
        <form
          onSubmit={(event) => {
            event.preventDefault();
            if (purposes.length > 0) go({ name: 'reference' });
          }}
        >
          <fieldset class="choices my-data-purposes">
            <legend>{text(`type.${type}`)}</legend>
            {(PURPOSES[type] ?? []).map((purpose) => (
              <label key={purpose} class="my-data-check">
                <input
                  type="checkbox"
                  checked={purposes.includes(purpose)}
                  onChange={(e) =>
                    setPurposes(
                      e.currentTarget.checked
                        ? [...purposes, purpose]
                        : purposes.filter((p) => p !== purpose),
                    )
                  }
                />
                <span>{text(`purpose.${purpose}` as MyDataKey)}</span>
              </label>
            ))}
          </fieldset>
          {purposes.length === 0 && <p class="muted">{text('purposesNone')}</p>}
          <div class="row actions">
            <button type="button" class="secondary" onClick={() => go({ name: 'choose' })}>
              {text('back')}
            </button>
            <button type="submit" class="primary-action" disabled={purposes.length === 0}>
              {text('continue')}
            </button>
          </div>
        </form>
      )}

      {step.name === 'reference' && (
        <form
          class="setup"
          onSubmit={(event) => {
            event.preventDefault();
            const value = reference.trim().toLowerCase();
            if (!SUBJECT_REFERENCE.test(value)) return setInvalid(true);
            subject.current = value;
            setReference('');
            setInvalid(false);
            go({ name: 'consent' });
          }}
        >
          <p>{text('referenceLead')}</p>
          <label for="my-data-reference">{text('referenceLabel')}</label>
          <input
            id="my-data-reference"
            type="text"
            autoComplete="off"
            autoCapitalize="off"
            spellcheck={false}
            value={reference}
            aria-invalid={invalid}
            aria-describedby={invalid ? 'my-data-reference-error' : undefined}
            onInput={(e) => setReference(e.currentTarget.value)}
          />
          {invalid && (
            <p id="my-data-reference-error" class="error" role="alert">
              {text('referenceInvalid')}
            </p>
          )}
          <div class="row actions">
            <button type="button" class="secondary" onClick={() => go({ name: 'choose' })}>
              {text('back')}
            </button>
            <button type="submit" class="primary-action">
              {text('continue')}
            </button>
          </div>
        </form>
      )}

      {step.name === 'consent' && (
        <Privacy
          i18n={i18n}
          api={api}
          language={language}
          pad={pad}
          token={token}
          purposes={AUTHENTICATION_PURPOSES}
          onDecline={onDone}
          onAccept={startProof}
        />
      )}

      {step.name === 'sign' && (
        <div class="signatures">
          <p>{text('signLead')}</p>
          <SignaturePad
            i18n={i18n}
            ink={ink.current}
            pad={pad}
            token={token}
            onChange={setSignedEmpty}
            onSimulate={simulateSigning(api, pad)}
          />
          <div class="row actions">
            <button
              type="button"
              class="primary-action"
              disabled={signedEmpty}
              onClick={() => void sendSignature()}
            >
              {text('signDone')}
            </button>
          </div>
        </div>
      )}

      <p class={busy ? 'busy' : undefined} role="status" aria-live="polite">
        {busy && <span class="spinner" aria-hidden="true" />}
        {step.name === 'checking' && text('checking')}
        {step.name === 'waiting' && text('waitingStaff')}
        {step.name === 'filing' && text('filing')}
      </p>

      {step.name === 'refused' && (
        <div class="outcome staff">
          <div class="outcome-mark" aria-hidden="true" />
          <p>{text('refusedBody')}</p>
        </div>
      )}
      {step.name === 'error' && (
        <div class="outcome staff">
          <div class="outcome-mark" aria-hidden="true" />
          <p>{step.limit ? text('limitBody') : text('errorBody')}</p>
        </div>
      )}
      {step.name === 'filed' && <Filed i18n={i18n} language={language} request={step.request} />}

      {ended ? (
        <button type="button" class="primary-action" onClick={onDone}>
          {text('finish')}
        </button>
      ) : (
        step.name !== 'correction' &&
        step.name !== 'consent' && (
          <button type="button" class="secondary cancel" onClick={onDone}>
            {text('cancel')}
          </button>
        )
      )}
    </div>
  );
}

/** The core's answer: the request's number, its dates and status, and what happens next. */
function Filed({
  i18n,
  language,
  request,
}: {
  i18n: Translator;
  language: Language;
  request: PrivacyRequestDto;
}) {
  const text = (key: MyDataKey) => myDataText(language, key);
  const completed = request.status === 'completed';
  const next: MyDataKey =
    request.type === 'access' || request.type === 'portability'
      ? `next.${request.type}`
      : !completed
        ? 'next.open'
        : request.type === 'deletion' && request.retained.length > 0
          ? 'next.deletionRetained'
          : request.type === 'correction'
            ? 'next.open'
            : `next.${request.type}`;
  return (
    <div class="outcome verified">
      <div class="outcome-mark" aria-hidden="true" />
      <dl class="retention my-data-receipt">
        <div>
          <dt>{text('referenceNumber')}</dt>
          <dd>
            <code>{request.id}</code>
          </dd>
        </div>
        <div>
          <dt>{text('receivedOn')}</dt>
          <dd>{i18n.formatDate(request.receivedAt)}</dd>
        </div>
        <div>
          <dt>{text('dueBy')}</dt>
          <dd>{i18n.formatDate(request.dueAt)}</dd>
        </div>
        <div>
          <dt>{text('status')}</dt>
          <dd>{text(`status.${request.status}`)}</dd>
        </div>
      </dl>
      <p class="lead">{text(next)}</p>
      <p>{text('writeDown')}</p>
    </div>
  );
}
