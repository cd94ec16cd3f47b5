import { afterEach, describe, expect, it } from 'vitest';
import { subtractIsoDuration, type RetentionCategory } from '../../../server/config/index.js';
import { runRetention } from '../../../server/retention/index.js';
import { retentionTarget } from '../../../server/retention/selectors.js';
import { selectIds } from '../../../server/retention/store.js';
import { notUnderLegalHold, underLegalHold, type Vault } from '../../../server/vault/index.js';
import { vaultDb } from '../../../server/vault/internal.js';
import { AS_OF, cleanup, defaultRules, scenarioVault, tableDigests } from './fixtures.js';

afterEach(cleanup);

const CATEGORIES: readonly RetentionCategory[] = [
  'biometric_templates',
  'biometric_samples',
  'document_images',
  'decisions',
  'extracted_data',
];

/** For every default rule and category it names: the subjects whose rows its selector reaches. */
function reachedSubjects(vault: Vault): Map<string, Set<string | null>> {
  const db = vaultDb(vault);
  const reached = new Map<string, Set<string | null>>();
  for (const rule of defaultRules()) {
    const params = {
      cutoff: subtractIsoDuration(AS_OF, rule.after).toISOString(),
      purpose: rule.purpose ?? null,
    };
    for (const category of rule.categories) {
      if (!CATEGORIES.includes(category)) continue;
      const target = retentionTarget(rule, category);
      if (target.kind === 'audit' || target.kind === 'backups') continue;
      const ids = selectIds(db, target.select, params);
      const subjects =
        target.kind === 'subjects'
          ? ids
          : ids.map(
              (id) =>
                (
                  db.prepare(`SELECT subject_id FROM ${target.table} WHERE id = ?`).get(id) as {
                    subject_id: string | null;
                  }
                ).subject_id,
            );
      reached.set(`${rule.id}/${category}`, new Set(subjects));
    }
  }
  return reached;
}

function allSubjects(vault: Vault): string[] {
  return vaultDb(vault).prepare('SELECT id FROM subjects ORDER BY id').pluck().all() as string[];
}

describe('legal hold, one predicate for every destructive path', () => {
  it('spares a held subject in every selector, in a retention run and in destroySubjects', async () => {
    const { vault } = await scenarioVault();
    const subjects = allSubjects(vault);
    const before = reachedSubjects(vault);
    // Not vacuous: without holds the selectors reach subjects in every category.
    const reachedAny = [...before.values()].some((s) => [...s].some((id) => id !== null));
    expect(reachedAny).toBe(true);

    for (const id of subjects) vault.placeLegalHold(id, 'litigation', 'user:legal');
    for (const [key, reached] of reachedSubjects(vault)) {
      // Only rows never tied to a subject remain selectable.
      expect({ key, subjects: [...reached].filter((id) => id !== null) }).toEqual({
        key,
        subjects: [],
      });
    }

    const owned = ['subjects', 'biometric_templates', 'biometric_samples', 'document_images'];
    const digests = (): Record<string, string> => {
      const all = tableDigests(vault);
      return Object.fromEntries(owned.map((t) => [t, all[t]!]));
    };
    const kept = digests();
    const report = runRetention(vault, defaultRules(), { asOf: AS_OF });
    expect(report.heldSubjects).toBe(subjects.length);
    expect(digests()).toEqual(kept);

    const outcome = vault.destroySubjects(subjects, { actor: 'user:test', reason: 'test' });
    expect(outcome).toMatchObject({ destroyed: 0, missing: 0 });
    expect(outcome.held.sort()).toEqual(subjects);
    expect(allSubjects(vault)).toEqual(subjects);
  });

  it('lets a released subject go on every path', async () => {
    const { vault } = await scenarioVault();
    const [subject] = allSubjects(vault);
    const hold = vault.placeLegalHold(subject!, 'litigation', 'user:legal');
    expect(vault.destroySubject(subject!, { actor: 'user:test', reason: 'test' }).held).toEqual([
      subject,
    ]);
    vault.releaseLegalHold(hold, 'user:legal');
    expect(vault.destroySubject(subject!, { actor: 'user:test', reason: 'test' })).toMatchObject({
      destroyed: 1,
      held: [],
    });
  });

  it('builds its SQL from a column reference only, never from a value', () => {
    expect(underLegalHold('s.id')).toContain('h.subject_id = s.id');
    expect(notUnderLegalHold('x.subject_id')).toMatch(/^NOT EXISTS/);
    for (const bad of ['s.id OR 1=1', "'sub_1'", 'a.b.c', '']) {
      expect(() => underLegalHold(bad)).toThrow();
    }
  });
});
