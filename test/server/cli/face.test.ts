import * as fs from 'node:fs';
import * as path from 'node:path';
import type { PassThrough } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { main } from '../../../server/cli/index.js';
import { itWithDevData } from '../../support/with-dev-data.js';
import { MODEL_TIMEOUT, devImagePath } from '../biometrics/face/helpers.js';
import { deserializeFaceTemplate, faceDistance } from '../../../server/biometrics/index.js';
import { runBin } from './bin-helpers.js';
import { cleanupDirs, cli, jsonLines, parseJson, tempDir, testIo } from './helpers.js';

afterEach(cleanupDirs);

describe('verikiosk face', () => {
  itWithDevData(
    'faces',
    'compare prints the decision as JSON: same person not declined, another person declined',
    async () => {
      const same = await cli(['face', 'compare', devImagePath(3, 1), devImagePath(3, 4)]);
      expect(same.code, same.stderr).toBe(0);
      const result = parseJson<{
        status: string;
        decision: string;
        distance: number;
        a: { quality: unknown };
      }>(same);
      expect(result.status).toBe('compared');
      expect(result.decision).not.toBe('decline');
      expect(result.a.quality).toBeDefined();
      expect(same.stdout).not.toMatch(/descriptor/);
    },
    MODEL_TIMEOUT,
  );

  itWithDevData(
    'faces',
    'compare --jsonl answers one line per request in one process; bad lines get errors, exit 1',
    async () => {
      const io = testIo();
      (io.stdin as PassThrough).end(
        [
          JSON.stringify({ a: devImagePath(0, 1), b: devImagePath(0, 3) }),
          JSON.stringify({ a: devImagePath(0, 1), b: devImagePath(6, 3) }),
          'not json',
          JSON.stringify({ a: devImagePath(0, 1), b: '/nonexistent/face.png' }),
          JSON.stringify({ a: devImagePath(0, 1) }),
        ].join('\n'),
      );
      expect(await main(['face', 'compare', '--jsonl'], io)).toBe(1);
      await new Promise((resolve) => setImmediate(resolve));
      const lines = jsonLines(io.out());
      expect(lines).toHaveLength(5);
      expect(lines[0]).toMatchObject({ status: 'compared' });
      expect(lines[1]).toMatchObject({ status: 'compared', decision: 'decline' });
      expect(lines[0]!.distance as number).toBeLessThan(lines[1]!.distance as number);
      expect(lines[2]).toEqual({ error: 'line 3: not JSON' });
      expect(lines[3]).toMatchObject({ status: 'not_compared', side: 'b', reason: 'unreadable' });
      expect(lines[4]?.error).toMatch(/line 5/);
    },
    MODEL_TIMEOUT,
  );

  itWithDevData(
    'faces',
    'check prints quality, detector and an honest liveness note; a corrupt file exits 1 with a reason',
    async () => {
      const good = await cli(['face', 'check', devImagePath(2, 2)]);
      expect(good.code, good.stderr).toBe(0);
      expect(parseJson(good)).toMatchObject({
        status: 'ok',
        role: 'selfie',
        quality: { metrics: { faceWidth: expect.any(Number) as unknown } },
        liveness: {
          active: { status: 'not_run' },
          passive: { status: 'not_configured', reason: 'no_model_path' },
          cues: { informational: true },
        },
      });
      const corrupt = path.join(tempDir('vk-face-cli-'), 'broken.jpg');
      fs.writeFileSync(corrupt, Buffer.from([0xff, 0xd8, 0xff, 0xe0, 1, 2, 3]));
      const bad = await cli(['face', 'check', corrupt]);
      expect(bad.code).toBe(1);
      expect(parseJson(bad)).toMatchObject({
        status: 'rejected',
        reason: expect.stringMatching(/corrupt_image|unsupported_format/) as unknown,
      });
    },
    MODEL_TIMEOUT,
  );

  itWithDevData(
    'faces',
    'template (as a process) writes a 0600 VKFT file that matches its person, never overwrites, and writes nothing for a face it cannot use',
    async () => {
      const dir = tempDir('vk-face-template-');
      const out = (name: string): string => path.join(dir, name);
      const make = async (image: string, file: string) =>
        runBin(['face', 'template', image, '--out', out(file)]);
      const first = await make(devImagePath(3, 1), 'a.vkft');
      expect(first.code, first.stderr).toBe(0);
      expect(first.stdout).not.toMatch(/vector|descriptor/);
      expect(JSON.parse(first.stdout)).toMatchObject({ status: 'ok', bytes: expect.any(Number) });
      expect(fs.statSync(out('a.vkft')).mode & 0o777).toBe(0o600);
      expect((await make(devImagePath(3, 4), 'b.vkft')).code).toBe(0);
      expect((await make(devImagePath(6, 3), 'c.vkft')).code).toBe(0);
      const read = (file: string) => deserializeFaceTemplate(fs.readFileSync(out(file)));
      const [a, b, c] = [read('a.vkft'), read('b.vkft'), read('c.vkft')];
      expect(faceDistance(a, b)).toBeLessThan(faceDistance(a, c));

      const before = fs.readFileSync(out('a.vkft'));
      const again = await make(devImagePath(6, 3), 'a.vkft');
      expect(again.code).toBe(2);
      expect(fs.readFileSync(out('a.vkft')).equals(before)).toBe(true);

      const corrupt = out('broken.jpg');
      fs.writeFileSync(corrupt, Buffer.from([0xff, 0xd8, 0xff, 0xe0, 1, 2, 3]));
      const bad = await make(corrupt, 'd.vkft');
      expect(bad.code).toBe(1);
      expect(JSON.parse(bad.stdout)).toMatchObject({ status: 'rejected' });
      expect(fs.existsSync(out('d.vkft'))).toBe(false);
    },
    MODEL_TIMEOUT,
  );

  it('usage errors exit 2', async () => {
    // Refused before any file is read.
    const image = '/nonexistent/face.png';
    expect((await cli(['face', 'compare', image])).code).toBe(2);
    expect((await cli(['face', 'compare', '--jsonl', image])).code).toBe(2);
    expect((await cli(['face', 'check', image, '--role', 'passport'])).code).toBe(2);
  });
});
