/**
 * examples/integrate.mjs, run as an integrator runs it (a separate `node` process) against a real
 * appliance listening on 127.0.0.1: it registers a webhook, creates a verification, sends a
 * generated document image with its MRZ, a development selfie burst (multipart) and SVC2004
 * signatures, submits, prints the decision, and receives the signed webhook. Keeps the example
 * working as the API changes.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { serveAppliance, type RunningServer } from '../../../server/app.js';
import { createApiClient } from '../../../server/auth/index.js';
import { signatureToJson } from '../../../server/biometrics/signature/index.js';
import { generateFaceDocument } from '../../gen/face-documents.js';
import { devDataPath, hasDevData } from '../../support/dev-data.js';
import { describeWithDevData } from '../../support/with-dev-data.js';
import { closeAppliances, newAppliance } from '../api/helpers.js';
import { PINNED_CHALLENGE, td3 } from '../api/verifications-support.js';
import { readSvc2004 } from '../biometrics/signature/svc.js';
import { spawnBin, repoRoot } from '../cli/bin-helpers.js';
import { cleanupDirs, tempDir } from '../cli/helpers.js';

describeWithDevData('faces', 'the integration example against a real appliance', () => {
  let server: RunningServer | undefined;
  afterAll(async () => {
    await server?.close();
    closeAppliances();
    cleanupDirs();
  });

  it.skipIf(!hasDevData('svc2004'))(
    'creates a verification, uploads the captures, prints the decision and verifies the signed webhook',
    async () => {
      // The core's challenge draw pinned (the stills' liveness outcome depends on the plan).
      const t = await newAppliance(
        { server: { rateLimit: { enabled: false } } },
        'debug',
        undefined,
        { challengeRandom: PINNED_CHALLENGE },
      );
      const { vault } = t.appliance;
      const key = createApiClient(
        vault,
        {
          name: 'branch',
          scopes: ['verifications:write', 'verifications:read', 'captures:write'],
        },
        'test',
      ).key;
      const admin = createApiClient(vault, { name: 'ops', scopes: ['admin'] }, 'test').key;
      server = await serveAppliance(t.appliance, { host: '127.0.0.1', port: 0 });

      const dir = tempDir('vk-example-');
      const face = (n: number) => devDataPath('faces', 'amy', `amy${n}.png`);
      const card = (await generateFaceDocument(readFileSync(face(1)), 7)).jpeg;
      writeFileSync(path.join(dir, 'mrz.txt'), td3({ number: 'X70000001' }));
      writeFileSync(path.join(dir, 'card.jpg'), card);
      writeFileSync(
        path.join(dir, 'signatures.json'),
        JSON.stringify([1, 2, 3].map((n) => signatureToJson(readSvc2004(2, 4, n)))),
      );
      const run = spawnBin(
        [],
        {},
        {
          file: process.execPath,
          args: [
            path.join(repoRoot, 'examples', 'integrate.mjs'),
            '--url',
            server.url,
            '--key',
            key,
            '--admin-key',
            admin,
            '--mrz',
            path.join(dir, 'mrz.txt'),
            '--document',
            path.join(dir, 'card.jpg'),
            ...[2, 3, 4].flatMap((n) => ['--selfie', face(n)]),
            '--signatures',
            path.join(dir, 'signatures.json'),
            '--webhook-timeout',
            '120',
          ],
        },
      );
      const { code } = await run.exited;
      const out = run.stdout();
      expect(code, `${out}\n${run.stderr()}\n${t.rawLogs.slice(-15).join('\n')}`).toBe(0);
      const id = /^verification (ver_\S+) created next=consent$/m.exec(out)?.[1];
      expect(id).toBeDefined();
      // The example followed the challenge the appliance drew, and the burst used it up.
      const challengeId =
        /^challenge (lch_\S+) (?:blink|turn_left|turn_right)(?:,(?:blink|turn_left|turn_right)){2} in \d+ ms$/m.exec(
          out,
        )?.[1];
      expect(challengeId).toBeDefined();
      const used = vault.read((db) =>
        db
          .prepare(
            'SELECT liveness_challenge_id AS id, liveness_challenge_used_at IS NOT NULL AS used FROM verifications WHERE id = ?',
          )
          .get(id),
      );
      expect(used).toEqual({ id: challengeId, used: 1 });
      // The development photos are stills: the burst cannot pass the challenge.
      const decision = /^decision (\S+) /m.exec(out)?.[1];
      expect(decision).toBe('resubmission_requested');
      expect(out).toMatch(/^ {2}check face_match pass$/m);
      expect(out).toMatch(
        /^webhook verification\.decided resubmission_requested signature=valid$/m,
      );
      // The example prints ids and codes only, and removed its webhook endpoint.
      expect(out).not.toMatch(/MARTINEAU|X70000001/);
      const stored = (await (
        await t.appliance.app.request(`/api/v1/verifications/${id}`, {
          headers: { authorization: `Bearer ${key}` },
        })
      ).json()) as { status: string };
      expect(stored.status).toBe('resubmission_requested');
      const endpoints = (await (
        await t.appliance.app.request('/api/v1/webhooks', {
          headers: { authorization: `Bearer ${admin}` },
        })
      ).json()) as { items: unknown[] };
      expect(endpoints.items).toEqual([]);
    },
    300_000,
  );
});
