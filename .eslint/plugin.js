// The project's local ESLint plugin, registered as `verikiosk` in eslint.config.js.
import importBoundaries from './rules/import-boundaries.js';

/** @type {import('eslint').ESLint.Plugin} */
const plugin = {
  meta: { name: 'verikiosk' },
  rules: {
    'import-boundaries': importBoundaries,
  },
};

export default plugin;
