import { defineConfig } from 'vite';

/**
 * The renderer's build: three pages (kiosk, staff console, admin) sharing renderer/shared, built
 * into dist/renderer and served by the core (server/api/ui.ts). Preact's JSX through Vite's own
 * transform (oxc), so no plugin is needed. Assets are content-hashed under /assets/ (served
 * immutable); each page's index.html is served uncached.
 */
// This folder, without node:path (renderer/ imports no Node modules, lint).
const root = decodeURIComponent(new URL('.', import.meta.url).pathname).replace(/\/$/, '');

export default defineConfig({
  root,
  base: '/',
  logLevel: 'warn',
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  build: {
    outDir: `${root}/../dist/renderer`,
    emptyOutDir: true,
    target: 'es2022',
    // No inline <script> or data: modules: the pages run under a CSP without 'unsafe-inline'.
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
    reportCompressedSize: false,
    rolldownOptions: {
      input: {
        kiosk: `${root}/kiosk/index.html`,
        staff: `${root}/staff/index.html`,
        admin: `${root}/admin/index.html`,
      },
    },
  },
});
