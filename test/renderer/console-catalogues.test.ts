/**
 * The staff console's and admin pages' catalogues (renderer/staff/console/messages): the same
 * keys in every language (plural forms by each language's CLDR categories), and every message
 * key the screens name literally present, so no screen shows a bare key in any language.
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const RENDERER = path.resolve(import.meta.dirname, '../../renderer');
const LANGUAGES = ['en', 'es', 'de'] as const;
type Tree = { [key: string]: string | Tree };

function load(file: string): Tree {
  return JSON.parse(readFileSync(file, 'utf8')) as Tree;
}

function flatten(tree: Tree, prefix = ''): string[] {
  return Object.entries(tree).flatMap(([key, value]) =>
    typeof value === 'string' ? [`${prefix}${key}`] : flatten(value, `${prefix}${key}.`),
  );
}

/** Keys with the plural suffix stripped (i18next's `_one`, `_other`, …). */
const base = (key: string) => key.replace(/_(zero|one|two|few|many|other)$/, '');

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const file = path.join(dir, name);
    if (statSync(file).isDirectory()) return sources(file);
    return /\.tsx?$/.test(name) ? [file] : [];
  });
}

const catalogue = (language: (typeof LANGUAGES)[number]) => {
  const shared = flatten(load(path.join(RENDERER, 'shared/i18n', `${language}.json`)));
  const own = flatten(load(path.join(RENDERER, 'staff/console/messages', `${language}.json`)));
  return { own, all: new Set([...shared, ...own].map(base)) };
};

describe('the console catalogues', () => {
  it('hold the same messages in English, Spanish and German', () => {
    const sets = LANGUAGES.map((l) => new Set(catalogue(l).own.map(base)));
    expect([...sets[1]!].sort()).toEqual([...sets[0]!].sort());
    expect([...sets[2]!].sort()).toEqual([...sets[0]!].sort());
    for (const language of LANGUAGES) {
      const own = catalogue(language).own;
      // Every plural message has its `other` form.
      for (const key of own.filter((k) => /_one$/.test(k))) {
        expect(own, `${language}: ${key}`).toContain(key.replace(/_one$/, '_other'));
      }
    }
  });

  it('have every message key the staff and admin screens use literally', () => {
    const used = new Set<string>();
    for (const file of [
      ...sources(path.join(RENDERER, 'staff')),
      ...sources(path.join(RENDERER, 'admin')),
    ]) {
      const text = readFileSync(file, 'utf8');
      for (const match of text.matchAll(/\bt\(\s*'([a-zA-Z]+\.[a-zA-Z0-9_.]+)'/g)) {
        used.add(match[1]!);
      }
    }
    expect(used.size).toBeGreaterThan(150);
    for (const language of LANGUAGES) {
      const { all } = catalogue(language);
      const missing = [...used].filter((key) => !all.has(key));
      expect(missing, language).toEqual([]);
    }
  });
});
