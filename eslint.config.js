import { existsSync } from 'node:fs';
import path from 'node:path';

import js from '@eslint/js';
import prettier from 'eslint-config-prettier/flat';
import { defineConfig, globalIgnores } from 'eslint/config';
import globals from 'globals';
import tseslint from 'typescript-eslint';

import verikiosk from './.eslint/plugin.js';
import { TABLE_OWNERS } from './.eslint/rules/table-owners.js';

const root = import.meta.dirname;
const typescriptFiles = ['**/*.{ts,mts,cts,tsx}'];

// Type-aware rules need every linted TypeScript file in a tsconfig.json. The root one covers
// server/, device/, main/ and test/; renderer/ (DOM, Vite) is covered once it has its own
// tsconfig.json, and until then is linted without type information, like the typings of .eslint/.
const untypedTypescriptFiles = [
  '.eslint/**/*.d.ts',
  ...(existsSync(path.join(root, 'renderer', 'tsconfig.json'))
    ? []
    : ['renderer/**/*.{ts,mts,cts,tsx}']),
];

export default defineConfig(
  globalIgnores(['**/dist/', '**/coverage/', '**/node_modules/'], 'verikiosk/ignores'),

  js.configs.recommended,
  {
    name: 'verikiosk/javascript',
    files: ['**/*.{js,mjs,cjs}'],
    languageOptions: { globals: globals.node },
  },

  {
    name: 'verikiosk/typescript',
    files: typescriptFiles,
    extends: [tseslint.configs.recommendedTypeChecked],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: root },
    },
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      // verbatimModuleSyntax keeps every import that is not marked `type`.
      '@typescript-eslint/consistent-type-imports': [
        'error',
        { prefer: 'type-imports', fixStyle: 'separate-type-imports' },
      ],
      // `import { type A } from 'x'` still loads 'x' under verbatimModuleSyntax: write `import type`.
      '@typescript-eslint/no-import-type-side-effects': 'error',
      '@typescript-eslint/no-floating-promises': 'error',
      // `import x = require('…')` is how a .cts file (the Electron preload) imports under
      // verbatimModuleSyntax; a bare require() stays forbidden.
      '@typescript-eslint/no-require-imports': ['error', { allowAsImport: true }],
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrorsIgnorePattern: '^_' },
      ],
    },
  },
  {
    ...tseslint.configs.disableTypeChecked,
    name: 'verikiosk/typescript-without-types',
    files: untypedTypescriptFiles,
  },

  {
    name: 'verikiosk/tests',
    files: ['test/**/*.{ts,mts,cts,tsx}'],
    rules: {
      // Tests poke at parsed JSON and mocks; the code under test keeps the strict rules.
      '@typescript-eslint/no-non-null-assertion': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/unbound-method': 'off',
      '@typescript-eslint/require-await': 'off',
    },
  },

  {
    name: 'verikiosk/rules',
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    plugins: { verikiosk },
    rules: {
      'no-console': 'off',
      'verikiosk/import-boundaries': ['error', { root }],
      'verikiosk/table-owners': ['error', { root, tables: TABLE_OWNERS }],
    },
  },

  prettier,
);
