/**
 * `verikiosk faces reenrol-plan` and the doctor's `face_templates` line, run as separate processes
 * as an admin runs them after an upgrade that changed the face recogniser: templates per model,
 * and the subjects (ids only) who hold none of the model in use and need a new capture.
 */
import { afterEach, describe, expect, it } from 'vitest';
import {
  recognitionModelIdentity,
  serializeFaceTemplate,
  storeTemplate,
} from '../../../server/biometrics/index.js';
import { Vault } from '../../../server/vault/index.js';
import { syntheticEmbedding } from '../../support/random.js';
import { killChildren, runBin } from './bin-helpers.js';
import { cleanupDirs, initUnattended } from './helpers.js';

afterEach(() => {
  killChildren();
  cleanupDirs();
});

const OLD = { name: 'face-api-resnet34-128d', version: '1.6.0+0123456789ab' };

interface Plan {
  current: { name: string; version: string };
  models: {
    model: string;
    version: string;
    current: boolean;
    templates: number;
    subjects: number;
    fraudFaces: number;
  }[];
  subjectsToRecapture: string[];
  staleFraudFaces: number;
}

describe('verikiosk faces reenrol-plan', () => {
  it('counts templates per recogniser and lists the subjects to capture again, ids only', async () => {
    const p = await initUnattended();
    const current = recognitionModelIdentity();
    const empty = await runBin(['faces', 'reenrol-plan', '--data-dir', p.dataDir]);
    expect(empty.code, empty.stderr).toBe(0);
    expect(empty.stdout).toContain('Nothing to re-enrol');

    const vault = await Vault.open(p.dataDir, { kind: 'key-file', path: p.unattendedKeyFile! });
    let seed = 1;
    const face = (subjectId: string, model: { name: string; version: string }) =>
      storeTemplate(vault, {
        subjectId,
        modality: 'face',
        model,
        template: serializeFaceTemplate({ model, vector: syntheticEmbedding(seed++) }),
        actor: 'test',
      });
    const oldOnly = vault.createSubject();
    const both = vault.createSubject();
    const currentOnly = vault.createSubject();
    const signatureOnly = vault.createSubject();
    face(oldOnly, OLD);
    face(oldOnly, OLD);
    face(both, OLD);
    face(both, current);
    face(currentOnly, current);
    storeTemplate(vault, {
      subjectId: signatureOnly,
      modality: 'signature',
      model: { name: 'sig-dtw', version: '0' },
      template: new Uint8Array([1, 2, 3]),
      actor: 'test',
    });
    vault.close();

    const json = await runBin(['faces', 'reenrol-plan', '--json', '--data-dir', p.dataDir]);
    // Exit 3: something to do (as doctor's warnings).
    expect(json.code, json.stderr).toBe(3);
    const plan = JSON.parse(json.stdout) as Plan;
    expect(plan.current).toEqual(current);
    expect(plan.models).toEqual([
      {
        model: current.name,
        version: current.version,
        current: true,
        templates: 2,
        subjects: 2,
        fraudFaces: 0,
      },
      {
        model: OLD.name,
        version: OLD.version,
        current: false,
        templates: 3,
        subjects: 2,
        fraudFaces: 0,
      },
    ]);
    expect(plan.subjectsToRecapture).toEqual([oldOnly]);
    expect(plan.staleFraudFaces).toBe(0);

    const text = await runBin(['faces', 'reenrol-plan', '--data-dir', p.dataDir]);
    expect(text.code).toBe(3);
    expect(text.stdout).toContain(`${OLD.name}`);
    expect(text.stdout).toContain('1 subject(s) hold no template of the recogniser in use');
    expect(text.stdout.split('\n')).toContain(oldOnly);
    for (const id of [both, currentOnly, signatureOnly]) expect(text.stdout).not.toContain(id);

    const doctor = await runBin(['doctor', '--json', '--data-dir', p.dataDir]);
    const finding = (
      JSON.parse(doctor.stdout) as {
        findings: { check: string; severity: string; message: string; fix: string | null }[];
      }
    ).findings.find((f) => f.check === 'face_templates');
    expect(finding).toMatchObject({ severity: 'warn' });
    expect(finding?.message).toContain('3 of 5 face template(s) are of another recogniser');
    expect(finding?.message).toContain('1 subject(s) need a new capture');
    expect(finding?.fix).toContain('verikiosk faces reenrol-plan');
  }, 120_000);

  it('refuses a data dir that is not initialised, exit 2, writing nothing', async () => {
    const run = await runBin(['faces', 'reenrol-plan', '--data-dir', '/nonexistent/vk-data']);
    expect(run.code).toBe(2);
    expect(run.stderr).not.toMatch(/internal error/i);
  });
});
