/**
 * The staff console's and admin pages' translator: the shared catalogues (renderer/shared/i18n,
 * `common.*`, the pages' titles) with the console's own messages (`staff.*`, `admin.*`,
 * `console.*` in ./messages/<language>.json) layered on top, so the kiosk's catalogue files stay
 * the kiosk's. Same API as the shared translator (createTranslator).
 */
import i18next, { type i18n as I18n } from 'i18next';
import {
  CATALOGUES,
  LANGUAGES,
  isLanguage,
  type Language,
  type Translator,
} from '../../shared/i18n/index.js';
import de from './messages/de.json';
import en from './messages/en.json';
import es from './messages/es.json';

export const CONSOLE_CATALOGUES: Readonly<Record<Language, Record<string, unknown>>> = {
  en,
  es,
  de,
};

type Tree = Record<string, unknown>;

/** `over` merged into `base`, key by key (objects deeply, anything else replaced). */
export function mergeCatalogue(base: Tree, over: Tree): Tree {
  const out: Tree = { ...base };
  for (const [key, value] of Object.entries(over)) {
    const current = out[key];
    out[key] = isTree(current) && isTree(value) ? mergeCatalogue(current, value) : value;
  }
  return out;
}

function isTree(value: unknown): value is Tree {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const LANGUAGE_KEY = 'verikiosk.console.language';

/** The language chosen before in this browser (a preference, no personal data), or null. */
export function storedLanguage(): Language | null {
  try {
    const value = localStorage.getItem(LANGUAGE_KEY);
    return isLanguage(value) ? value : null;
  } catch {
    return null;
  }
}

export async function createConsoleTranslator(language: Language): Promise<Translator> {
  const instance: I18n = i18next.createInstance();
  const resources: Record<string, { translation: Tree }> = {};
  for (const lng of LANGUAGES) {
    resources[lng] = { translation: mergeCatalogue(CATALOGUES[lng], CONSOLE_CATALOGUES[lng]) };
  }
  await instance.init({
    lng: language,
    fallbackLng: 'en',
    supportedLngs: [...LANGUAGES],
    resources,
    interpolation: { escapeValue: false },
    returnNull: false,
  });
  document.documentElement.lang = language;
  const current = (): Language => (isLanguage(instance.language) ? instance.language : 'en');
  return {
    get language() {
      return current();
    },
    t: (key, options) => instance.t(key, options ?? {}),
    formatDate: (value, options = { dateStyle: 'medium', timeStyle: 'short' }) =>
      new Intl.DateTimeFormat(current(), options).format(
        typeof value === 'string' ? new Date(value) : value,
      ),
    formatNumber: (value, options) => new Intl.NumberFormat(current(), options).format(value),
    async setLanguage(next) {
      await instance.changeLanguage(next);
      document.documentElement.lang = next;
      try {
        localStorage.setItem(LANGUAGE_KEY, next);
      } catch {
        // storage refused: the choice lasts this page
      }
    },
  };
}
