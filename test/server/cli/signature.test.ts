import * as fs from 'node:fs';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import {
  formatJsonSignature,
  formatSvcSignature,
  parseSignature,
  type Signature,
} from '../../../server/biometrics/signature/index.js';
import { LOOPS, ZIGZAG, syntheticSignature } from '../biometrics/signature/synthetic.js';
import { cleanupDirs, cli, jsonLines, tempDir } from './helpers.js';
import { runBin } from './bin-helpers.js';

afterEach(cleanupDirs);

/** A marker that must never appear in any output: file contents are not echoed. */
const CONTENT_MARKER = 'ZZCONTENT';

function write(dir: string, name: string, content: string): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, content);
  return file;
}

function svc(dir: string, name: string, signature: Signature): string {
  return write(dir, name, formatSvcSignature(signature));
}

/** Five genuine-like enrolment files (one of them JSON, to exercise auto-detection). */
function enrolmentFiles(dir: string): string[] {
  return [1, 2, 3, 4, 5].map((seed) => {
    const signature = syntheticSignature(LOOPS, { seed });
    return seed === 3
      ? write(dir, `enrol${seed}.json`, formatJsonSignature(signature))
      : svc(dir, `enrol${seed}.txt`, signature);
  });
}

describe('verikiosk signature verify', () => {
  it('prints one JSON line per probe; a same-shape probe scores above a different shape', async () => {
    const dir = tempDir();
    const enrol = enrolmentFiles(dir);
    const genuine = svc(dir, 'genuine.txt', syntheticSignature(LOOPS, { seed: 101 }));
    const other = svc(dir, 'other.txt', syntheticSignature(ZIGZAG, { seed: 102 }));
    const run = await cli(['signature', 'verify', '--enrol', ...enrol, '--probe', genuine, other]);
    expect(run.code, run.stderr).toBe(0);
    const lines = jsonLines(run.stdout);
    expect(lines).toHaveLength(2);
    for (const [i, line] of lines.entries()) {
      expect(Object.keys(line).sort()).toEqual(['decision', 'file', 'score', 'threshold']);
      expect(line.file).toBe([genuine, other][i]);
      expect(line.score).toBeGreaterThan(0);
      expect(line.score).toBeLessThanOrEqual(1);
      expect(['accept', 'reject']).toContain(line.decision);
      expect(line.decision).toBe(
        (line.score as number) >= (line.threshold as number) ? 'accept' : 'reject',
      );
    }
    expect(lines[0]!.score as number).toBeGreaterThan(lines[1]!.score as number);
  });

  it('--explain adds the reviewer explanation', async () => {
    const dir = tempDir();
    const probe = svc(dir, 'probe.txt', syntheticSignature(LOOPS, { seed: 7 }));
    const run = await cli([
      'signature',
      'verify',
      '--explain',
      '--enrol',
      ...enrolmentFiles(dir),
      '--probe',
      probe,
    ]);
    expect(run.code, run.stderr).toBe(0);
    const [line] = jsonLines(run.stdout);
    expect(line).toHaveProperty('explanation.duration.probeMs');
    expect(line).toHaveProperty('explanation.length.probeMm');
  });

  it('--adapt adds each accepted probe to the template for the probes after it', async () => {
    const dir = tempDir();
    // The enrolled shape as its signer writes it later: accepted, but less like the enrolment.
    const drifted = (seed: number) =>
      syntheticSignature(
        (u) => {
          const p = LOOPS(u);
          return { x: p.x + 3 * Math.sin(3 * Math.PI * u), y: 0.85 * p.y, p: p.p };
        },
        { seed },
      );
    const probes = [
      svc(dir, 'later1.txt', drifted(31)),
      svc(dir, 'other.txt', syntheticSignature(ZIGZAG, { seed: 102 })),
      svc(dir, 'later2.txt', drifted(32)),
      svc(dir, 'later3.txt', drifted(33)),
    ];
    const enrol = enrolmentFiles(dir);
    const plain = await cli(['signature', 'verify', '--enrol', ...enrol, '--probe', ...probes]);
    const adapting = await cli([
      'signature',
      'verify',
      '--adapt',
      '--enrol',
      ...enrol,
      '--probe',
      ...probes,
    ]);
    expect(adapting.code, adapting.stderr).toBe(0);
    const without = jsonLines(plain.stdout);
    const lines = jsonLines(adapting.stdout);
    expect(lines.map((l) => [l.decision, l.adapted])).toEqual([
      ['accept', true],
      ['reject', false],
      ['accept', true],
      ['accept', true],
    ]);
    expect(without[0]).not.toHaveProperty('adapted');
    // The first probe meets the enrolment alone; the later ones meet the adapted template.
    expect(lines[0]!.score).toBe(without[0]!.score);
    expect(lines[3]!.score as number).toBeGreaterThan((without[3]!.score as number) + 0.02);
  });

  it('answers unreadable, malformed and poor-quality probes with an error line and exits 1', async () => {
    const dir = tempDir();
    const good = svc(dir, 'good.txt', syntheticSignature(LOOPS, { seed: 11 }));
    const malformed = write(dir, 'bad.txt', `3\n1 2 3 0\n1 ${CONTENT_MARKER} 3 1\n1 2 3 1\n`);
    const dot = svc(dir, 'dot.txt', {
      device: syntheticSignature(LOOPS, { seed: 1 }).device,
      samples: Array.from({ length: 40 }, (_, i) => ({
        x: 1000,
        y: 1000,
        pressure: 500,
        t: i * 10,
        penDown: true,
        strokeStart: i === 0,
      })),
    });
    const missing = path.join(dir, 'missing.txt');
    const run = await cli([
      'signature',
      'verify',
      '--enrol',
      ...enrolmentFiles(dir),
      '--probe',
      malformed,
      good,
      dot,
      missing,
    ]);
    expect(run.code, run.stderr).toBe(1);
    expect(run.stdout + run.stderr).not.toContain(CONTENT_MARKER);
    const lines = jsonLines(run.stdout);
    expect(lines.map((l) => l.file)).toEqual([malformed, good, dot, missing]);
    expect(lines[0]).toMatchObject({ error: { code: 'malformed', line: 3 } });
    expect((lines[0]!.error as { message: string }).message).toMatch(/line 3/);
    expect(lines[1]).toHaveProperty('score');
    expect(lines[2]).toMatchObject({ error: { code: 'poor_quality' } });
    expect((lines[2]!.error as { reasons: string[] }).reasons).toContain('single_dot');
    expect(lines[3]).toMatchObject({ error: { code: 'unreadable' } });
  });

  it('refuses bad enrolment with exit 2, naming file and line but never the content', async () => {
    const dir = tempDir();
    const enrol = enrolmentFiles(dir);
    const probe = svc(dir, 'probe.txt', syntheticSignature(LOOPS, { seed: 9 }));
    const malformed = write(dir, 'bad.txt', `2\n1 2 3 0\n${CONTENT_MARKER} 2 3 1\n`);
    const bad = await cli([
      'signature',
      'verify',
      '--enrol',
      ...enrol.slice(0, 3),
      malformed,
      '--probe',
      probe,
    ]);
    expect(bad.code).toBe(2);
    expect(bad.stdout).toBe('');
    expect(bad.stderr).toContain(malformed);
    expect(bad.stderr).toMatch(/line 3/);
    expect(bad.stderr).not.toContain(CONTENT_MARKER);

    const missing = await cli([
      'signature',
      'verify',
      '--enrol',
      ...enrol.slice(0, 4),
      path.join(dir, 'nope.txt'),
      '--probe',
      probe,
    ]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/cannot be read/);

    const tooFew = await cli([
      'signature',
      'verify',
      '--enrol',
      ...enrol.slice(0, 2),
      '--probe',
      probe,
    ]);
    expect(tooFew.code).toBe(2);
    expect(tooFew.stderr).toMatch(/3 to 5/);

    const noProbe = await cli(['signature', 'verify', '--enrol', ...enrol]);
    expect(noProbe.code).toBe(2);

    const twice = await cli([
      'signature',
      'verify',
      '--enrol',
      ...enrol.slice(0, 4),
      enrol[1]!,
      '--probe',
      probe,
    ]);
    expect(twice.code).toBe(2);
    expect(twice.stderr).toMatch(/repeats another one/);
  });

  it('answers a probe declaring a resolution no pad has with invalid_input, not a score', async () => {
    const dir = tempDir();
    const other = syntheticSignature(ZIGZAG, { seed: 102 });
    const forged = write(
      dir,
      'forged.json',
      formatJsonSignature({
        ...other,
        device: { ...other.device, resolution: { value: 1e-300, unit: 'ppmm' } },
      }),
    );
    const run = await runBin([
      'signature',
      'verify',
      '--enrol',
      ...enrolmentFiles(dir),
      '--probe',
      forged,
    ]);
    expect(run.code, run.stderr).toBe(1);
    const [line] = jsonLines(run.stdout);
    expect(line).toEqual({
      file: forged,
      error: {
        code: 'invalid_input',
        message: 'it is not what a signature pad produces',
        problem: 'unknown_device',
      },
    });
  });

  it('refuses with exit 2 an enrolment of three different writers, naming a file', async () => {
    const dir = tempDir();
    const spiral = (u: number) => ({
      x: 20 * u * Math.cos(5 * Math.PI * u) + 25,
      y: 10 * u * Math.sin(5 * Math.PI * u),
      p: 0.4 + 0.4 * u,
    });
    const files = [LOOPS, ZIGZAG, spiral].map((shape, i) =>
      svc(dir, `writer${i + 1}.txt`, syntheticSignature(shape, { seed: 30 + i })),
    );
    const probe = svc(dir, 'probe.txt', syntheticSignature(LOOPS, { seed: 9 }));
    const run = await runBin(['signature', 'verify', '--enrol', ...files, '--probe', probe]);
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toMatch(/writer\d\.txt is too unlike the others/);
  });

  it('answers a probe that repeats an enrolment file as a replay and exits 1', async () => {
    const dir = tempDir();
    const enrol = enrolmentFiles(dir);
    const fresh = svc(dir, 'fresh.txt', syntheticSignature(LOOPS, { seed: 9 }));
    const run = await cli([
      'signature',
      'verify',
      '--enrol',
      ...enrol,
      '--probe',
      enrol[0]!,
      fresh,
    ]);
    expect(run.code).toBe(1);
    const [replay, ok] = jsonLines(run.stdout);
    expect(replay).toMatchObject({
      file: enrol[0],
      error: { code: 'replayed', closestReference: 0 },
    });
    expect(ok).toMatchObject({ file: fresh, decision: 'accept' });
  });
});

describe('verikiosk signature render', () => {
  it('writes an SVG and a PNG of a signature file', async () => {
    const dir = tempDir();
    const signature = syntheticSignature(LOOPS, { seed: 21 });
    const input = svc(dir, 'sig.txt', signature);
    const svg = path.join(dir, 'sig.svg');
    const png = path.join(dir, 'sig.png');
    const run = await cli([
      'signature',
      'render',
      input,
      '--svg',
      svg,
      '--png',
      png,
      '--width',
      '300',
    ]);
    expect(run.code, run.stderr).toBe(0);
    const svgText = fs.readFileSync(svg, 'utf8');
    expect(svgText).toMatch(/^<svg [^>]*viewBox="0 0 300 /);
    const strokes = parseSignature(fs.readFileSync(input, 'utf8')).samples.filter(
      (s) => s.strokeStart,
    ).length;
    expect(svgText.match(/<path /g)).toHaveLength(strokes);
    const bytes = fs.readFileSync(png);
    expect([...bytes.subarray(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    expect(bytes.readUInt32BE(16)).toBe(300);
    // IHDR is 8 + 25 bytes; the IDAT follows it.
    const idatLength = bytes.readUInt32BE(33);
    expect(bytes.subarray(37, 41).toString('latin1')).toBe('IDAT');
    const raw = zlib.inflateSync(bytes.subarray(41, 41 + idatLength));
    expect(raw.some((v, i) => i % 301 !== 0 && v < 128)).toBe(true);
  });

  it('refuses no output, an existing output without --force, a bad size and a malformed file', async () => {
    const dir = tempDir();
    const input = svc(dir, 'sig.txt', syntheticSignature(LOOPS, { seed: 22 }));
    const out = write(dir, 'exists.png', 'x');
    expect((await cli(['signature', 'render', input])).code).toBe(2);
    const exists = await cli(['signature', 'render', input, '--png', out]);
    expect(exists.code).toBe(2);
    expect(exists.stderr).toMatch(/already exists/);
    expect(fs.readFileSync(out, 'utf8')).toBe('x');
    expect((await cli(['signature', 'render', input, '--png', out, '--force'])).code).toBe(0);
    expect(fs.readFileSync(out).subarray(1, 4).toString('latin1')).toBe('PNG');
    const size = await cli([
      'signature',
      'render',
      input,
      '--svg',
      path.join(dir, 'a.svg'),
      '--width',
      '0',
    ]);
    expect(size.code).toBe(2);
    const malformed = write(dir, 'bad.txt', `1\n${CONTENT_MARKER}\n`);
    const bad = await cli(['signature', 'render', malformed, '--svg', path.join(dir, 'b.svg')]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/line 2/);
    expect(bad.stderr).not.toContain(CONTENT_MARKER);
  });
});
