/**
 * Message catalogues (i18next) for the three pages: one JSON file per language in this folder,
 * `common.*` shared, `kiosk.*`, `staff.*`, `admin.*` per page. Plurals use i18next's CLDR suffixes
 * (`_one`, `_other`, from Intl.PluralRules); dates and numbers go through Intl in the current
 * language (`formatDate`, or `{{value, datetime}}` inside a message).
 */
import i18next, { type i18n as I18n, type TOptions } from 'i18next';
import de from './de.json';
import en from './en.json';
import es from './es.json';

export const LANGUAGES = ['en', 'es', 'de'] as const;
export type Language = (typeof LANGUAGES)[number];

/** Each language's own name, as the language picker shows it. */
export const LANGUAGE_NAMES: Readonly<Record<Language, string>> = {
  en: 'English',
  es: 'Español',
  de: 'Deutsch',
};

export const CATALOGUES: Readonly<Record<Language, Record<string, unknown>>> = { en, es, de };

export function isLanguage(value: unknown): value is Language {
  return typeof value === 'string' && (LANGUAGES as readonly string[]).includes(value);
}

/** The catalogue language closest to the browser's preferences (English when none matches). */
export function preferredLanguage(preferences: readonly string[] = navigator.languages): Language {
  for (const tag of preferences) {
    const base = tag.toLowerCase().split('-')[0];
    if (isLanguage(base)) return base;
  }
  return 'en';
}

export interface Translator {
  readonly language: Language;
  readonly t: (key: string, options?: TOptions) => string;
  readonly formatDate: (value: Date | string, options?: Intl.DateTimeFormatOptions) => string;
  readonly formatNumber: (value: number, options?: Intl.NumberFormatOptions) => string;
  /** Switches language; resolves when the catalogue is active. */
  readonly setLanguage: (language: Language) => Promise<void>;
}

/** A fresh i18next instance with every catalogue loaded (no backend: nothing fetched). */
export async function createTranslator(language: Language = 'en'): Promise<Translator> {
  const instance: I18n = i18next.createInstance();
  await instance.init({
    lng: language,
    fallbackLng: 'en',
    supportedLngs: [...LANGUAGES],
    resources: {
      en: { translation: en },
      es: { translation: es },
      de: { translation: de },
    },
    // Preact escapes text itself; messages never carry markup.
    interpolation: { escapeValue: false },
    returnNull: false,
  });
  const current = (): Language => (isLanguage(instance.language) ? instance.language : 'en');
  return {
    get language() {
      return current();
    },
    t: (key, options) => instance.t(key, options ?? {}),
    formatDate: (value, options = { dateStyle: 'long' }) =>
      new Intl.DateTimeFormat(current(), options).format(
        typeof value === 'string' ? new Date(value) : value,
      ),
    formatNumber: (value, options) => new Intl.NumberFormat(current(), options).format(value),
    async setLanguage(next) {
      await instance.changeLanguage(next);
      document.documentElement.lang = next;
    },
  };
}
