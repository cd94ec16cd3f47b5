import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  formatSvcSignature,
  type Signature,
} from '../../../../server/biometrics/signature/index.js';
import { cleanupDirs, jsonLines, tempDir } from '../../cli/helpers.js';
import { DRIFTED, LOOPS, ZIGZAG, syntheticSignature } from './synthetic.js';
import { runBin } from '../../cli/bin-helpers.js';

afterEach(cleanupDirs);

function svc(dir: string, name: string, signature: Signature): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, formatSvcSignature(signature));
  return file;
}

describe('verikiosk signature verify --second-visit', () => {
  it('adds the accepted second-visit files before scoring the probes, one line per file', async () => {
    const dir = tempDir();
    const enrol = [1, 2, 3, 4, 5].map((seed) =>
      svc(dir, `enrol${seed}.txt`, syntheticSignature(LOOPS, { seed })),
    );
    const visit = [
      svc(dir, 'visit1.txt', syntheticSignature(DRIFTED, { seed: 21 })),
      svc(dir, 'visit2.txt', syntheticSignature(ZIGZAG, { seed: 12 })),
      svc(dir, 'visit3.txt', syntheticSignature(DRIFTED, { seed: 22 })),
    ];
    const probe = svc(dir, 'probe.txt', syntheticSignature(DRIFTED, { seed: 24 }));
    const plain = await runBin(['signature', 'verify', '--enrol', ...enrol, '--probe', probe]);
    const extended = await runBin([
      'signature',
      'verify',
      '--enrol',
      ...enrol,
      '--second-visit',
      ...visit,
      '--probe',
      probe,
    ]);
    expect(plain.code).toBe(0);
    expect(extended.code).toBe(0);
    const lines = jsonLines(extended.stdout);
    expect(lines.slice(0, 3)).toEqual([
      { file: visit[0], secondVisit: 'joined' },
      { file: visit[1], secondVisit: 'refused', reason: 'not_accepted' },
      { file: visit[2], secondVisit: 'joined' },
    ]);
    const [before] = jsonLines<{ score: number }>(plain.stdout);
    expect(lines[3]).toMatchObject({ file: probe, decision: 'accept' });
    expect((lines[3] as { score: number }).score).toBeGreaterThan(before!.score);
  });

  it('refuses with exit 2 a second visit of more than five signatures, printing no score', async () => {
    const dir = tempDir();
    const enrol = [1, 2, 3].map((seed) =>
      svc(dir, `enrol${seed}.txt`, syntheticSignature(LOOPS, { seed })),
    );
    const visit = [21, 22, 23, 24, 25, 26].map((seed) =>
      svc(dir, `visit${seed}.txt`, syntheticSignature(DRIFTED, { seed })),
    );
    const run = await runBin([
      'signature',
      'verify',
      '--enrol',
      ...enrol,
      '--second-visit',
      ...visit,
      '--probe',
      enrol[0]!,
    ]);
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain('a second visit needs 1 to 5 signatures, got 6');
  });
});
