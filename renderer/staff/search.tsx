/**
 * Verification search: by the branch system's reference (GET /verifications?reference=…, a
 * blind-index lookup that needs pii:read) or by a verification id. Results show status, decision and
 * reasons; a review case is reached from the queue.
 */
import { useState } from 'preact/hooks';
import type { VerificationDto } from '../../contract/index.js';
import { ApiProblem } from '../shared/api.js';
import { findVerificationsByReference, getVerification } from './api.js';
import { useConsole } from './console/context.js';
import { ProblemAlert, When } from './console/ui.js';

const VERIFICATION_ID = /^[a-z]{2,5}_[0-9A-Za-z]{10,40}$/;

export function SearchScreen() {
  const { t, api } = useConsole();
  const [query, setQuery] = useState('');
  const [results, setResults] = useState<VerificationDto[] | null>(null);
  const [problem, setProblem] = useState<ApiProblem | null>(null);
  const [busy, setBusy] = useState(false);
  const search = async (event: Event) => {
    event.preventDefault();
    const value = query.trim();
    if (value === '') return;
    setBusy(true);
    setProblem(null);
    try {
      if (VERIFICATION_ID.test(value) && value.startsWith('ver_')) {
        setResults([await getVerification(api, value)]);
      } else {
        setResults((await findVerificationsByReference(api, value)).items);
      }
    } catch (error) {
      const p = error instanceof ApiProblem ? error : new ApiProblem(0, 'network', null, '');
      if (p.status === 404 && value.startsWith('ver_')) setResults([]);
      else {
        setResults(null);
        setProblem(p);
      }
    } finally {
      setBusy(false);
    }
  };
  return (
    <>
      <h1>{t('staff.search.title')}</h1>
      <form class="row" role="search" onSubmit={(e) => void search(e)}>
        <label class="field">
          <span>{t('staff.search.label')}</span>
          <input
            name="q"
            required
            maxLength={64}
            value={query}
            onInput={(e) => setQuery(e.currentTarget.value)}
          />
        </label>
        <button type="submit" disabled={busy}>
          {t('staff.search.submit')}
        </button>
      </form>
      <p class="muted">{t('staff.search.hint')}</p>
      {problem && <ProblemAlert problem={problem} />}
      <div role="status">
        {results !== null && <p>{t('staff.search.found', { count: results.length })}</p>}
      </div>
      {results !== null && results.length > 0 && (
        <table>
          <thead>
            <tr>
              <th scope="col">{t('staff.search.verification')}</th>
              <th scope="col">{t('staff.search.kind')}</th>
              <th scope="col">{t('staff.search.status')}</th>
              <th scope="col">{t('staff.search.reasons')}</th>
              <th scope="col">{t('staff.search.created')}</th>
            </tr>
          </thead>
          <tbody>
            {results.map((v) => (
              <tr key={v.id}>
                <td>
                  <code>{v.id}</code>
                </td>
                <td>{t(`staff.verificationKind.${v.kind}`)}</td>
                <td>{t(`staff.verificationStatus.${v.status}`)}</td>
                <td>
                  {v.reasons.map((r) => (
                    <code key={r} class="badge">
                      {r}
                    </code>
                  ))}
                </td>
                <td>
                  <When at={v.createdAt} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </>
  );
}
