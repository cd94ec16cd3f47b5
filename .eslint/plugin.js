// The project's local ESLint plugin, registered as `verikiosk` in eslint.config.js.
import importBoundaries from './rules/import-boundaries.js';
import tableOwners from './rules/table-owners.js';

/** @type {import('eslint').ESLint.Plugin} */
const plugin = {
  meta: { name: 'verikiosk' },
  rules: {
    'import-boundaries': importBoundaries,
    'table-owners': tableOwners,
  },
};

export default plugin;
