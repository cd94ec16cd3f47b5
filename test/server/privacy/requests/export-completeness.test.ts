/**
 * Export completeness over the schema: every table that references a subject (a `subject_id` or
 * `subject_ref`, a foreign key to subjects or to verifications, a `…verification_id` column) is
 * either read by the export or left out with a stated reason. A table added later that references
 * a subject fails this test until the export covers it or says why not.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { EXPORT_EXCLUDED, EXPORT_SECTIONS } from '../../../../server/privacy/requests/index.js';
import { subjectReferencingTables } from '../../../../server/privacy/requests/export.js';
import { migrate, openWritableDb, type WritableDb } from '../../../../server/vault/index.js';
import { cleanupDirs, tempDir } from '../../cli/helpers.js';
import Database from 'better-sqlite3';

afterEach(() => cleanupDirs());

function latestSchema(): WritableDb {
  const db = new Database(':memory:') as unknown as WritableDb;
  db.pragma('foreign_keys = ON');
  migrate(db);
  return db;
}

describe('the export covers every table that references a subject', () => {
  it('lists each referencing table as exported or excluded with a reason', () => {
    const db = latestSchema();
    const referencing = subjectReferencingTables(db);
    const covered = new Set(EXPORT_SECTIONS.map((s) => s.table));
    const uncovered = [...referencing.keys()].filter(
      (table) => !covered.has(table) && !Object.hasOwn(EXPORT_EXCLUDED, table),
    );
    expect(uncovered, 'tables referencing a subject that the export ignores').toEqual([]);
    for (const [table, reason] of Object.entries(EXPORT_EXCLUDED)) {
      expect(referencing.has(table), `${table} is excluded but references no subject`).toBe(true);
      expect(reason.length, table).toBeGreaterThan(20);
    }
    // Sanity: the walk finds what it should.
    for (const table of [
      'documents',
      'biometric_templates',
      'reviews',
      'verification_captures',
      'fraud_list_entries',
      'privacy_requests',
      // Event payloads name subjects and verifications inside JSON.
      'events',
      'webhook_deliveries',
    ]) {
      expect(referencing.has(table), table).toBe(true);
    }
  });

  it('fails for a new table that references a subject until it is covered', () => {
    const db = latestSchema();
    db.exec(
      'CREATE TABLE zz_new_captures (id TEXT PRIMARY KEY, subject_id TEXT REFERENCES subjects (id) ON DELETE CASCADE) STRICT',
    );
    db.exec('CREATE TABLE zz_new_checks (id TEXT PRIMARY KEY, source_verification_id TEXT) STRICT');
    db.exec('CREATE TABLE zz_new_outbox (id INTEGER PRIMARY KEY, payload TEXT NOT NULL) STRICT');
    const covered = new Set(EXPORT_SECTIONS.map((s) => s.table));
    const uncovered = [...subjectReferencingTables(db).keys()].filter(
      (table) => !covered.has(table) && !Object.hasOwn(EXPORT_EXCLUDED, table),
    );
    expect(uncovered.sort()).toEqual(['zz_new_captures', 'zz_new_checks', 'zz_new_outbox']);
  });

  it('reads every covered table with valid SQL and only known columns (each section runs against the schema)', () => {
    const dir = tempDir('vk-export-');
    const db = openWritableDb(`${dir}/v.db`, { create: true });
    try {
      for (const section of EXPORT_SECTIONS) {
        const columns = db
          .prepare('SELECT name FROM pragma_table_info(?)')
          .pluck()
          .all(section.table) as string[];
        expect(columns, section.table).toContain(section.idColumn);
        for (const c of [
          ...Object.keys(section.sealed ?? {}),
          ...(section.omit ?? []),
          ...(section.json ?? []),
        ]) {
          expect(columns, `${section.table}.${c}`).toContain(c);
        }
        // Every sealed column of the table is either exported or omitted on purpose.
        for (const c of columns.filter((c) => c.endsWith('_enc'))) {
          expect(
            Object.hasOwn(section.sealed ?? {}, c) || (section.omit ?? []).includes(c),
            `${section.table}.${c} is neither exported nor omitted`,
          ).toBe(true);
        }
        db.prepare(`SELECT * FROM ${section.table} WHERE ${section.where}`).all({
          subject: 'sub_x',
          verifications: '[]',
        });
      }
    } finally {
      db.close();
    }
  });
});
