import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { createTranslator, preferredLanguage, type Translator } from './i18n/index.js';
import './base.css';

/** A page that is not built yet: its title and the links to the other pages (h6 replaces it). */
export function mountPlaceholder(page: 'staff' | 'admin'): void {
  function Placeholder() {
    const [i18n, setI18n] = useState<Translator | null>(null);
    useEffect(() => {
      void createTranslator(preferredLanguage()).then(setI18n);
    }, []);
    if (i18n === null) return null;
    const t = i18n.t;
    return (
      <main style={{ maxWidth: '40rem', margin: '2rem auto', padding: '0 1rem' }}>
        <h1>{t(`${page}.title`)}</h1>
        <p>{t('common.placeholder')}</p>
        <nav aria-label={t('common.pages')}>
          <ul>
            <li>
              <a href="/kiosk">{t('common.kiosk')}</a>
            </li>
            <li>
              <a href="/staff">{t('staff.title')}</a>
            </li>
            <li>
              <a href="/admin">{t('admin.title')}</a>
            </li>
          </ul>
        </nav>
      </main>
    );
  }
  const root = document.getElementById('app');
  if (root) render(<Placeholder />, root);
}
