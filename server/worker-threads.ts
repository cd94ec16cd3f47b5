/**
 * Starting a worker thread from a module of this tree: the compiled `.js` beside the caller in a
 * packaged build, or the TypeScript source through tsx's ESM register API in a source checkout
 * (the same bootstrap as the face engine's pool).
 */
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker, type WorkerOptions } from 'node:worker_threads';

const require = createRequire(import.meta.url);

function tsxEsmApi(): string {
  const manifest = require.resolve('tsx/package.json');
  const pkg = JSON.parse(fs.readFileSync(manifest, 'utf8')) as {
    exports: Record<string, { import?: { default?: string } }>;
  };
  const entry = pkg.exports['./esm/api']?.import?.default;
  if (entry === undefined) throw new Error('tsx has no ESM register API');
  return path.join(path.dirname(manifest), entry);
}

/** A worker running `<name>.js` (built) or `<name>.ts` (source) next to `callerUrl`. */
export function spawnModuleWorker(
  callerUrl: string,
  name: string,
  options: Omit<WorkerOptions, 'eval'> = {},
): Worker {
  if (!callerUrl.endsWith('.ts')) return new Worker(new URL(`./${name}.js`, callerUrl), options);
  const tsx = pathToFileURL(tsxEsmApi()).href;
  const target = new URL(`./${name}.ts`, callerUrl).href;
  const bootstrap = `import(${JSON.stringify(tsx)}).then((m) => { m.register(); return import(${JSON.stringify(target)}); });`;
  return new Worker(bootstrap, { ...options, eval: true });
}
