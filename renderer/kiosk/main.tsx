import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { createTranslator, preferredLanguage, type Translator } from '../shared/i18n/index.js';
import '../shared/base.css';

function Kiosk() {
  const [i18n, setI18n] = useState<Translator | null>(null);
  useEffect(() => {
    void createTranslator(preferredLanguage()).then(setI18n);
  }, []);
  if (i18n === null) return null;
  return (
    <main>
      <h1>{i18n.t('kiosk.welcome.title')}</h1>
      <p>{i18n.t('kiosk.welcome.lead')}</p>
    </main>
  );
}

const root = document.getElementById('app');
if (root) render(<Kiosk />, root);
