/**
 * The privacy-request desk: the queue with deadlines (overdue flagged), an export's download
 * once ready, a deadline extension with a reason, and filing a request with the requester's
 * identity proof; a deletion asks for an explicit confirmation first. What staff type here goes
 * to the core only: nothing is kept in the browser.
 */
import { useEffect, useState } from 'preact/hooks';
import { useConsole } from '../console/context.js';
import { RowButton, Section, SelectField, Table, TextField } from '../console/parts.js';
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

const EXPORT_POLL_MS = 2000;

export function PrivacyScreen() {
  const { t, api } = useConsole();
  const [load, reload] = useLoad((signal) => listPrivacyRequests(api, signal), [], {
    notFoundIsUnavailable: true,
  });
  // An export is built in the background: while one runs, the desk asks again, so its progress
  // and then its download appear without a reload.
  const exporting =
    load.state === 'ok' &&
    load.value.items.some(
      (r) => (r.type === 'access' || r.type === 'portability') && r.completedAt === null,
    );
  useEffect(() => {
    if (!exporting) return;
    const timer = setInterval(reload, EXPORT_POLL_MS);
    return () => clearInterval(timer);
  }, [exporting, reload]);
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
    <Section id="privacy-queue" title={t('staff.privacy.queue')}>
      <SelectField
        label={t('staff.privacy.extensionReason')}
        name="extensionReason"
        value={reason}
        options={EXTENSION_REASONS}
        optionLabel={(r) => t(`staff.privacy.extensionReasons.${r}`)}
        onValue={setReason}
      />
      <Table
        headers={[
          t('staff.privacy.request'),
          t('staff.privacy.type'),
          t('staff.privacy.status'),
          t('staff.privacy.due'),
          t('staff.privacy.export'),
        ]}
      >
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
                <RowButton
                  label={t('staff.privacy.extendRequest', { id: r.id })}
                  onClick={() => void extend(r.id)}
                >
                  {t('staff.privacy.extend')}
                </RowButton>
              )}
            </td>
          </tr>
        ))}
      </Table>
      <Feedback message={action.message} />
    </Section>
  );
}

const IDENTITY_METHODS: readonly IdentityProof['method'][] = [
  'authentication',
  'document',
  'staff_evidence',
];

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
    <Section id="privacy-file" title={t('staff.privacy.file')}>
      <form class="stack" onSubmit={(e) => void submit(e)}>
        <div class="row">
          <SelectField
            label={t('staff.privacy.type')}
            name="type"
            value={type}
            options={REQUEST_TYPES}
            optionLabel={(r) => t(`staff.privacy.types.${r}`)}
            onValue={setType}
          />
          <TextField
            label={t('staff.privacy.subject')}
            name="subjectId"
            required
            value={subjectId}
            onValue={setSubjectId}
          />
          <SelectField
            label={t('staff.privacy.identityMethod')}
            name="identityMethod"
            value={method}
            options={IDENTITY_METHODS}
            optionLabel={(m) => t(`staff.privacy.methods.${m}`)}
            onValue={setMethod}
          />
          <TextField
            label={t(`staff.privacy.proof.${method}`)}
            name="proof"
            required
            autocomplete="off"
            value={proof}
            onValue={setProof}
          />
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
    </Section>
  );
}
