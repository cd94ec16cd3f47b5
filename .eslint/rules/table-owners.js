// Enforces "capabilities own their tables" (shared/STYLE.md, Storage): SQL that names an owned
// table may appear only in its owner's store; a few named readers may read it, never write it.
// A string (or template literal) is taken for SQL when it names the table after a SQL keyword
// (FROM, JOIN, INTO, UPDATE, TABLE): a mere mention ('fraud_list_entries' as an audit field ref or
// a category) is not SQL. Migrations (server/vault/migrations/) and files outside server/ are exempt.
//
// Options: [{ root, tables: { <table>: { owner: 'server/x/store.ts', readers?: [paths] } } }]

import path from 'node:path';

/**
 * The owned tables (eslint.config.js passes these): a table whose SQL once sat in two stores
 * goes here when it gets its one owner.
 */
export const TABLE_OWNERS = {
  fraud_list_entries: {
    owner: 'server/fraud/store.ts',
    // Read-only lookups of the list: the document checks (DOC-4) and a data subject's export.
    readers: ['server/documents/checks/store.ts', 'server/privacy/requests/store.ts'],
  },
};

/** @param {string} p */
const toPosix = (p) => p.split(path.sep).join('/');

/** @param {string} table */
function patterns(table) {
  const name = `["\`]?${table}["\`]?\\b`;
  return {
    // `FROM a, t` and `JOIN t` read; INSERT/REPLACE INTO, UPDATE, DELETE FROM write.
    any: new RegExp(
      `\\b(?:FROM|JOIN|INTO|UPDATE|TABLE)\\s+(?:[\\w"\`]+\\s*(?:\\w+\\s*)?,\\s*)*${name}`,
      'i',
    ),
    write: new RegExp(
      `\\b(?:(?:INSERT|REPLACE)(?:\\s+OR\\s+\\w+)?\\s+INTO|UPDATE(?:\\s+OR\\s+\\w+)?|DELETE\\s+FROM|ALTER\\s+TABLE|DROP\\s+TABLE)\\s+${name}`,
      'i',
    ),
  };
}

/** @type {import('eslint').Rule.RuleModule} */
const rule = {
  meta: {
    type: 'problem',
    docs: { description: 'SQL on an owned table only in its owner store (readers may read)' },
    schema: [
      {
        type: 'object',
        properties: {
          root: { type: 'string' },
          tables: {
            type: 'object',
            additionalProperties: {
              type: 'object',
              properties: {
                owner: { type: 'string' },
                readers: { type: 'array', items: { type: 'string' } },
              },
              required: ['owner'],
              additionalProperties: false,
            },
          },
        },
        additionalProperties: false,
      },
    ],
    messages: {
      notOwner:
        "SQL on {{table}} belongs in {{owner}} (its owner's store); call the store's functions (or the interface it implements) instead",
      readerWrites:
        '{{file}} may read {{table}} but not write it; writes go through {{owner}} (its owner)',
    },
  },

  create(context) {
    /** @type {{ root?: string, tables?: Record<string, { owner: string, readers?: string[] }> }} */
    const options = context.options[0] ?? {};
    const root = path.resolve(context.cwd, options.root ?? context.cwd);
    const filename = context.filename;
    if (!filename || filename.startsWith('<')) return {};
    const file = toPosix(path.relative(root, path.resolve(context.cwd, filename)));
    if (!file.startsWith('server/') || file.startsWith('server/vault/migrations/')) return {};
    const checks = Object.entries(options.tables ?? {})
      .filter(([, t]) => t.owner !== file)
      .map(([table, t]) => ({
        table,
        owner: t.owner,
        reader: (t.readers ?? []).includes(file),
        ...patterns(table),
      }));
    if (checks.length === 0) return {};

    /** @param {import('estree').Node} node @param {string} text */
    function check(node, text) {
      for (const c of checks) {
        if (!c.any.test(text) && !c.write.test(text)) continue;
        if (!c.reader) {
          context.report({ node, messageId: 'notOwner', data: { table: c.table, owner: c.owner } });
        } else if (c.write.test(text)) {
          context.report({
            node,
            messageId: 'readerWrites',
            data: { table: c.table, owner: c.owner, file },
          });
        }
      }
    }

    return {
      Literal(node) {
        if (typeof node.value === 'string') check(node, node.value);
      },
      TemplateLiteral(node) {
        check(node, node.quasis.map((q) => q.value.cooked ?? q.value.raw).join(' ? '));
      },
    };
  },
};

export default rule;
