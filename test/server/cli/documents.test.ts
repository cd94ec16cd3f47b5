import * as fs from 'node:fs';
import * as path from 'node:path';
import type { PassThrough } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { main } from '../../../server/cli/index.js';
import { v10Payload } from '../documents/aamva/build.js';
import { td3 } from '../documents/mrz/builders.js';
import { cleanupDirs, cli, jsonLines, parseJson, tempDir, testIo } from './helpers.js';

afterEach(cleanupDirs);

describe('verikiosk doc read', () => {
  it('--mrz prints the canonical record; an invalid MRZ exits 1', async () => {
    const run = await cli(['doc', 'read', '--mrz', td3().join('\\n')]);
    expect(run.code, run.stderr).toBe(0);
    const record = parseJson(run);
    expect(record).toMatchObject({ kind: 'mrz', format: 'TD3', surname: 'ERIKSSON', valid: true });
    const bad = await cli(['doc', 'read', '--mrz', 'NOT AN MRZ']);
    expect(bad.code).toBe(1);
    expect(parseJson(bad)).toMatchObject({ valid: false });
  });

  it('--barcode reads a payload file; a missing file exits 2', async () => {
    const file = path.join(tempDir(), 'dl.txt');
    fs.writeFileSync(file, v10Payload());
    const run = await cli(['doc', 'read', '--barcode', file]);
    expect(run.code, run.stderr).toBe(0);
    expect(parseJson(run)).toMatchObject({ kind: 'aamva', format: 'AAMVA', valid: true });
    const missing = await cli(['doc', 'read', '--barcode', `${file}.nope`]);
    expect(missing.code).toBe(2);
  });

  it('--jsonl answers one record a line in one process, and a bad line with an error', async () => {
    const io = testIo();
    const stdin = io.stdin as PassThrough;
    stdin.end(
      [
        JSON.stringify({ mrz: td3().join('\n') }),
        JSON.stringify({ barcode: v10Payload() }),
        'not json',
        JSON.stringify({ image: 'x.png' }),
      ].join('\n'),
    );
    expect(await main(['doc', 'read', '--jsonl'], io)).toBe(0);
    await new Promise((resolve) => setImmediate(resolve));
    const lines = jsonLines(io.out());
    expect(lines).toHaveLength(4);
    expect(lines[0]).toMatchObject({ kind: 'mrz', valid: true });
    expect(lines[1]).toMatchObject({ kind: 'aamva', valid: true });
    expect(lines[2]).toEqual({ error: 'line 3: not JSON' });
    expect(lines[3]?.error).toMatch(/line 4/);
  });

  it('refuses no source or two sources with exit 2', async () => {
    expect((await cli(['doc', 'read'])).code).toBe(2);
    expect((await cli(['doc', 'read', '--mrz', 'x', '--jsonl'])).code).toBe(2);
  });
});
