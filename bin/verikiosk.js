#!/usr/bin/env node
// The CLI entry. From a source checkout it runs the TypeScript sources through tsx; a packaged
// build (no sources beside it) runs the compiled dist/.
import { existsSync } from 'node:fs';

const source = new URL('../server/cli/run.ts', import.meta.url);
if (existsSync(source)) {
  const { register } = await import('tsx/esm/api');
  register();
  await import(source.href);
} else {
  await import(new URL('../dist/server/cli/run.js', import.meta.url).href);
}
