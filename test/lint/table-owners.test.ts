/**
 * verikiosk/table-owners (.eslint/rules/table-owners.js): SQL on an owned table only in its
 * owner's store. `fraud_list_entries` was written by two stores (server/fraud/store.ts and the
 * face search's fraud-list-store.ts); server/fraud owns it now and the face search reaches the
 * rows through the FraudFaceRows interface the owner implements.
 */
import * as fs from 'node:fs';
import path from 'node:path';

import { Linter, RuleTester } from 'eslint';
import tseslint from 'typescript-eslint';
import { describe, expect, it } from 'vitest';

import rule, { TABLE_OWNERS } from '../../.eslint/rules/table-owners.js';

RuleTester.describe = describe;
RuleTester.it = it;
RuleTester.itOnly = it.only;

const root = path.resolve('/repo');
const options = [{ root, tables: TABLE_OWNERS }];
const ruleTester = new RuleTester({
  languageOptions: { parser: tseslint.parser, ecmaVersion: 'latest', sourceType: 'module' },
});
const at = (file: string, code: string) => ({ code, filename: path.join(root, file), options });

describe('verikiosk/table-owners', () => {
  ruleTester.run('table-owners', rule, {
    valid: [
      at('server/fraud/store.ts', 'db.prepare(`UPDATE fraud_list_entries SET removed_at = ?`);'),
      at('server/fraud/store.ts', "db.prepare('INSERT INTO fraud_list_entries (id) VALUES (?)');"),
      at(
        'server/documents/checks/store.ts',
        'const SQL = `SELECT 1 FROM fraud_list_entries WHERE id = ?`;',
      ),
      at(
        'server/vault/migrations/001-initial.ts',
        "const sql = 'CREATE TABLE fraud_list_entries (id TEXT)';",
      ),
      // A mention that is not SQL: a sealed field's reference, a category name.
      at(
        'server/biometrics/face/search/fraud-list.ts',
        "const ref = { table: 'fraud_list_entries', column: 'template_enc' };",
      ),
      at('server/privacy/requests/service.ts', "const row = { category: 'fraud_list_entries' };"),
      // Tests and tools are not checked.
      at('test/server/fraud.test.ts', "db.prepare('DELETE FROM fraud_list_entries');"),
    ],
    invalid: [
      {
        ...at(
          'server/biometrics/face/search/fraud-list-store.ts',
          "db.prepare(`INSERT INTO fraud_list_entries\n (id, list) VALUES (?, 'face')`);",
        ),
        errors: [{ messageId: 'notOwner' }],
      },
      {
        ...at(
          'server/biometrics/face/search/face-search.ts',
          'db.prepare(`SELECT f.id FROM fraud_list_entries f, json_each(@ids) AS wanted WHERE f.id = ${x}`);',
        ),
        errors: [{ messageId: 'notOwner' }],
      },
      {
        ...at(
          'server/cases/store.ts',
          'db.prepare("SELECT id FROM cases c JOIN fraud_list_entries f ON 1");',
        ),
        errors: [{ messageId: 'notOwner' }],
      },
      {
        ...at(
          'server/documents/checks/store.ts',
          "db.prepare('UPDATE fraud_list_entries SET list = ?');",
        ),
        errors: [{ messageId: 'readerWrites' }],
      },
      {
        ...at(
          'server/privacy/requests/store.ts',
          "db.prepare('DELETE FROM fraud_list_entries WHERE 1');",
        ),
        errors: [{ messageId: 'readerWrites' }],
      },
    ],
  });
});

/** Every .ts file under `dir` (project-relative), recursively. */
function sources(dir: string): string[] {
  return fs
    .readdirSync(path.resolve(dir), { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith('.ts'))
    .map((entry) => path.relative(process.cwd(), path.join(entry.parentPath, entry.name)));
}

describe('the tree as it is', () => {
  it('server/biometrics/ has no SQL on fraud_list_entries (the face search calls the owner’s store)', () => {
    const linter = new Linter({ configType: 'flat', cwd: process.cwd() });
    const config = [
      {
        files: ['**/*.ts'],
        languageOptions: {
          parser: tseslint.parser,
          ecmaVersion: 'latest' as const,
          sourceType: 'module' as const,
        },
        plugins: { verikiosk: { rules: { 'table-owners': rule } } },
        rules: {
          'verikiosk/table-owners': ['error', { root: process.cwd(), tables: TABLE_OWNERS }],
        },
      },
    ] as Linter.Config[];
    const files = sources('server/biometrics');
    expect(files.length).toBeGreaterThan(10);
    const found = files.flatMap((file) =>
      linter
        .verify(fs.readFileSync(file, 'utf8'), config, { filename: path.resolve(file) })
        // Directives naming the project's other rules are not this linter's concern.
        .filter((m) => m.fatal === true || m.ruleId === 'verikiosk/table-owners')
        .map((m) => `${file}:${m.line} ${m.ruleId ?? 'parse'}: ${m.message}`),
    );
    expect(found).toEqual([]);
  });
});
