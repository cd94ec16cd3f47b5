/**
 * The password change a staff user makes before anything else when their password was set by
 * someone else (a generated first password): the core refuses every other route to such a
 * session (403 `password_change_required`), so the console shows this screen first and nothing
 * else until it is done. Plain form, labelled fields, errors announced (role="alert").
 */
import { useLayoutEffect, useRef, useState } from 'preact/hooks';
import type { StaffSessionDto } from '../../../contract/index.js';
import { ApiProblem, type ApiClient } from '../../shared/api.js';
import type { Translator } from '../../shared/i18n/index.js';
import { PasswordField } from './parts.js';
import { ProblemText } from './ui.js';

/** The core's rule (server/auth MIN_PASSWORD_LENGTH); the core checks it again. */
const MIN_PASSWORD_LENGTH = 12;

export function PasswordChange({
  t,
  api,
  onChanged,
}: {
  t: Translator['t'];
  api: ApiClient;
  onChanged: (session: StaffSessionDto) => void;
}) {
  const [current, setCurrent] = useState('');
  const [next, setNext] = useState('');
  const [repeat, setRepeat] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiProblem | 'mismatch' | null>(null);
  const heading = useRef<HTMLHeadingElement>(null);
  useLayoutEffect(() => heading.current?.focus(), []);

  const submit = async (event: Event) => {
    event.preventDefault();
    if (next !== repeat) {
      setError('mismatch');
      return;
    }
    setBusy(true);
    setError(null);
    try {
      const session = await api.post<StaffSessionDto>('/api/v1/auth/password', {
        currentPassword: current,
        newPassword: next,
      });
      setCurrent('');
      setNext('');
      setRepeat('');
      onChanged(session);
    } catch (problem) {
      if (!(problem instanceof ApiProblem)) throw problem;
      setError(problem);
    } finally {
      setBusy(false);
    }
  };
  const field = (
    name: string,
    label: string,
    value: string,
    onValue: (v: string) => void,
    autocomplete: 'current-password' | 'new-password',
    describedBy?: string,
  ) => (
    <PasswordField
      label={label}
      name={name}
      autocomplete={autocomplete}
      minLength={autocomplete === 'new-password' ? MIN_PASSWORD_LENGTH : undefined}
      describedBy={describedBy}
      value={value}
      onValue={onValue}
    />
  );
  return (
    <main id="main" class="login">
      <h1 ref={heading} tabIndex={-1}>
        {t('console.password.title')}
      </h1>
      <p>{t('console.password.intro')}</p>
      <form onSubmit={(e) => void submit(e)} class="stack">
        {field(
          'currentPassword',
          t('console.password.current'),
          current,
          setCurrent,
          'current-password',
        )}
        {field(
          'newPassword',
          t('console.password.new'),
          next,
          setNext,
          'new-password',
          'password-hint',
        )}
        <p id="password-hint" class="muted">
          {t('console.password.hint', { count: MIN_PASSWORD_LENGTH })}
        </p>
        {field('repeatPassword', t('console.password.repeat'), repeat, setRepeat, 'new-password')}
        {error && (
          <p role="alert" class="error">
            {error === 'mismatch' ? (
              t('console.password.mismatch')
            ) : (
              <ProblemText problem={error} t={t} />
            )}
          </p>
        )}
        <button type="submit" disabled={busy}>
          {t('console.password.submit')}
        </button>
      </form>
    </main>
  );
}
