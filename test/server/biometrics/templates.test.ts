import { afterEach, describe, expect, it } from 'vitest';
import {
  allTemplates,
  deleteTemplate,
  openTemplates,
  storeTemplate,
  subjectTemplates,
  type NewTemplate,
} from '../../../server/biometrics/templates.js';
import type { Vault } from '../../../server/vault/index.js';
import { cleanup, newVault, rawDb, rawDbFiles, fileContains } from '../vault/helpers.js';
import { vaultDb } from '../../../server/vault/internal.js';

afterEach(cleanup);

const SYSTEM_READ = {
  actor: 'system',
  action: 'face_index.loaded',
  purpose: 'system',
  objectType: null,
  objectId: null,
} as const;

const TEST_READ = {
  actor: 'user:test',
  action: 'biometric_template.compared',
  purpose: 'verification',
  objectType: 'subject',
  objectId: null,
} as const;

/** Synthetic template bytes with a recognisable marker, so a plaintext leak can be searched for. */
function templateBytes(tag: string, size = 600): Uint8Array {
  const marker = Buffer.from(`ZZ-SYNTHETIC-TEMPLATE-${tag}-`);
  const out = new Uint8Array(size);
  for (let i = 0; i < size; i++) out[i] = marker[i % marker.length]!;
  return out;
}

function input(subjectId: string, tag: string, overrides: Partial<NewTemplate> = {}): NewTemplate {
  return {
    subjectId,
    modality: 'signature',
    model: { name: 'test-model', version: '3' },
    template: templateBytes(tag),
    actor: 'system',
    ...overrides,
  };
}

interface AuditRow {
  action: string;
  object_id: string | null;
  details: string;
}

function auditRows(vault: Vault): AuditRow[] {
  return vaultDb(vault)
    .prepare('SELECT action, object_id, details FROM audit_log ORDER BY seq')
    .all() as AuditRow[];
}

/** A vault whose clock advances a second per read, so creation times are distinct and ordered. */
async function tickingVault(): Promise<Awaited<ReturnType<typeof newVault>>> {
  let t = Date.parse('2030-01-01T00:00:00Z');
  return newVault({ clock: () => new Date((t += 1000)) });
}

describe('biometric template store', () => {
  it('round-trips a template through the vault, sealed at rest', async () => {
    const { vault, dbFile } = await newVault();
    const subjectId = vault.createSubject();
    const id = storeTemplate(vault, input(subjectId, 'A', { verificationId: null }));
    const [stored, ...rest] = subjectTemplates(vault, subjectId, 'signature');
    expect(rest).toEqual([]);
    expect(stored).toMatchObject({
      id,
      subjectId,
      modality: 'signature',
      model: { name: 'test-model', version: '3' },
    });
    const same = openTemplates(vault, [stored!], TEST_READ, ([opened]) => ({
      value: Buffer.from(opened!.template).equals(Buffer.from(templateBytes('A'))),
      outcome: 'compared',
    }));
    expect(same).toBe(true);
    vault.checkpoint();
    for (const file of rawDbFiles(dbFile)) {
      expect(fileContains(file, 'ZZ-SYNTHETIC-TEMPLATE-A')).toBe(false);
    }
    // The model is in clear so a model change is visible without decrypting anything.
    const db = rawDb(dbFile);
    try {
      const row = db
        .prepare('SELECT model, model_version FROM biometric_templates WHERE id = ?')
        .get(id) as { model: string; model_version: string };
      expect(row).toEqual({ model: 'test-model', model_version: '3' });
    } finally {
      db.close();
    }
  });

  it('lists a subject’s templates of one modality, oldest first', async () => {
    const { vault } = await tickingVault();
    const subjectId = vault.createSubject();
    const other = vault.createSubject();
    const first = storeTemplate(vault, input(subjectId, 'first'));
    const face = storeTemplate(vault, input(subjectId, 'face', { modality: 'face' }));
    const second = storeTemplate(vault, input(subjectId, 'second'));
    storeTemplate(vault, input(other, 'other'));
    expect(subjectTemplates(vault, subjectId, 'signature').map((t) => t.id)).toEqual([
      first,
      second,
    ]);
    expect(subjectTemplates(vault, subjectId, 'face').map((t) => t.id)).toEqual([face]);
    expect(subjectTemplates(vault, vault.createSubject(), 'signature')).toEqual([]);
  });

  it('audits storing and deleting without any template content', async () => {
    const { vault } = await newVault();
    const subjectId = vault.createSubject();
    const id = storeTemplate(vault, input(subjectId, 'audited', { actor: 'kiosk:test' }));
    expect(deleteTemplate(vault, id, 'user:test')).toBe(true);
    expect(deleteTemplate(vault, id, 'user:test')).toBe(false);
    expect(subjectTemplates(vault, subjectId, 'signature')).toEqual([]);
    const rows = auditRows(vault).filter((r) => r.action.startsWith('biometric_template.'));
    expect(rows.map((r) => r.action)).toEqual([
      'biometric_template.stored',
      'biometric_template.deleted',
    ]);
    for (const row of rows) {
      expect(row.object_id).toBe(subjectId);
      expect(JSON.parse(row.details)).toMatchObject({ templateId: id, modality: 'signature' });
      expect(row.details.includes('ZZ-SYNTHETIC')).toBe(false);
    }
    expect(vault.verifyAudit()).toMatchObject({ ok: true });
  });

  it('binds each sealed template to its row: swapped ciphertexts do not open', async () => {
    const { vault } = await newVault();
    const subjectId = vault.createSubject();
    const a = storeTemplate(vault, input(subjectId, 'A'));
    const b = storeTemplate(vault, input(subjectId, 'B'));
    const read = vaultDb(vault).prepare(
      'SELECT template_enc FROM biometric_templates WHERE id = ?',
    );
    const sealedA = (read.get(a) as { template_enc: Uint8Array }).template_enc;
    const sealedB = (read.get(b) as { template_enc: Uint8Array }).template_enc;
    const write = vaultDb(vault).prepare(
      'UPDATE biometric_templates SET template_enc = ? WHERE id = ?',
    );
    write.run(sealedB, a);
    write.run(sealedA, b);
    const records = subjectTemplates(vault, subjectId, 'signature');
    expect(() =>
      openTemplates(vault, records, TEST_READ, () => ({ value: null, outcome: 'read' })),
    ).toThrow();
  });

  it('is shredded with its subject', async () => {
    const { vault } = await newVault();
    const subjectId = vault.createSubject();
    const kept = vault.createSubject();
    storeTemplate(vault, input(subjectId, 'gone'));
    const keptId = storeTemplate(vault, input(kept, 'kept'));
    vault.destroySubject(subjectId, { actor: 'system', reason: 'test' });
    expect(subjectTemplates(vault, subjectId, 'signature')).toEqual([]);
    expect(
      [...allTemplates(vault, vault.sealedReader(SYSTEM_READ), 'signature')].map((t) => t.id),
    ).toEqual([keptId]);
  });

  it('pages through every template of a modality exactly once', async () => {
    const { vault } = await newVault();
    const subjects = [vault.createSubject(), vault.createSubject()];
    const ids = new Set<string>();
    for (let i = 0; i < 7; i++) {
      ids.add(storeTemplate(vault, input(subjects[i % 2]!, `page${i}`)));
    }
    storeTemplate(vault, input(subjects[0]!, 'face', { modality: 'face' }));
    for (const pageSize of [1, 2, 3, 7, 100]) {
      const seen = [...allTemplates(vault, vault.sealedReader(SYSTEM_READ), 'signature', pageSize)];
      expect(seen.map((t) => t.id).sort()).toEqual([...ids].sort());
      expect(new Set(seen.map((t) => t.id)).size).toBe(seen.length);
    }
  });
});
