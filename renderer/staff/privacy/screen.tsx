/**
 * The privacy-request desk: the queue with deadlines (overdue flagged, or shown alone), each
 * request's outcome and what a deletion kept (a legal hold, a legal retention duty), an export's
 * download once ready, a deadline extension with a reason, the requester's contact on a staff
 * action only (the core audits that read), and filing any type of request, for the subject or an
 * agent or guardian, with the requester's identity proof; a deletion asks for an explicit
 * confirmation first. What staff type or read here goes to and from the core only: nothing is
 * kept in the browser, and a shown contact is dropped when the panel is hidden.
 */
import { useEffect, useLayoutEffect, useRef, useState } from 'preact/hooks';
import type { ComponentChildren } from 'preact';
import { useConsole } from '../console/context.js';
import { RowButton, Section, SelectField, Table, TextField } from '../console/parts.js';
import {
  Feedback,
  Loaded,
  Loading,
  ProblemAlert,
  useAction,
  useLoad,
  When,
} from '../console/ui.js';
import { ApiProblem } from '../../shared/api.js';
import {
  CORRECTABLE_FIELDS,
  EXTENSION_REASONS,
  OBJECTION_PURPOSES,
  REQUESTER_RELATIONS,
  REQUEST_TYPES,
  SUBJECT_ID_PATTERN,
  WITHDRAWABLE_PURPOSES,
  exportUrl,
  extendPrivacyRequest,
  filePrivacyRequest,
  listPrivacyRequests,
  requesterOf,
  type IdentityProof,
  type PrivacyRequest,
  type PrivacyRequestCreate,
  type PrivacyRequestPage,
  type Requester,
  type RequesterRelation,
} from './api.js';

const EXPORT_POLL_MS = 2000;

export function PrivacyScreen() {
  const { t, api } = useConsole();
  const [pages, setPages] = useState(1);
  const [overdueOnly, setOverdueOnly] = useState(false);
  const [subject, setSubject] = useState<string | null>(null);
  const [load, reload] = useLoad(
    async (signal) => {
      // The pages asked for so far, read again together: a poll keeps every shown row current.
      const query = { overdue: overdueOnly, ...(subject === null ? {} : { subjectId: subject }) };
      let page = await listPrivacyRequests(api, signal, query);
      const items = [...page.items];
      for (let n = 1; n < pages && page.nextCursor !== null; n++) {
        page = await listPrivacyRequests(api, signal, { ...query, after: page.nextCursor });
        items.push(...page.items);
      }
      return { ...page, items } satisfies PrivacyRequestPage;
    },
    [pages, overdueOnly, subject],
    { notFoundIsUnavailable: true },
  );
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
            <label class="check">
              <input
                type="checkbox"
                name="overdueOnly"
                checked={overdueOnly}
                onChange={(e) => {
                  setOverdueOnly(e.currentTarget.checked);
                  setPages(1);
                }}
              />
              <span>{t('staff.privacy.overdueOnly')}</span>
            </label>
            <SubjectFilter
              subject={subject}
              onSubject={(id) => {
                setSubject(id);
                setPages(1);
              }}
            />
            <RequestTable items={list.items} onChange={reload} />
            {list.nextCursor !== null && (
              <button type="button" class="secondary" onClick={() => setPages((n) => n + 1)}>
                {t('staff.privacy.more')}
              </button>
            )}
            <FileRequest onFiled={reload} />
          </>
        )}
      </Loaded>
    </>
  );
}

/** Shows one subject's requests only (their whole history with the desk), or everyone's. */
function SubjectFilter({
  subject,
  onSubject,
}: {
  subject: string | null;
  onSubject: (id: string | null) => void;
}) {
  const { t } = useConsole();
  const [typed, setTyped] = useState(subject ?? '');
  return (
    <form
      class="row"
      onSubmit={(e) => {
        e.preventDefault();
        onSubject(typed.trim() === '' ? null : typed.trim());
      }}
    >
      <label class="field">
        <span>{t('staff.privacy.filterSubject')}</span>
        <input
          name="subjectFilter"
          pattern={SUBJECT_ID_PATTERN}
          title={t('staff.privacy.subjectFormat')}
          value={typed}
          onInput={(e) => setTyped(e.currentTarget.value)}
        />
      </label>
      <div>
        <button type="submit" class="secondary">
          {t('staff.privacy.filter')}
        </button>{' '}
        {subject !== null && (
          <button
            type="button"
            class="secondary"
            onClick={() => {
              setTyped('');
              onSubject(null);
            }}
          >
            {t('staff.privacy.filterClear')}
          </button>
        )}
      </div>
    </form>
  );
}

/** What a request came to: its outcome, and what a deletion kept and why. */
function Outcome({ request }: { request: PrivacyRequest }) {
  const { t } = useConsole();
  if (request.outcome === null) return <>—</>;
  return (
    <>
      <span>
        {t(`staff.privacy.outcomes.${request.outcome}`, { defaultValue: request.outcome })}
      </span>
      {request.deadlineMet === false && (
        <>
          {' '}
          <span class="badge overdue">{t('staff.privacy.late')}</span>
        </>
      )}
      {request.retained.map((r) => (
        <div key={`${r.category}:${r.reason}`} class="muted">
          {t(`staff.privacy.retained.${r.reason}`, {
            count: r.count,
            category: t(`staff.privacy.categories.${r.category}`, { defaultValue: r.category }),
          })}
        </div>
      ))}
    </>
  );
}

function RequestTable({ items, onChange }: { items: PrivacyRequest[]; onChange: () => void }) {
  const { t, api, i18n } = useConsole();
  const action = useAction();
  const [reason, setReason] = useState<string>(EXTENSION_REASONS[0] ?? '');
  const [shown, setShown] = useState<string | null>(null);
  if (items.length === 0) return <p>{t('staff.privacy.empty')}</p>;
  const extend = async (id: string) => {
    if (await action.run(() => extendPrivacyRequest(api, id, reason), 'staff.privacy.extended'))
      onChange();
  };
  const hide = () => {
    const id = shown;
    setShown(null);
    // Back to the button that opened the panel (keyboard users keep their place).
    if (id !== null) {
      requestAnimationFrame(() =>
        document.querySelector<HTMLButtonElement>(`button[data-requester="${id}"]`)?.focus(),
      );
    }
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
          t('staff.privacy.requester'),
          t('staff.privacy.status'),
          t('staff.privacy.due'),
          t('staff.privacy.outcome'),
          t('staff.privacy.export'),
        ]}
      >
        {items.map((r) => (
          <tr key={r.id}>
            <td>
              <code>{r.id}</code>
            </td>
            <td>{t(`staff.privacy.types.${r.type}`, { defaultValue: r.type })}</td>
            <td>
              {t(`staff.privacy.relations.${r.requester}`, { defaultValue: r.requester })}
              {r.requesterContact && (
                <div>
                  <RowButton
                    label={t('staff.privacy.showRequester', { id: r.id })}
                    data-requester={r.id}
                    aria-expanded={shown === r.id}
                    aria-controls={shown === r.id ? 'privacy-requester' : undefined}
                    onClick={() => setShown(shown === r.id ? null : r.id)}
                  >
                    {t('staff.privacy.requesterShow')}
                  </RowButton>
                </div>
              )}
            </td>
            <td>{t(`staff.privacy.statuses.${r.status}`, { defaultValue: r.status })}</td>
            <td>
              <When at={r.dueAt} />{' '}
              {r.overdue && <span class="badge overdue">{t('staff.queue.overdue')}</span>}
            </td>
            <td>
              <Outcome request={r} />
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
      {shown !== null && <RequesterPanel key={shown} id={shown} onHide={hide} />}
    </Section>
  );
}

/**
 * The requester of one request: read from the core when staff open the panel (one audited read,
 * purpose `request_answer`) and held in this component's state only, gone when it is hidden.
 */
function RequesterPanel({ id, onHide }: { id: string; onHide: () => void }) {
  const { t, api } = useConsole();
  const [load] = useLoad((signal) => requesterOf(api, id, signal), [id]);
  const heading = useRef<HTMLHeadingElement>(null);
  useLayoutEffect(() => heading.current?.focus(), []);
  const row = (label: string, value: ComponentChildren) => (
    <>
      <dt>{label}</dt>
      <dd>{value}</dd>
    </>
  );
  const body = (requester: Requester) => (
    <dl>
      {row(
        t('staff.privacy.relation'),
        t(`staff.privacy.relations.${requester.relation}`, { defaultValue: requester.relation }),
      )}
      {requester.name !== undefined && row(t('staff.privacy.name'), requester.name)}
      {requester.email !== undefined &&
        row(t('staff.privacy.email'), <a href={`mailto:${requester.email}`}>{requester.email}</a>)}
      {requester.phone !== undefined && row(t('staff.privacy.phone'), requester.phone)}
      {requester.postal !== undefined && row(t('staff.privacy.postal'), requester.postal)}
      {requester.authorisation !== undefined &&
        row(t('staff.privacy.authorisation'), requester.authorisation)}
    </dl>
  );
  return (
    <section id="privacy-requester" aria-labelledby="privacy-requester-title" class="notice">
      <h2 id="privacy-requester-title" ref={heading} tabIndex={-1}>
        {t('staff.privacy.requesterOf', { id })}
      </h2>
      <p class="muted">{t('staff.privacy.requesterAudited')}</p>
      {load.state === 'loading' && <Loading />}
      {load.state === 'error' && <ProblemAlert problem={load.problem} />}
      {load.state === 'unavailable' && (
        <ProblemAlert problem={new ApiProblem(404, 'not_found', null, '')} />
      )}
      {load.state === 'ok' && body(load.value)}
      <button type="button" class="secondary" onClick={onHide}>
        {t('staff.privacy.requesterHide')}
      </button>
    </section>
  );
}

const IDENTITY_METHODS: readonly IdentityProof['method'][] = [
  'authentication',
  'document',
  'staff_evidence',
];

type Field = (typeof CORRECTABLE_FIELDS)[number];

const EMPTY_REQUESTER = {
  name: '',
  email: '',
  phone: '',
  postal: '',
  authorisation: '',
};

/** The requester as the core takes it, or none when the subject asks and left no contact. */
function requesterInput(
  relation: RequesterRelation,
  fields: typeof EMPTY_REQUESTER,
): Requester | undefined {
  const given = Object.fromEntries(
    Object.entries(fields)
      .map(([k, v]) => [k, v.trim()] as const)
      .filter(([, v]) => v !== ''),
  ) as Partial<typeof EMPTY_REQUESTER>;
  if (relation === 'subject' && Object.keys(given).length === 0) return undefined;
  return { relation, ...given };
}

function Purposes<P extends string>({
  legend,
  options,
  chosen,
  onChosen,
}: {
  legend: string;
  options: readonly P[];
  chosen: readonly P[];
  onChosen: (chosen: P[]) => void;
}) {
  const { t } = useConsole();
  return (
    <fieldset>
      <legend>{legend}</legend>
      {options.map((p) => (
        <label key={p} class="check">
          <input
            type="checkbox"
            name="purposes"
            value={p}
            checked={chosen.includes(p)}
            onChange={(e) =>
              onChosen(
                e.currentTarget.checked
                  ? options.filter((o) => o === p || chosen.includes(o))
                  : chosen.filter((c) => c !== p),
              )
            }
          />
          <span>{t(`staff.privacy.purposes.${p}`)}</span>
        </label>
      ))}
    </fieldset>
  );
}

function FileRequest({ onFiled }: { onFiled: () => void }) {
  const { t, api } = useConsole();
  const action = useAction();
  const [type, setType] = useState<PrivacyRequestCreate['type']>('access');
  const [subjectId, setSubjectId] = useState('');
  const [jurisdiction, setJurisdiction] = useState('');
  const [method, setMethod] = useState<IdentityProof['method']>('authentication');
  const [proof, setProof] = useState('');
  const [objections, setObjections] = useState<(typeof OBJECTION_PURPOSES)[number][]>([
    'data_sharing',
  ]);
  const [withdrawals, setWithdrawals] = useState<(typeof WITHDRAWABLE_PURPOSES)[number][]>([
    'biometric_processing',
  ]);
  const [field, setField] = useState<Field>('surname');
  const [value, setValue] = useState('');
  const [relation, setRelation] = useState<RequesterRelation>('subject');
  const [contact, setContact] = useState(EMPTY_REQUESTER);
  const [confirmed, setConfirmed] = useState(false);
  const agent = relation !== 'subject';
  const purposesMissing =
    (type === 'objection' && objections.length === 0) ||
    (type === 'consent_withdrawal' && withdrawals.length === 0);
  const submit = async (event: Event) => {
    event.preventDefault();
    const identity: IdentityProof =
      method === 'authentication'
        ? { method, verificationId: proof.trim() }
        : method === 'document'
          ? { method, documentNumber: proof.trim() }
          : { method, evidence: proof.trim() };
    const requester = requesterInput(relation, contact);
    const base = {
      subjectId: subjectId.trim(),
      identity,
      ...(jurisdiction.trim() === '' ? {} : { jurisdiction: jurisdiction.trim().toUpperCase() }),
      ...(requester === undefined ? {} : { requester }),
    };
    const input: PrivacyRequestCreate =
      type === 'objection'
        ? { type, ...base, purposes: objections }
        : type === 'consent_withdrawal'
          ? { type, ...base, purposes: withdrawals }
          : type === 'correction'
            ? { type, ...base, correction: { fields: { [field]: value.trim() } } }
            : { type, ...base };
    if (await action.run(() => filePrivacyRequest(api, input), 'staff.privacy.filed')) {
      // Nothing personal stays in the form once the core has it.
      setProof('');
      setValue('');
      setContact(EMPTY_REQUESTER);
      setRelation('subject');
      setConfirmed(false);
      onFiled();
    }
  };
  const contactField = (name: keyof typeof EMPTY_REQUESTER, required = false) => (
    <TextField
      label={t(`staff.privacy.${name}`)}
      name={`requester.${name}`}
      required={required}
      autocomplete="off"
      value={contact[name]}
      onValue={(v) => setContact({ ...contact, [name]: v })}
    />
  );
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
          <TextField
            label={t('staff.privacy.jurisdiction')}
            name="jurisdiction"
            size={8}
            maxLength={6}
            describedBy="privacy-jurisdiction-hint"
            value={jurisdiction}
            onValue={setJurisdiction}
          />
        </div>
        <p id="privacy-jurisdiction-hint" class="muted">
          {t('staff.privacy.jurisdictionHint')}
        </p>
        {type === 'objection' && (
          <Purposes
            legend={t('staff.privacy.objectTo')}
            options={OBJECTION_PURPOSES}
            chosen={objections}
            onChosen={setObjections}
          />
        )}
        {type === 'consent_withdrawal' && (
          <Purposes
            legend={t('staff.privacy.withdrawFrom')}
            options={WITHDRAWABLE_PURPOSES}
            chosen={withdrawals}
            onChosen={setWithdrawals}
          />
        )}
        {type === 'correction' && (
          <div class="row">
            <SelectField
              label={t('staff.privacy.correctField')}
              name="correctionField"
              value={field}
              options={CORRECTABLE_FIELDS}
              optionLabel={(f) => t(`staff.privacy.fields.${f}`)}
              onValue={setField}
            />
            <TextField
              label={t('staff.privacy.correctValue')}
              name="correctionValue"
              required
              autocomplete="off"
              value={value}
              onValue={setValue}
            />
          </div>
        )}
        <div class="row">
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
        <fieldset>
          <legend>{t('staff.privacy.whoAsks')}</legend>
          <div class="row">
            <SelectField
              label={t('staff.privacy.relation')}
              name="relation"
              value={relation}
              options={REQUESTER_RELATIONS}
              optionLabel={(r) => t(`staff.privacy.relations.${r}`)}
              onValue={setRelation}
            />
            {contactField('name', agent)}
          </div>
          <p class="muted">{t('staff.privacy.contactHint')}</p>
          <div class="row">
            {contactField('email')}
            {contactField('phone')}
            {contactField('postal')}
          </div>
          {agent && contactField('authorisation', true)}
        </fieldset>
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
            disabled={action.busy || purposesMissing || (type === 'deletion' && !confirmed)}
          >
            {t('staff.privacy.submit')}
          </button>
        </div>
      </form>
      <Feedback message={action.message} />
    </Section>
  );
}
