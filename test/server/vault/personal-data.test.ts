import { afterEach, describe, expect, it } from 'vitest';
import * as vaultIndex from '../../../server/vault/index.js';
import {
  IntegrityError,
  VaultRuleError,
  type PersonalDataAccess,
} from '../../../server/vault/index.js';
import { vaultDb } from '../../../server/vault/internal.js';
import { cleanup, newVault, SEEDED } from './helpers.js';

afterEach(cleanup);

const READ: PersonalDataAccess = {
  actor: 'user:test',
  action: 'pii.read',
  purpose: 'verification',
  objectType: 'subject',
  objectId: null,
  details: { field: 'surname' },
};

function auditOf(vault: vaultIndex.Vault, action: string): { actor: string; details: string }[] {
  return vaultDb(vault)
    .prepare('SELECT actor, details FROM audit_log WHERE action = ? ORDER BY seq')
    .all(action) as { actor: string; details: string }[];
}

function sealedSurname(vault: vaultIndex.Vault): vaultIndex.SealedField {
  const subjectId = vault.createSubject();
  const ref = { table: 'subjects', column: 'profile_enc', rowId: subjectId };
  return { owner: { subjectId }, ref, sealed: vault.seal({ subjectId }, ref, SEEDED.surname) };
}

describe('the audited personal-data door', () => {
  it('writes one audit entry per read, with actor, purpose and outcome, never the value', async () => {
    const { vault } = await newVault();
    const field = sealedSurname(vault);
    let seen: Uint8Array | null = null;
    for (let i = 1; i <= 3; i++) {
      const length = vault.openSealed(READ, [field], ([plain]) => {
        seen = plain!;
        expect(new TextDecoder().decode(plain)).toBe(SEEDED.surname);
        return { value: plain!.length, outcome: 'shown' };
      });
      expect(length).toBe(SEEDED.surname.length);
      expect(auditOf(vault, 'pii.read')).toHaveLength(i);
    }
    // The plaintext handed to the function is zeroed once it returns.
    expect([...seen!].every((b) => b === 0)).toBe(true);
    for (const row of auditOf(vault, 'pii.read')) {
      expect(row.actor).toBe('user:test');
      expect(JSON.parse(row.details)).toEqual({
        field: 'surname',
        outcome: 'shown',
        purpose: 'verification',
      });
      expect(row.details).not.toContain(SEEDED.surname);
    }
    expect(vault.verifyAudit()).toMatchObject({ ok: true });
  });

  it('audits a read whose use fails as failed, and rethrows', async () => {
    const { vault } = await newVault();
    const field = sealedSurname(vault);
    expect(() =>
      vault.openSealed(READ, [field], () => {
        throw new Error('comparison failed');
      }),
    ).toThrow('comparison failed');
    expect(
      auditOf(vault, 'pii.read').map((r) => (JSON.parse(r.details) as { outcome: string }).outcome),
    ).toEqual(['failed']);
  });

  it('writes nothing when a field does not open (nothing was read)', async () => {
    const { vault } = await newVault();
    const field = sealedSurname(vault);
    const tampered = Uint8Array.from(field.sealed);
    tampered[tampered.length - 1]! ^= 1;
    expect(() =>
      vault.openSealed(READ, [{ ...field, sealed: tampered }], () => ({ value: 1, outcome: 'x' })),
    ).toThrow(IntegrityError);
    expect(auditOf(vault, 'pii.read')).toEqual([]);
  });

  it('refuses a function that returns a promise (the plaintext would outlive the read)', async () => {
    const { vault } = await newVault();
    const field = sealedSurname(vault);
    expect(() => vault.openSealed(READ, [field], () => Promise.resolve() as never)).toThrow(
      TypeError,
    );
  });

  it('audits a system reader once, however many values it opens, and refuses it once closed', async () => {
    const { vault } = await newVault();
    const fields = [sealedSurname(vault), sealedSurname(vault), sealedSurname(vault)];
    const reader = vault.sealedReader({
      actor: 'system',
      action: 'face_index.loaded',
      purpose: 'system',
      objectType: null,
      objectId: null,
    });
    for (const field of fields) {
      expect(new TextDecoder().decode(reader.open(field))).toBe(SEEDED.surname);
    }
    const entries = auditOf(vault, 'face_index.loaded');
    expect(entries).toHaveLength(1);
    expect(JSON.parse(entries[0]!.details)).toEqual({ purpose: 'system' });
    reader.close();
    expect(() => reader.open(fields[0]!)).toThrow(VaultRuleError);
  });

  it('offers no way to open a sealed value or reach the connection without the door', async () => {
    const { vault } = await newVault();
    const surface = vault as unknown as Record<string, unknown>;
    for (const name of ['db', 'keys', 'signer', 'open', 'openText'])
      expect(surface[name]).toBeUndefined();
    for (const name of [
      'vaultDb',
      'openUnaudited',
      'openTextUnaudited',
      'vaultKeyRing',
      'VAULT_DB',
      'VAULT_KEYS',
      'VAULT_RING',
      'vaultSigner',
      'VAULT_SIGNER',
    ]) {
      expect(Object.keys(vaultIndex)).not.toContain(name);
    }
    // What remains public and yields a connection is typed for reading or runs in a transaction.
    expect(vault.read((db) => db.inTransaction)).toBe(false);
    expect(vault.write((db) => db.inTransaction)).toBe(true);
  });
});
