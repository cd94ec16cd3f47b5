/**
 * `npm run conformance [-- --data DIR]`: scores the document parsers on the public vectors
 * (default: the development data's `documents`, see test/support/dev-data.ts) and prints per-format results. It reports, it does not
 * gate: held-out data judges the parsers, and these vectors are for development.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

import { runAamvaConformance } from './aamva.js';
import { runMrzConformance } from './mrz.js';
import { devDataPath } from '../support/dev-data.js';

function dataDir(argv: readonly string[]): string {
  const at = argv.indexOf('--data');
  const given = at >= 0 ? argv[at + 1] : undefined;
  return path.resolve(given ?? devDataPath('documents'));
}

const dir = dataDir(process.argv.slice(2));
if (!fs.existsSync(path.join(dir, 'mrz.json'))) {
  console.log(`conformance: no vectors at ${dir} (pass --data DIR); skipped`);
} else {
  console.log(`Document parser conformance on ${dir}\n`);
  const mrz = await runMrzConformance(dir);
  console.log(mrz.lines.join('\n'));
  console.log();
  const aamva = await runAamvaConformance(dir);
  console.log(aamva.lines.join('\n'));
}
