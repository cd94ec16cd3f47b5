/**
 * One review case: the verification's evidence side by side (the document's photo and its
 * portrait crop, the selfie frame, the signature render; each fetched from
 * GET /verifications/{id}/images/{name}, "not available" where the session has none or the
 * appliance does not serve it), every check with its outcome, score and reason code, and the
 * decision form: a resolution and a reason from the fixed list, an optional note (sealed by the
 * core, never shown again). Approving what the policy declined needs a second reviewer (four
 * eyes): the first decision waits, and its author cannot be the second.
 */
import { useEffect, useState } from 'preact/hooks';
import {
  CASE_REASON_CODES,
  CASE_RESOLUTIONS,
  type CaseDetail,
  type CaseResolution,
} from '../../contract/index.js';
import {
  assignCase,
  decideCase,
  getCase,
  getVerification,
  reasonCodes,
  verificationImage,
  type ReasonCodeInfo,
} from './api.js';
import { useConsole } from './console/context.js';
import { hashOf } from './console/router.js';
import { Feedback, Loaded, useAction, useLoad, When } from './console/ui.js';

/** The images a case shows, in order; the core serves those a session holds. */
export const EVIDENCE_IMAGES = ['document', 'portrait', 'selfie', 'signature'] as const;

export function CaseScreen({ id }: { id: string }) {
  const { t, api } = useConsole();
  const [load, reload] = useLoad((signal) => getCase(api, id, signal), [id]);
  const [codes] = useLoad((signal) => reasonCodes(api, signal), []);
  return (
    <>
      <h1>{t('staff.case.title', { id })}</h1>
      <p>
        <a href={hashOf('queue')}>{t('staff.case.back')}</a>
      </p>
      <Loaded load={load}>
        {(detail) => (
          <CaseBody
            detail={detail}
            codes={codes.state === 'ok' ? codes.value : new Map()}
            onChange={reload}
          />
        )}
      </Loaded>
    </>
  );
}

function CaseBody({
  detail,
  codes,
  onChange,
}: {
  detail: CaseDetail;
  codes: Map<string, ReasonCodeInfo>;
  onChange: () => void;
}) {
  const { t, i18n, api, session } = useConsole();
  const c = detail.case;
  const v = detail.verification;
  const [verification] = useLoad((signal) => getVerification(api, v.id, signal), [v.id]);
  const action = useAction();
  const mine = c.assignedTo === session.user.id;
  const assign = async () => {
    if (await action.run(() => assignCase(api, c.id, 'me'), 'staff.case.assignedToYou')) {
      onChange();
    }
  };
  return (
    <>
      <section aria-labelledby="case-summary">
        <h2 id="case-summary">{t('staff.case.summary')}</h2>
        <dl class="two-col">
          <div>
            <dt>{t('staff.case.status')}</dt>
            <dd>{t(`staff.caseStatus.${c.status}`)}</dd>
            <dt>{t('staff.case.policy')}</dt>
            <dd>{t(`staff.policyDecision.${c.policyDecision}`)}</dd>
            <dt>{t('staff.case.verification')}</dt>
            <dd>
              <code>{v.id}</code> · {t(`staff.verificationStatus.${v.status}`)}
            </dd>
            <dt>{t('staff.case.risk')}</dt>
            <dd>{v.riskScore === null ? '—' : i18n.formatNumber(v.riskScore)}</dd>
            <dt>{t('staff.case.where')}</dt>
            <dd class="case-where">
              {v.kiosk === null ? (
                t('staff.case.remote')
              ) : (
                <>
                  {v.kiosk.location
                    ? t('staff.case.kioskAt', { name: v.kiosk.name, location: v.kiosk.location })
                    : v.kiosk.name}{' '}
                  (<code>{v.kiosk.id}</code>)
                </>
              )}
              {v.simulated && (
                <>
                  {' '}
                  <span class="badge simulated">{t('staff.case.simulated')}</span>
                </>
              )}
            </dd>
          </div>
          <div>
            <dt>{t('staff.case.opened')}</dt>
            <dd>
              <When at={c.createdAt} />
            </dd>
            <dt>{t('staff.case.due')}</dt>
            <dd>
              <When at={c.dueAt} />{' '}
              {c.overdue && <span class="badge overdue">{t('staff.queue.overdue')}</span>}
            </dd>
            <dt>{t('staff.case.assignee')}</dt>
            <dd>
              {c.assignedTo === null
                ? t('staff.queue.unassigned')
                : mine
                  ? t('staff.queue.me')
                  : c.assignedTo}
            </dd>
            <dt>{t('staff.case.document')}</dt>
            <dd>
              {verification.state === 'ok' && verification.value.document
                ? t('staff.case.documentSummary', {
                    kind: verification.value.document.format ?? verification.value.document.kind,
                    state: verification.value.document.issuingState ?? '—',
                    number: verification.value.document.documentNumberMasked ?? '—',
                  })
                : '—'}
            </dd>
          </div>
        </dl>
        {c.needsSecondReviewer && <p class="notice">{t('staff.case.fourEyesExplained')}</p>}
        {c.status !== 'decided' && !mine && (
          <button
            type="button"
            class="assign-me"
            onClick={() => void assign()}
            disabled={action.busy}
          >
            {t('staff.queue.assignToMe')}
          </button>
        )}
      </section>

      <section aria-labelledby="evidence">
        <h2 id="evidence">{t('staff.case.evidence')}</h2>
        <div class="evidence">
          {EVIDENCE_IMAGES.map((name) => (
            <Evidence key={name} verificationId={v.id} name={name} />
          ))}
        </div>
      </section>

      <section aria-labelledby="checks">
        <h2 id="checks">{t('staff.case.checks')}</h2>
        <table>
          <thead>
            <tr>
              <th scope="col">{t('staff.case.check')}</th>
              <th scope="col">{t('staff.case.outcome')}</th>
              <th scope="col">{t('staff.case.score')}</th>
              <th scope="col">{t('staff.case.reasonCode')}</th>
            </tr>
          </thead>
          <tbody>
            {v.checks.map((check) => (
              <tr key={check.check}>
                <td>
                  <code>{check.check}</code>
                </td>
                <td>
                  <span class={`badge ${check.outcome}`}>
                    {t(`staff.checkOutcome.${check.outcome}`, { defaultValue: check.outcome })}
                  </span>
                </td>
                <td>
                  {check.score === undefined
                    ? '—'
                    : i18n.formatNumber(check.score, { maximumFractionDigits: 3 })}
                </td>
                <td>
                  {check.reasonCode === null ? (
                    '—'
                  ) : (
                    <ReasonCode code={check.reasonCode} codes={codes} />
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
        <h3>{t('staff.case.policyReasons')}</h3>
        <ul>
          {c.policyReasons.map((code) => (
            <li key={code}>
              <ReasonCode code={code} codes={codes} />
            </li>
          ))}
        </ul>
      </section>

      <Feedback message={action.message} />
      <Decision detail={detail} onDecided={onChange} />
    </>
  );
}

/** A reason code with the catalogue's guidance for staff (English: the catalogue's language). */
function ReasonCode({ code, codes }: { code: string; codes: Map<string, ReasonCodeInfo> }) {
  const info = codes.get(code);
  return (
    <>
      <code>{code}</code>
      {info && (
        <span class="muted" lang="en">
          {' '}
          — {info.staff}
        </span>
      )}
    </>
  );
}

function Evidence({ verificationId, name }: { verificationId: string; name: string }) {
  const { t } = useConsole();
  const [url, setUrl] = useState<string | null | undefined>(undefined);
  useEffect(() => {
    const controller = new AbortController();
    let made: string | null = null;
    verificationImage(verificationId, name, controller.signal).then(
      (value) => {
        made = value;
        setUrl(value);
      },
      () => setUrl(null),
    );
    return () => {
      controller.abort();
      if (made) URL.revokeObjectURL(made);
    };
  }, [verificationId, name]);
  const label = t(`staff.case.images.${name}`);
  return (
    <figure>
      <figcaption>{label}</figcaption>
      {url === undefined && <p class="muted">{t('common.loading')}</p>}
      {url === null && <p class="muted">{t('staff.case.noImage')}</p>}
      {url && <img src={url} alt={label} />}
    </figure>
  );
}

function Decision({ detail, onDecided }: { detail: CaseDetail; onDecided: () => void }) {
  const { t, api, session } = useConsole();
  const c = detail.case;
  const [resolution, setResolution] = useState<CaseResolution>('approved');
  const [reason, setReason] = useState<string>(CASE_REASON_CODES.approved[0]);
  const [note, setNote] = useState('');
  const action = useAction();
  if (c.status === 'decided') {
    return (
      <section aria-labelledby="decision">
        <h2 id="decision">{t('staff.case.decision')}</h2>
        <p>
          {t('staff.case.decidedAs', {
            resolution: t(`staff.resolved.${c.resolution ?? 'approved'}`),
            reason: t(`staff.caseReason.${c.reasonCode ?? ''}`, {
              defaultValue: c.reasonCode ?? '',
            }),
          })}{' '}
          <When at={c.decidedAt} />
        </p>
      </section>
    );
  }
  const waitingForMe =
    c.status === 'awaiting_second' && c.firstDecision?.by === `staff:${session.user.id}`;
  const submit = async (event: Event) => {
    event.preventDefault();
    const decided = await action.run(
      () =>
        decideCase(api, c.id, {
          resolution,
          reasonCode: reason,
          ...(note.trim() ? { note: note.trim() } : {}),
        }),
      t('staff.case.decisionRecorded'),
    );
    if (decided) {
      setNote('');
      onDecided();
    }
  };
  return (
    <section aria-labelledby="decision">
      <h2 id="decision">{t('staff.case.decision')}</h2>
      {c.firstDecision && (
        <p class="notice">
          {t('staff.case.firstDecision', {
            resolution: t(`staff.resolved.${c.firstDecision.resolution}`),
            reason: t(`staff.caseReason.${c.firstDecision.reasonCode}`, {
              defaultValue: c.firstDecision.reasonCode,
            }),
          })}
        </p>
      )}
      {waitingForMe ? (
        <p>{t('staff.case.waitingForSecond')}</p>
      ) : (
        <form class="stack" onSubmit={(e) => void submit(e)}>
          <fieldset>
            <legend>{t('staff.case.resolution')}</legend>
            <div class="row">
              {CASE_RESOLUTIONS.map((r) => (
                <label key={r} class="check">
                  <input
                    type="radio"
                    name="resolution"
                    value={r}
                    checked={resolution === r}
                    onChange={() => {
                      setResolution(r);
                      setReason(CASE_REASON_CODES[r][0]);
                    }}
                  />
                  <span>{t(`staff.resolution.${r}`)}</span>
                </label>
              ))}
            </div>
          </fieldset>
          <label class="field">
            <span>{t('staff.case.reason')}</span>
            <select
              name="reasonCode"
              value={reason}
              onChange={(e) => setReason(e.currentTarget.value)}
            >
              {CASE_REASON_CODES[resolution].map((code) => (
                <option key={code} value={code}>
                  {t(`staff.caseReason.${code}`)}
                </option>
              ))}
            </select>
          </label>
          <label class="field">
            <span>{t('staff.case.note')}</span>
            <textarea
              name="note"
              rows={3}
              maxLength={2000}
              value={note}
              onInput={(e) => setNote(e.currentTarget.value)}
            />
            <span class="muted">{t('staff.case.noteHint')}</span>
          </label>
          {c.needsSecondReviewer && resolution === 'approved' && (
            <p class="muted">{t('staff.case.needsSecond')}</p>
          )}
          <div class="row">
            <button type="submit" disabled={action.busy}>
              {t('staff.case.submitDecision')}
            </button>
          </div>
        </form>
      )}
      <Feedback message={action.message} />
    </section>
  );
}
