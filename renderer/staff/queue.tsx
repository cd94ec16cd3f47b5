/**
 * The review queue: cases oldest first, filtered by status, assignee, overdue, reason code and
 * age; filters saved under a name for the staff user (server-side, GET/POST /case-filters: codes
 * and numbers only, never personal data); "assign to me" on each row; a page at a time.
 */
import { useEffect, useState } from 'preact/hooks';
import { CASE_STATUSES, type Case, type CaseFilter } from '../../contract/index.js';
import { ApiProblem } from '../shared/api.js';
import {
  assignCase,
  deleteSavedFilter,
  listCases,
  listSavedFilters,
  reasonCodes,
  saveFilter,
} from './api.js';
import { useConsole } from './console/context.js';
import { hashOf } from './console/router.js';
import { RowButton, Section, Table, TextField } from './console/parts.js';
import { Feedback, Loaded, Loading, ProblemAlert, useAction, useLoad, When } from './console/ui.js';

export function QueueScreen() {
  const { t, api, session } = useConsole();
  const [filter, setFilter] = useState<CaseFilter>({});
  const [pages, setPages] = useState<{ items: Case[]; next: string | null } | null>(null);
  const [problem, setProblem] = useState<ApiProblem | null>(null);
  const [codes] = useLoad((signal) => reasonCodes(api, signal), []);
  const [saved, reloadSaved] = useLoad((signal) => listSavedFilters(api, signal), []);
  const [filterName, setFilterName] = useState('');
  const action = useAction();
  const [tick, setTick] = useState(0);

  useEffect(() => {
    const controller = new AbortController();
    setPages(null);
    setProblem(null);
    listCases(api, filter, null, controller.signal).then(
      (page) => setPages({ items: page.items, next: page.nextCursor }),
      (error: unknown) => {
        if (!controller.signal.aborted && error instanceof ApiProblem) setProblem(error);
      },
    );
    return () => controller.abort();
  }, [api, filter, tick]);

  const more = async () => {
    if (!pages?.next) return;
    const page = await action.run(() => listCases(api, filter, pages.next));
    if (page) setPages({ items: [...pages.items, ...page.items], next: page.nextCursor });
  };
  const set = (patch: Partial<CaseFilter>) => {
    const next: Record<string, unknown> = { ...filter, ...patch };
    for (const key of Object.keys(next)) if (next[key] === undefined) delete next[key];
    setFilter(next);
  };
  const assignToMe = async (item: Case) => {
    const done = await action.run(() => assignCase(api, item.id, 'me'), {
      key: 'staff.queue.assigned',
      params: { id: item.id },
    });
    if (done) setTick((n) => n + 1);
  };
  const save = async (event: Event) => {
    event.preventDefault();
    const done = await action.run(
      () => saveFilter(api, filterName.trim(), filter),
      'staff.queue.filterSaved',
    );
    if (done) {
      setFilterName('');
      reloadSaved();
    }
  };
  const remove = async (id: string) => {
    await action.run(() => deleteSavedFilter(api, id), 'staff.queue.filterDeleted');
    reloadSaved();
  };

  return (
    <>
      <h1>{t('staff.queue.title')}</h1>
      <form class="row" aria-label={t('staff.queue.filters')} onSubmit={(e) => e.preventDefault()}>
        <label class="field">
          <span>{t('staff.queue.status')}</span>
          <select
            name="status"
            value={filter.status ?? ''}
            onChange={(e) =>
              set({
                status: (e.currentTarget.value || undefined) as CaseFilter['status'],
              })
            }
          >
            <option value="">{t('staff.queue.any')}</option>
            {CASE_STATUSES.map((s) => (
              <option key={s} value={s}>
                {t(`staff.caseStatus.${s}`)}
              </option>
            ))}
          </select>
        </label>
        <label class="field">
          <span>{t('staff.queue.assignee')}</span>
          <select
            name="assignee"
            value={filter.assignee ?? ''}
            onChange={(e) =>
              set({
                assignee: e.currentTarget.value || undefined,
              })
            }
          >
            <option value="">{t('staff.queue.anyone')}</option>
            <option value="me">{t('staff.queue.me')}</option>
            <option value="none">{t('staff.queue.unassigned')}</option>
          </select>
        </label>
        <label class="field">
          <span>{t('staff.queue.reason')}</span>
          <select
            name="reasonCode"
            value={filter.reasonCode ?? ''}
            onChange={(e) => set({ reasonCode: e.currentTarget.value || undefined })}
          >
            <option value="">{t('staff.queue.any')}</option>
            {codes.state === 'ok' &&
              [...codes.value.keys()].map((code) => (
                <option key={code} value={code}>
                  {code}
                </option>
              ))}
          </select>
        </label>
        <label class="field">
          <span>{t('staff.queue.minAge')}</span>
          <input
            name="minAgeHours"
            type="number"
            min={0}
            max={8760}
            inputMode="numeric"
            value={filter.minAgeHours ?? ''}
            onChange={(e) => {
              const raw = e.currentTarget.value;
              set({ minAgeHours: raw === '' ? undefined : Math.max(0, Math.trunc(Number(raw))) });
            }}
          />
        </label>
        <label class="check">
          <input
            type="checkbox"
            name="overdue"
            checked={filter.overdue === true}
            onChange={(e) => set({ overdue: e.currentTarget.checked ? true : undefined })}
          />
          <span>{t('staff.queue.overdueOnly')}</span>
        </label>
      </form>

      <Section id="saved-filters" title={t('staff.queue.savedFilters')}>
        <Loaded load={saved}>
          {({ items }) =>
            items.length === 0 ? (
              <p class="muted">{t('staff.queue.noSavedFilters')}</p>
            ) : (
              <ul class="row" style={{ listStyle: 'none', padding: 0 }}>
                {items.map((item) => (
                  <li key={item.id} class="row">
                    <button
                      type="button"
                      class="small secondary"
                      onClick={() => setFilter(item.filter)}
                    >
                      {t('staff.queue.apply', { name: item.name })}
                    </button>
                    <RowButton
                      label={t('staff.queue.deleteFilter', { name: item.name })}
                      onClick={() => void remove(item.id)}
                    >
                      ×
                    </RowButton>
                  </li>
                ))}
              </ul>
            )
          }
        </Loaded>
        <form class="row" onSubmit={(e) => void save(e)}>
          <TextField
            label={t('staff.queue.filterName')}
            name="filterName"
            required
            maxLength={60}
            value={filterName}
            onValue={setFilterName}
          />
          <button type="submit" class="secondary" disabled={action.busy}>
            {t('staff.queue.saveFilter')}
          </button>
        </form>
      </Section>

      <Feedback message={action.message} />

      <Section id="cases-heading" title={t('staff.queue.cases')}>
        {problem && <ProblemAlert problem={problem} />}
        {pages === null && !problem && <Loading />}
        {pages && pages.items.length === 0 && <p>{t('staff.queue.empty')}</p>}
        {pages && pages.items.length > 0 && (
          <Table
            caption={t('staff.queue.cases')}
            headers={[
              t('staff.queue.case'),
              t('staff.queue.policy'),
              t('staff.queue.reasons'),
              t('staff.queue.status'),
              t('staff.queue.assignee'),
              t('staff.queue.due'),
            ]}
          >
            {pages.items.map((item) => (
              <tr key={item.id}>
                <td>
                  <a href={hashOf('case', item.id)}>
                    <code>{item.id}</code>
                  </a>
                </td>
                <td>{t(`staff.policyDecision.${item.policyDecision}`)}</td>
                <td>
                  {item.policyReasons.map((code) => (
                    <code key={code} class="badge">
                      {code}
                    </code>
                  ))}
                  {item.needsSecondReviewer && (
                    <span class="badge warn">{t('staff.case.fourEyes')}</span>
                  )}
                </td>
                <td>{t(`staff.caseStatus.${item.status}`)}</td>
                <td>
                  {item.assignedTo === null
                    ? t('staff.queue.unassigned')
                    : item.assignedTo === session.user.id
                      ? t('staff.queue.me')
                      : item.assignedTo}
                </td>
                <td>
                  <When at={item.dueAt} />{' '}
                  {item.overdue && <span class="badge overdue">{t('staff.queue.overdue')}</span>}
                </td>
                <td>
                  {item.status !== 'decided' && item.assignedTo !== session.user.id && (
                    <button
                      type="button"
                      class="small"
                      disabled={action.busy}
                      aria-label={t('staff.queue.assignToMeCase', { id: item.id })}
                      onClick={() => void assignToMe(item)}
                    >
                      {t('staff.queue.assignToMe')}
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </Table>
        )}
        {pages?.next && (
          <button type="button" class="secondary" onClick={() => void more()}>
            {t('staff.queue.more')}
          </button>
        )}
      </Section>
    </>
  );
}
