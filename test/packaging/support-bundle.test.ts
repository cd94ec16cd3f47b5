import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import {
  recognitionModelIdentity,
  serializeFaceTemplate,
  storeTemplate,
} from '../../server/biometrics/index.js';
import { REDACTED, redactConfig } from '../../server/cli/support-bundle.js';
import { Vault } from '../../server/vault/index.js';
import { vaultDb } from '../../server/vault/internal.js';
import { syntheticEmbedding } from '../support/random.js';
import { killChildren, repoRoot, runBin } from '../server/cli/bin-helpers.js';

/**
 * `verikiosk support-bundle`, run as a process on a data dir holding a subject, a face template
 * and a verification: what support needs (version, doctor, config, counts), and none of the
 * installation's secrets or the records' ids.
 */
const root = fs.mkdtempSync(path.join(os.tmpdir(), 'verikiosk-support-'));
afterEach(killChildren);
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

describe('verikiosk support-bundle', () => {
  it('writes version, doctor findings, config and counts, without ids or secrets', async () => {
    const dataDir = path.join(root, 'data');
    const init = await runBin(['init', '--data-dir', dataDir, '--unattended', '--json']);
    expect(init.code).toBe(0);
    const secrets = JSON.parse(init.stdout) as {
      admin: { password: string };
      apiKey: { key: string };
      kioskToken: { token: string };
    };
    const keyFile = path.join(dataDir, 'master.key');
    const vault = await Vault.open(dataDir, { kind: 'key-file', path: keyFile });
    const model = recognitionModelIdentity();
    const subjectId = vault.createSubject();
    const templateId = storeTemplate(vault, {
      subjectId,
      modality: 'face',
      model,
      template: serializeFaceTemplate({ model, vector: syntheticEmbedding(5) }),
      actor: 'test',
    });
    const verificationId = 'ver_01jf2m3k4n5p6q7r8s9t0v1w2x';
    const at = new Date().toISOString();
    vaultDb(vault)
      .prepare(
        `INSERT INTO verifications (id, subject_id, purpose, status, created_at, updated_at)
         VALUES (?, ?, 'onboarding', 'review', ?, ?)`,
      )
      .run(verificationId, subjectId, at, at);
    vault.close();

    const rules = fs.mkdtempSync(path.join(root, 'rules-'));
    fs.copyFileSync(
      path.join(repoRoot, 'packaging/udev/70-verikiosk.rules'),
      path.join(rules, '70-verikiosk.rules'),
    );
    const env = {
      VERIKIOSK_UDEV_RULES_DIRS: rules,
      VERIKIOSK_DEV_DIR: fs.mkdtempSync(path.join(root, 'dev-')),
    };
    const file = path.join(root, 'bundle.json');
    const run = await runBin(['support-bundle', '--data-dir', dataDir, file], env);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain('no personal data');
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    const text = fs.readFileSync(file, 'utf8');
    const bundle = JSON.parse(text) as {
      kind: string;
      version: string;
      doctor: { findings: { check: string }[]; exitCode: number };
      config: { values: { server: { port: number } } };
      database: {
        schemaVersion: number;
        verifications: { kind: string; status: string; count: number }[];
        faceTemplates: { current: boolean; templates: number; subjects: number }[];
        subjectsToRecapture: number;
      };
      dataDirFiles: { name: string; mode: string }[];
    };
    expect(bundle.kind).toBe('verikiosk.support-bundle');
    expect(bundle.version).toMatch(/^\d+\.\d+\.\d+/);
    expect(bundle.doctor.findings.map((f) => f.check)).toEqual(
      expect.arrayContaining(['data_dir', 'key_source', 'database', 'audit_chain', 'models']),
    );
    expect(bundle.config.values.server.port).toBeGreaterThan(0);
    expect(bundle.database.verifications).toContainEqual({
      kind: 'identity',
      status: 'review',
      count: 1,
    });
    expect(bundle.database.faceTemplates).toContainEqual(
      expect.objectContaining({ current: true, templates: 1, subjects: 1 }),
    );
    expect(bundle.database.subjectsToRecapture).toBe(0);
    expect(bundle.dataDirFiles.map((f) => f.name)).toContain('verikiosk.db');

    const key = fs.readFileSync(keyFile, 'utf8').trim();
    for (const value of [
      subjectId,
      templateId,
      verificationId,
      secrets.admin.password,
      secrets.apiKey.key,
      secrets.kioskToken.token,
      key,
    ]) {
      expect(value.length).toBeGreaterThan(8);
      expect(text).not.toContain(value);
    }

    // A second run to the same file refuses (exit 2) and leaves it as it was.
    const again = await runBin(['support-bundle', '--data-dir', dataDir, file], env);
    expect(again.code).toBe(2);
    expect(again.stderr).toContain('exists');
    expect(fs.readFileSync(file, 'utf8')).toBe(text);
  }, 120_000);

  it('replaces the values of secret-looking config keys', () => {
    expect(
      redactConfig({
        server: { port: 8420, tls: { keyFile: '/var/lib/verikiosk/tls.key' } },
        fleet: { credentialsFile: '/etc/x', nkeySeed: 'SUAB', servers: ['nats://a'] },
        webhooks: { signingSecret: 'abc', retries: 3 },
      }),
    ).toEqual({
      server: { port: 8420, tls: { keyFile: '/var/lib/verikiosk/tls.key' } },
      fleet: { credentialsFile: REDACTED, nkeySeed: REDACTED, servers: ['nats://a'] },
      webhooks: { signingSecret: REDACTED, retries: 3 },
    });
  });
});
