/**
 * The shell shared by the staff console and the admin pages: the staff session (read from
 * GET /auth/session; the login form when there is none), the header with the page's navigation,
 * the language picker and logout, and the hash router. Each route change moves focus to the new
 * screen's heading, so keyboard and screen-reader users land on what changed.
 */
import { render, type ComponentChildren } from 'preact';
import { useCallback, useEffect, useLayoutEffect, useMemo, useState } from 'preact/hooks';
import type { StaffSessionDto } from '../../../contract/index.js';
import { ApiProblem, createApiClient } from '../../shared/api.js';
import {
  LANGUAGES,
  LANGUAGE_NAMES,
  isLanguage,
  preferredLanguage,
  type Translator,
} from '../../shared/i18n/index.js';
import '../../shared/base.css';
import './console.css';
import { ConsoleContext, type Console } from './context.js';
import { createConsoleTranslator, storedLanguage } from './i18n.js';
import { parseHash } from './router.js';
import { ProblemText } from './ui.js';
import { PasswordField, TextField } from './parts.js';
import { PasswordChange } from './password.js';

export interface NavItem {
  /** The first route segment, e.g. 'queue'. */
  readonly route: string;
  /** Its label's message key. */
  readonly label: string;
  /** Shown only when the session holds this scope. */
  readonly scope?: string;
}

export interface ConsolePage {
  readonly page: 'staff' | 'admin';
  readonly nav: readonly NavItem[];
  /** The screen for a route (its first segment is one of nav's, or unknown). */
  readonly view: (route: readonly string[]) => ComponentChildren;
}

/**
 * Whether this browser holds a staff session cookie (HttpOnly: the page cannot see it), as a flag
 * in localStorage: '1', no name or token. Stale after an expiry, which the first request finds.
 */
const LOGIN_FLAG = 'verikiosk.console.loggedIn';

function rememberedLogin(): boolean {
  try {
    return localStorage.getItem(LOGIN_FLAG) === '1';
  } catch {
    return true;
  }
}

function rememberLogin(on: boolean): void {
  try {
    if (on) localStorage.setItem(LOGIN_FLAG, '1');
    else localStorage.removeItem(LOGIN_FLAG);
  } catch {
    // storage refused: the session is asked for at every load
  }
}

function hasScope(session: StaffSessionDto, scope: string): boolean {
  const held = session.permissions as readonly string[];
  return held.includes('admin') || held.includes(scope);
}

export function mountConsole(page: ConsolePage): void {
  const root = document.getElementById('app');
  if (root) render(<ConsoleApp page={page} />, root);
}

function ConsoleApp({ page }: { page: ConsolePage }) {
  const [i18n, setI18n] = useState<Translator | null>(null);
  const [, setLanguageTick] = useState(0);
  // undefined: not known yet; null: logged out.
  const [session, setSession] = useState<StaffSessionDto | null | undefined>(undefined);
  const [route, setRoute] = useState<string[]>(parseHash(location.hash));

  useEffect(() => {
    void createConsoleTranslator(storedLanguage() ?? preferredLanguage()).then(setI18n);
  }, []);
  useEffect(() => {
    const onHash = () => setRoute(parseHash(location.hash));
    addEventListener('hashchange', onHash);
    return () => removeEventListener('hashchange', onHash);
  }, []);

  const api = useMemo(
    () =>
      createApiClient(() =>
        session ? { kind: 'staff', csrfToken: session.csrfToken } : { kind: 'none' },
      ),
    [session],
  );

  useEffect(() => {
    // Asked only when this browser logged in before: a 401 would be logged as a console error.
    if (!rememberedLogin()) {
      setSession(null);
      return;
    }
    createApiClient(() => ({ kind: 'none' }))
      .get<StaffSessionDto>('/api/v1/auth/session')
      .then(setSession, () => {
        rememberLogin(false);
        setSession(null);
      });
  }, []);

  const navigate = useCallback((hash: string) => {
    if (location.hash === hash) setRoute(parseHash(hash));
    else location.hash = hash;
  }, []);

  if (i18n === null || session === undefined) {
    return <p class="console-loading">{i18n?.t('common.loading') ?? '…'}</p>;
  }
  const t = i18n.t;
  const changeLanguage = async (value: string) => {
    if (isLanguage(value)) {
      await i18n.setLanguage(value);
      setLanguageTick((n) => n + 1);
    }
  };
  const languagePicker = (
    <label class="language-picker">
      <span>{t('common.language')}</span>
      <select value={i18n.language} onChange={(e) => void changeLanguage(e.currentTarget.value)}>
        {LANGUAGES.map((lng) => (
          <option key={lng} value={lng} lang={lng}>
            {LANGUAGE_NAMES[lng]}
          </option>
        ))}
      </select>
    </label>
  );

  if (session === null) {
    return (
      <>
        <header class="console-header">
          <span class="console-brand">
            {t('common.appName')} · {t(`${page.page}.title`)}
          </span>
          {languagePicker}
        </header>
        <Login i18n={i18n} onLoggedIn={setSession} />
      </>
    );
  }

  const logout = async () => {
    try {
      await api.post('/api/v1/auth/logout');
    } catch {
      // the session may have ended already
    }
    rememberLogin(false);
    setSession(null);
    location.hash = '';
  };
  const logoutButton = (
    <button type="button" class="secondary" onClick={() => void logout()}>
      {t('console.logout')}
    </button>
  );

  // A first password someone else set: the core opens nothing else until it is changed.
  if (session.mustChangePassword) {
    return (
      <>
        <header class="console-header">
          <span class="console-brand">
            {t('common.appName')} · {t(`${page.page}.title`)}
          </span>
          {languagePicker}
          {logoutButton}
        </header>
        <PasswordChange t={t} api={api} onChanged={setSession} />
      </>
    );
  }

  const value: Console = {
    i18n,
    t,
    api,
    session,
    route,
    navigate,
    can: (scope) => hasScope(session, scope),
  };
  const visibleNav = page.nav.filter((item) => item.scope === undefined || value.can(item.scope));
  const current = route[0] ?? visibleNav[0]?.route ?? '';
  return (
    <ConsoleContext.Provider value={value}>
      <a class="skip-link" href="#main" onClick={focusMain}>
        {t('console.skipToContent')}
      </a>
      <header class="console-header">
        <span class="console-brand">
          {t('common.appName')} · {t(`${page.page}.title`)}
        </span>
        <nav aria-label={t(`${page.page}.navLabel`)}>
          <ul class="console-nav">
            {visibleNav.map((item) => (
              <li key={item.route}>
                <a
                  href={`#/${item.route}`}
                  aria-current={current === item.route ? 'page' : undefined}
                >
                  {t(item.label)}
                </a>
              </li>
            ))}
            <li>
              <a href={page.page === 'staff' ? '/admin' : '/staff'}>
                {t(page.page === 'staff' ? 'admin.title' : 'staff.title')}
              </a>
            </li>
          </ul>
        </nav>
        {languagePicker}
        <span class="console-user">
          {t('console.signedInAs', {
            username: session.user.username,
            role: t(`console.roles.${session.user.role}`),
          })}
        </span>
        {logoutButton}
      </header>
      <main id="main" tabIndex={-1}>
        <Screen key={route.join('/')}>{page.view(route.length ? route : [current])}</Screen>
      </main>
    </ConsoleContext.Provider>
  );
}

function focusMain(event: Event) {
  event.preventDefault();
  document.getElementById('main')?.focus();
}

/** Whether a screen has been shown yet: the page's first screen leaves the focus alone. */
let shownBefore = false;

/**
 * A screen: its heading takes focus after a route change, in the same commit that renders it
 * (a layout effect: a plain effect runs after paint, so a keyboard user's next Tab could start
 * from the page, which the keyboard e2e caught on a loaded machine), and again when the heading
 * appears or is replaced once the screen's data has loaded. It never takes the focus from where
 * the user put it.
 */
function Screen({ children }: { children: ComponentChildren }) {
  useLayoutEffect(() => {
    const main = document.getElementById('main');
    const first = !shownBefore;
    shownBefore = true;
    let focused: HTMLElement | null = null;
    const take = () => {
      const heading = main?.querySelector<HTMLElement>('h1') ?? null;
      if (heading === null || heading === focused) return;
      heading.tabIndex = -1;
      if (first) return;
      const active = document.activeElement;
      const free = active === null || active === document.body || active === main;
      if (focused !== null && !free) return;
      heading.focus();
      focused = heading;
    };
    take();
    if (main === null) return;
    const observer = new MutationObserver(take);
    observer.observe(main, { childList: true, subtree: true });
    return () => observer.disconnect();
  }, []);
  return <>{children}</>;
}

function Login({
  i18n,
  onLoggedIn,
}: {
  i18n: Translator;
  onLoggedIn: (session: StaffSessionDto) => void;
}) {
  const t = i18n.t;
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiProblem | null>(null);
  const submit = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const session = await createApiClient(() => ({ kind: 'none' })).post<StaffSessionDto>(
        '/api/v1/auth/login',
        { username, password },
      );
      setPassword('');
      rememberLogin(true);
      onLoggedIn(session);
    } catch (problem) {
      setError(problem instanceof ApiProblem ? problem : null);
      if (!(problem instanceof ApiProblem)) throw problem;
    } finally {
      setBusy(false);
    }
  };
  return (
    <main id="main" class="login">
      <h1>{t('console.login.title')}</h1>
      <form onSubmit={(e) => void submit(e)} class="stack">
        <TextField
          label={t('console.login.username')}
          name="username"
          autocomplete="username"
          required
          value={username}
          onValue={setUsername}
        />
        <PasswordField
          label={t('console.login.password')}
          name="password"
          autocomplete="current-password"
          value={password}
          onValue={setPassword}
        />
        {error && (
          <p role="alert" class="error">
            {error.status === 401 ? (
              t('console.login.failed')
            ) : (
              <ProblemText problem={error} t={t} />
            )}
          </p>
        )}
        <button type="submit" disabled={busy}>
          {t('console.login.submit')}
        </button>
      </form>
    </main>
  );
}
