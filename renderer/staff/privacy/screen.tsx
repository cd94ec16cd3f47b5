/**
 * The privacy-request desk: the queue with deadlines (overdue flagged), an export's download
 * once ready, a deadline extension with a reason, and filing a request with the requester's
 * identity proof; a deletion asks for an explicit confirmation first. What staff type here goes
 * to the core only: nothing is kept in the browser.
 */
import { useState } from 'preact/hooks';
import { useConsole } from '../console/context.js';
import { Feedback, Loaded, useAction, useLoad, When } from '../console/ui.js';
import {
  EXTENSION_REASONS,
  REQUEST_TYPES,
  exportUrl,
  extendPrivacyRequest,
  filePrivacyRequest,
  listPrivacyRequests,
  type IdentityProof,
  type PrivacyRequest,
  type PrivacyRequestCreate,
} from './api.js';

export function PrivacyScreen() {
  const { t, api } = useConsole();
  const [load, reload] = useLoad((signal) => listPrivacyRequests(api, signal), [], {
    notFoundIsUnavailable: true,
  });
  return (
    <>
      <h1>{t('staff.privacy.title')}</h1>
      <Loaded load={load}>
        {(list) => (
          <>
            <p>{t('staff.privacy.overdue', { count: list.overdue })}</p>
            <RequestTable items={list.items} onChange={reload} />
            <FileRequest onFiled={reload} />
          </>
        )}
      </Loaded>
    </>
  );
}

function RequestTable({ items, onChange }: { items: PrivacyRequest[]; onChange: () => void }) {
  const { t, api, i18n } = useConsole();
  const action = useAction();
  const [reason, setReason] = useState<string>(EXTENSION_REASONS[0]);
  if (items.length === 0) return <p>{t('staff.privacy.empty')}</p>;
  const extend = async (id: string) => {
    if (await action.run(() => extendPrivacyRequest(api, id, reason), t('staff.privacy.extended')))
      onChange();
  };
  return (
    <section aria-labelledby="privacy-queue">
      <h2 id="privacy-queue">{t('staff.privacy.queue')}</h2>
      <label class="field">
        <span>{t('staff.privacy.extensionReason')}</span>
        <select
          name="extensionReason"
          value={reason}
          onChange={(e) => setReason(e.currentTarget.value)}
        >
          {EXTENSION_REASONS.map((r) => (
            <option key={r} value={r}>
              {t(`staff.privacy.extensionReasons.${r}`)}
            </option>
          ))}
        </select>
      </label>
      <table>
        <thead>
          <tr>
            <th scope="col">{t('staff.privacy.request')}</th>
            <th scope="col">{t('staff.privacy.type')}</th>
            <th scope="col">{t('staff.privacy.status')}</th>
            <th scope="col">{t('staff.privacy.due')}</th>
            <th scope="col">{t('staff.privacy.export')}</th>
            <th scope="col">
              <span class="visually-hidden">{t('staff.queue.actions')}</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {items.map((r) => (
            <tr key={r.id}>
              <td>
                <code>{r.id}</code>
              </td>
              <td>{t(`staff.privacy.types.${r.type}`, { defaultValue: r.type })}</td>
              <td>{t(`staff.privacy.statuses.${r.status}`, { defaultValue: r.status })}</td>
              <td>
                <When at={r.dueAt} />{' '}
                {r.overdue && <span class="badge overdue">{t('staff.queue.overdue')}</span>}
              </td>
              <td>
                {r.export ? (
                  <a href={exportUrl(r.id)} download>
                    {t('staff.privacy.download', {
                      size: i18n.formatNumber(Math.ceil(r.export.bytes / 1024)),
                    })}
                  </a>
                ) : r.progress !== null ? (
                  t('staff.privacy.progress', { progress: r.progress })
                ) : (
                  '—'
                )}
              </td>
              <td>
                {r.completedAt === null && r.extendedAt === null && (
                  <button
                    type="button"
                    class="small secondary"
                    aria-label={t('staff.privacy.extendRequest', { id: r.id })}
                    onClick={() => void extend(r.id)}
                  >
                    {t('staff.privacy.extend')}
                  </button>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <Feedback message={action.message} />
    </section>
  );
}

function FileRequest({ onFiled }: { onFiled: () => void }) {
  const { t, api } = useConsole();
  const action = useAction();
  const [type, setType] = useState<PrivacyRequestCreate['type']>('access');
  const [subjectId, setSubjectId] = useState('');
  const [method, setMethod] = useState<IdentityProof['method']>('authentication');
  const [proof, setProof] = useState('');
  const [confirmed, setConfirmed] = useState(false);
  const submit = async (event: Event) => {
    event.preventDefault();
    const identity: IdentityProof =
      method === 'authentication'
        ? { method, verificationId: proof.trim() }
        : method === 'document'
          ? { method, documentNumber: proof.trim() }
          : { method, evidence: proof.trim() };
    const input: PrivacyRequestCreate = {
      type,
      subjectId: subjectId.trim(),
      identity,
      ...(type === 'objection' ? { purposes: ['data_sharing'] } : {}),
      ...(type === 'consent_withdrawal' ? { purposes: ['biometric_processing'] } : {}),
    };
    if (await action.run(() => filePrivacyRequest(api, input), t('staff.privacy.filed'))) {
      setProof('');
      setConfirmed(false);
      onFiled();
    }
  };
  return (
    <section aria-labelledby="privacy-file">
      <h2 id="privacy-file">{t('staff.privacy.file')}</h2>
      <form class="stack" onSubmit={(e) => void submit(e)}>
        <div class="row">
          <label class="field">
            <span>{t('staff.privacy.type')}</span>
            <select
              name="type"
              value={type}
              onChange={(e) => setType(e.currentTarget.value as PrivacyRequestCreate['type'])}
            >
              {REQUEST_TYPES.map((r) => (
                <option key={r} value={r}>
                  {t(`staff.privacy.types.${r}`)}
                </option>
              ))}
            </select>
          </label>
          <label class="field">
            <span>{t('staff.privacy.subject')}</span>
            <input
              name="subjectId"
              required
              value={subjectId}
              onInput={(e) => setSubjectId(e.currentTarget.value)}
            />
          </label>
          <label class="field">
            <span>{t('staff.privacy.identityMethod')}</span>
            <select
              name="identityMethod"
              value={method}
              onChange={(e) => setMethod(e.currentTarget.value as IdentityProof['method'])}
            >
              {(['authentication', 'document', 'staff_evidence'] as const).map((m) => (
                <option key={m} value={m}>
                  {t(`staff.privacy.methods.${m}`)}
                </option>
              ))}
            </select>
          </label>
          <label class="field">
            <span>{t(`staff.privacy.proof.${method}`)}</span>
            <input
              name="proof"
              required
              autocomplete="off"
              value={proof}
              onInput={(e) => setProof(e.currentTarget.value)}
            />
          </label>
        </div>
        {type === 'deletion' && (
          <label class="check">
            <input
              type="checkbox"
              name="confirmDeletion"
              required
              checked={confirmed}
              onChange={(e) => setConfirmed(e.currentTarget.checked)}
            />
            <span>{t('staff.privacy.confirmDeletion')}</span>
          </label>
        )}
        <div>
          <button
            type="submit"
            class={type === 'deletion' ? 'danger' : ''}
            disabled={action.busy || (type === 'deletion' && !confirmed)}
          >
            {t('staff.privacy.submit')}
          </button>
        </div>
      </form>
      <Feedback message={action.message} />
    </section>
  );
}
