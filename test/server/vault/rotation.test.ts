import { afterEach, describe, expect, it } from 'vitest';
import { IntegrityError } from '../../../server/vault/index.js';
import type { FieldRef, KeyOwner, Vault } from '../../../server/vault/index.js';
import {
  SEEDED,
  cleanup,
  expectError,
  expectNoSeededValueInRecordedErrors,
  fileContains,
  newVault,
  reopen,
  thrown,
} from './helpers.js';
import { openTextUnaudited, openUnaudited, vaultDb } from '../../../server/vault/internal.js';

afterEach(cleanup);

interface Stored {
  owner: KeyOwner;
  ref: FieldRef;
  sealed: Uint8Array;
  plaintext: string;
}

function store(vault: Vault, count: number): Stored[] {
  const out: Stored[] = [];
  for (let i = 0; i < count; i++) {
    const subjectId = vault.createSubject();
    const ref = { table: 'subjects', column: 'profile_enc', rowId: subjectId };
    const plaintext = `${SEEDED.surname}-${i}`;
    const sealed = vault.seal({ subjectId }, ref, plaintext);
    vaultDb(vault)
      .prepare('UPDATE subjects SET profile_enc = ? WHERE id = ?')
      .run(sealed, subjectId);
    out.push({ owner: { subjectId }, ref, sealed, plaintext });
  }
  const ref = { table: 'settings', column: 'value', rowId: 'zz_setting' };
  out.push({
    owner: 'system',
    ref,
    sealed: vault.seal('system', ref, SEEDED.documentNumber),
    plaintext: SEEDED.documentNumber,
  });
  return out;
}

function expectAllOpen(vault: Vault, values: readonly Stored[]): void {
  for (const v of values)
    expect(openTextUnaudited(vault, v.owner, v.ref, v.sealed)).toBe(v.plaintext);
}

function generations(vault: Vault): { generation: number; wrapped_kek: Buffer }[] {
  return vaultDb(vault)
    .prepare('SELECT generation, wrapped_kek FROM key_generations ORDER BY generation')
    .all() as {
    generation: number;
    wrapped_kek: Buffer;
  }[];
}

describe('key rotation', { timeout: 20_000 }, () => {
  it('re-wraps every data key: old values open after rotation and after reopening', async () => {
    const t = await newVault();
    const { vault } = t;
    const values = store(vault, 25);
    const oldGeneration = generations(vault);
    expect(oldGeneration.map((g) => g.generation)).toEqual([1]);
    const wrappedBefore = vaultDb(vault)
      .prepare('SELECT subject_id, wrapped_dek FROM subject_keys ORDER BY subject_id')
      .all();
    const systemBefore = vaultDb(vault)
      .prepare("SELECT value FROM vault_meta WHERE key = 'system_dek'")
      .pluck()
      .get() as Buffer;

    expect(vault.rotateKeys('admin:zz1')).toEqual({ generation: 2, rewrapped: 25 });
    expectAllOpen(vault, values);
    expect(generations(vault).map((g) => g.generation)).toEqual([2]);
    expect(
      vaultDb(vault).prepare('SELECT DISTINCT kek_generation FROM subject_keys').pluck().all(),
    ).toEqual([2]);
    expect(
      vaultDb(vault)
        .prepare("SELECT value FROM vault_meta WHERE key = 'system_dek_generation'")
        .pluck()
        .get(),
    ).toBe(2);
    const wrappedAfter = vaultDb(vault)
      .prepare('SELECT subject_id, wrapped_dek FROM subject_keys ORDER BY subject_id')
      .all();
    expect(wrappedAfter).toHaveLength(wrappedBefore.length);
    expect(wrappedAfter).not.toEqual(wrappedBefore);

    const entry = vaultDb(vault)
      .prepare("SELECT actor, details FROM audit_log WHERE action = 'keys.rotated'")
      .get() as { actor: string; details: string };
    expect(entry.actor).toBe('admin:zz1');
    expect(JSON.parse(entry.details)).toMatchObject({ generation: 2, previousGeneration: 1 });
    expect(vault.verifyAudit().ok).toBe(true);

    // a new subject after rotation gets the new generation
    const later = store(vault, 1);
    expect(vault.rotateKeys('admin:zz1')).toEqual({ generation: 3, rewrapped: 26 });
    expect(generations(vault).map((g) => g.generation)).toEqual([3]);
    vault.close();

    // the retired key-encryption key and the old wrapped keys are gone from the file
    expect(fileContains(t.dbFile, oldGeneration[0]!.wrapped_kek)).toBe(false);
    expect(fileContains(t.dbFile, systemBefore)).toBe(false);
    for (const row of wrappedBefore as { wrapped_dek: Buffer }[])
      expect(fileContains(t.dbFile, row.wrapped_dek)).toBe(false);

    const reopened = await reopen(t.dir, t.source);
    expectAllOpen(reopened, values);
    expectAllOpen(reopened, later);
    expect(reopened.verifyAudit().ok).toBe(true);
    expect(
      vaultDb(reopened)
        .prepare("SELECT COUNT(*) FROM audit_log WHERE action = 'keys.rotated'")
        .pluck()
        .get(),
    ).toBe(2);
  });

  it('rotates an empty vault (system key only)', async () => {
    const t = await newVault();
    const values = store(t.vault, 0);
    expect(t.vault.rotateKeys('system')).toEqual({ generation: 2, rewrapped: 0 });
    t.vault.close();
    expectAllOpen(await reopen(t.dir, t.source), values);
  });

  it('keeps values bound to their place across rotation', async () => {
    const { vault } = await newVault();
    const [v] = store(vault, 1);
    vault.rotateKeys('system');
    expectError(
      thrown(() => openUnaudited(vault, v!.owner, { ...v!.ref, column: 'other' }, v!.sealed)),
      IntegrityError,
    );
  });

  it('rolls back entirely when a wrapped data key is damaged', async () => {
    const t = await newVault();
    const { vault } = t;
    const values = store(vault, 3);
    const victim = values[1]!.owner as { subjectId: string };
    const original = Buffer.from(
      vaultDb(vault)
        .prepare('SELECT wrapped_dek FROM subject_keys WHERE subject_id = ?')
        .pluck()
        .get(victim.subjectId) as Buffer,
    );
    const wrapped = Buffer.from(original);
    wrapped[wrapped.length - 1]! ^= 1;
    vaultDb(vault)
      .prepare('UPDATE subject_keys SET wrapped_dek = ? WHERE subject_id = ?')
      .run(wrapped, victim.subjectId);
    expectError(
      thrown(() => vault.rotateKeys('system')),
      IntegrityError,
    );
    expect(generations(vault).map((g) => g.generation)).toEqual([1]);
    expect(
      vaultDb(vault)
        .prepare("SELECT COUNT(*) FROM audit_log WHERE action = 'keys.rotated'")
        .pluck()
        .get(),
    ).toBe(0);
    // the values whose keys are intact (and cached) still open
    expect(openTextUnaudited(vault, values[0]!.owner, values[0]!.ref, values[0]!.sealed)).toBe(
      values[0]!.plaintext,
    );

    // once repaired, a new rotation succeeds and every value opens, also after reopening
    vaultDb(vault)
      .prepare('UPDATE subject_keys SET wrapped_dek = ? WHERE subject_id = ?')
      .run(original, victim.subjectId);
    expect(vault.rotateKeys('system')).toEqual({ generation: 2, rewrapped: 3 });
    expectAllOpen(vault, values);
    vault.close();
    expectAllOpen(await reopen(t.dir, t.source), values);
  });
});

describe('errors', () => {
  it('no seeded value appears in any error thrown above', () => {
    expectNoSeededValueInRecordedErrors();
  });
});
