import * as fs from 'node:fs';
import * as path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import {
  BackupError,
  KeyError,
  VaultRuleError,
  backupVault,
  restoreVault,
} from '../../../server/vault/index.js';
import type { FieldRef, Vault } from '../../../server/vault/index.js';
import {
  SEEDED,
  cleanup,
  expectError,
  expectNoSeededValueInRecordedErrors,
  hashDir,
  newVault,
  rawDb,
  reopen,
  tempDir,
  thrown,
  thrownAsync,
} from './helpers.js';
import type { Needle, TestVault } from './helpers.js';
import {
  openTextUnaudited,
  openUnaudited,
  vaultDb,
  vaultKeyRing,
} from '../../../server/vault/internal.js';

afterEach(cleanup);

interface Profile {
  subjectId: string;
  ref: FieldRef;
  sealed: Uint8Array;
  plaintext: string;
}

function addProfile(vault: Vault, plaintext: string): Profile {
  const subjectId = vault.createSubject();
  const ref = { table: 'subjects', column: 'profile_enc', rowId: subjectId };
  const sealed = vault.seal({ subjectId }, ref, plaintext);
  vaultDb(vault).prepare('UPDATE subjects SET profile_enc = ? WHERE id = ?').run(sealed, subjectId);
  return { subjectId, ref, sealed, plaintext };
}

function readProfile(vault: Vault, p: Profile): string {
  const stored = vaultDb(vault)
    .prepare('SELECT profile_enc FROM subjects WHERE id = ?')
    .pluck()
    .get(p.subjectId) as Uint8Array | undefined;
  if (!stored) throw new Error('profile row missing');
  return openTextUnaudited(vault, { subjectId: p.subjectId }, p.ref, stored);
}

function masterKeyFromFile(file: string): Buffer {
  const text = fs.readFileSync(file, 'utf8').trim();
  return Buffer.from(text.slice('vk-master-v1:'.length), 'base64');
}

function containsAnyForm(file: string, secret: Uint8Array): boolean {
  const content = fs.readFileSync(file);
  const b = Buffer.from(secret);
  return [
    b,
    Buffer.from(b.toString('hex')),
    Buffer.from(b.toString('base64')),
    Buffer.from(b.toString('base64url')),
  ].some((form) => content.indexOf(form) >= 0);
}

async function backupOf(t: TestVault): Promise<string> {
  const file = path.join(tempDir(), 'backup.db');
  await backupVault(t.vault, file, 'admin:zz1');
  return file;
}

describe('backup', { timeout: 20_000 }, () => {
  it('writes an owner-only, intact copy that holds no key material', async () => {
    const t = await newVault();
    addProfile(t.vault, SEEDED.surname);
    const keys: Needle[] = [
      masterKeyFromFile(t.keyFile),
      Uint8Array.from(vaultKeyRing(t.vault).auditKeyPair.privateKey),
      Uint8Array.from(vaultKeyRing(t.vault).auditKeyPair.privateKey.subarray(0, 32)),
      Uint8Array.from(vaultKeyRing(t.vault).kekWrapKey),
      Uint8Array.from(vaultKeyRing(t.vault).secretHashKey),
      Uint8Array.from(vaultKeyRing(t.vault).blindIndexKey('document_number')),
    ];
    const file = await backupOf(t);
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    for (const key of keys) expect(containsAnyForm(file, key as Uint8Array)).toBe(false);
    // it does hold the public audit key, so the copy's chain can be verified
    expect(
      fs
        .readFileSync(file)
        .indexOf(
          Buffer.from(Buffer.from(vaultKeyRing(t.vault).auditKeyPair.publicKey).toString('hex')),
        ),
    ).toBeGreaterThanOrEqual(0);
    const copy = new Database(file, { readonly: true });
    try {
      expect(copy.pragma('integrity_check', { simple: true })).toBe('ok');
      expect(copy.prepare('SELECT COUNT(*) FROM subjects').pluck().get()).toBe(1);
    } finally {
      copy.close();
    }
    expect(
      vaultDb(t.vault)
        .prepare("SELECT COUNT(*) FROM audit_log WHERE action = 'vault.backup_created'")
        .pluck()
        .get(),
    ).toBe(1);
    expect(t.vault.verifyAudit().ok).toBe(true);
  });

  it('refuses to overwrite an existing file', async () => {
    const t = await newVault();
    const file = await backupOf(t);
    const before = fs.readFileSync(file);
    const error = expectError(
      await thrownAsync(() => backupVault(t.vault, file, 'admin:zz1')),
      VaultRuleError,
    );
    expect(error.rule).toBe('backup_exists');
    expect(fs.readFileSync(file).equals(before)).toBe(true);
  });
});

describe('restore', { timeout: 20_000 }, () => {
  it('restores a backup into the same data dir; data reads back and the chain verifies', async () => {
    const t = await newVault();
    const kept = addProfile(t.vault, SEEDED.surname);
    const file = await backupOf(t);
    const later = addProfile(t.vault, SEEDED.otherSurname);
    t.vault.close();

    expect(await restoreVault(t.dir, t.source, file, 'admin:zz1')).toEqual({
      reappliedDestructions: 0,
      // vault.backup_created is written after the copy was taken
      auditEntriesCarried: 1,
    });
    expect(fs.readdirSync(t.dir).sort()).toEqual([
      'backup-keys.db',
      'keys.json',
      'master.key',
      'verikiosk.db',
    ]);
    const vault = await reopen(t.dir, t.source);
    expect(readProfile(vault, kept)).toBe(SEEDED.surname);
    // the restore brings back the state of the backup: later rows are not there
    expect(
      vaultDb(vault)
        .prepare('SELECT COUNT(*) FROM subjects WHERE id = ?')
        .pluck()
        .get(later.subjectId),
    ).toBe(0);
    expect(vault.verifyAudit().ok).toBe(true);
    expect(
      vaultDb(vault)
        .prepare("SELECT COUNT(*) FROM audit_log WHERE action = 'vault.restored'")
        .pluck()
        .get(),
    ).toBe(1);
    expect(vault.integrityProblems()).toEqual([]);
  });

  it("refuses another installation's backup with other_installation and changes nothing", async () => {
    const one = await newVault();
    const two = await newVault();
    addProfile(one.vault, SEEDED.surname);
    addProfile(two.vault, SEEDED.otherSurname);
    const otherBackup = await backupOf(two);
    one.vault.close();
    const before = hashDir(one.dir);
    const error = expectError(
      await thrownAsync(() => restoreVault(one.dir, one.source, otherBackup, 'admin:zz1')),
      BackupError,
      [masterKeyFromFile(one.keyFile), masterKeyFromFile(two.keyFile)],
    );
    expect(error.reason).toBe('other_installation');
    expect(hashDir(one.dir)).toEqual(before);
  });

  it('refuses a non-database, a missing file, a foreign database and a too-new backup, changing nothing', async () => {
    const t = await newVault();
    addProfile(t.vault, SEEDED.surname);
    const newer = await backupOf(t);
    t.vault.close();
    const raw = rawDb(newer);
    raw.pragma('user_version = 999');
    raw.close();

    const files = tempDir();
    const garbage = path.join(files, 'garbage.db');
    fs.writeFileSync(garbage, Buffer.alloc(8192, 0x5a));
    const text = path.join(files, 'notes.txt');
    fs.writeFileSync(text, 'SQLite format 3\0 but not really\n');
    const foreign = path.join(files, 'foreign.db');
    const f = new Database(foreign);
    f.exec("CREATE TABLE t (x TEXT) STRICT; INSERT INTO t VALUES ('x');");
    f.close();

    const before = hashDir(t.dir);
    const cases: [string, BackupError['reason'][]][] = [
      [garbage, ['corrupt', 'unreadable']],
      [text, ['corrupt', 'unreadable']],
      [path.join(files, 'missing.db'), ['unreadable']],
      [foreign, ['not_a_backup']],
      [newer, ['too_new']],
    ];
    for (const [file, reasons] of cases) {
      const error = expectError(
        await thrownAsync(() => restoreVault(t.dir, t.source, file, 'admin:zz1')),
        BackupError,
      );
      expect(reasons, path.basename(file)).toContain(error.reason);
      expect(hashDir(t.dir)).toEqual(before);
    }
  });

  it('refuses a restore with the wrong key before reading the backup', async () => {
    const one = await newVault();
    const two = await newVault();
    const file = await backupOf(one);
    one.vault.close();
    two.vault.close();
    const before = hashDir(one.dir);
    const error = expectError(
      await thrownAsync(() => restoreVault(one.dir, two.source, file, 'admin:zz1')),
      KeyError,
    );
    expect(error.reason).toBe('key_mismatch');
    expect(hashDir(one.dir)).toEqual(before);
  });

  it('does not bring back a subject destroyed after the backup was taken', async () => {
    const t = await newVault();
    const victim = addProfile(t.vault, SEEDED.surname);
    const survivor = addProfile(t.vault, SEEDED.otherSurname);
    const wrappedDek = Buffer.from(
      vaultDb(t.vault)
        .prepare('SELECT wrapped_dek FROM subject_keys WHERE subject_id = ?')
        .pluck()
        .get(victim.subjectId) as Buffer,
    );
    const file = await backupOf(t);
    expect(
      t.vault.destroySubject(victim.subjectId, { actor: 'admin:zz1', reason: 'deletion_request' })
        .destroyed,
    ).toBe(1);
    t.vault.close();

    expect(await restoreVault(t.dir, t.source, file, 'admin:zz1')).toEqual({
      reappliedDestructions: 1,
      // vault.backup_created and the destruction
      auditEntriesCarried: 2,
    });
    const vault = await reopen(t.dir, t.source);
    expect(
      vaultDb(vault)
        .prepare('SELECT COUNT(*) FROM subjects WHERE id = ?')
        .pluck()
        .get(victim.subjectId),
    ).toBe(0);
    expect(
      vaultDb(vault)
        .prepare('SELECT COUNT(*) FROM subject_keys WHERE subject_id = ?')
        .pluck()
        .get(victim.subjectId),
    ).toBe(0);
    expect(
      vaultDb(vault)
        .prepare('SELECT reason FROM subject_tombstones WHERE subject_id = ?')
        .pluck()
        .all(victim.subjectId),
    ).toEqual(['deletion_request']);
    const error = expectError(
      thrown(() =>
        openUnaudited(vault, { subjectId: victim.subjectId }, victim.ref, victim.sealed),
      ),
      VaultRuleError,
    );
    expect(error.rule).toBe('unknown_subject');
    expect(readProfile(vault, survivor)).toBe(SEEDED.otherSurname);
    expect(vault.verifyAudit().ok).toBe(true);
    vault.close();
    const db = fs.readFileSync(path.join(t.dir, 'verikiosk.db'));
    expect(db.indexOf(Buffer.from(victim.sealed))).toBe(-1);
    expect(db.indexOf(wrappedDek)).toBe(-1);

    // a second restore of the same backup still keeps the subject destroyed
    vault.close();
    expect(await restoreVault(t.dir, t.source, file, 'admin:zz1')).toMatchObject({
      reappliedDestructions: 1,
    });
    const again = await reopen(t.dir, t.source);
    expect(
      vaultDb(again)
        .prepare('SELECT COUNT(*) FROM subjects WHERE id = ?')
        .pluck()
        .get(victim.subjectId),
    ).toBe(0);
  });
});

/** Flips one byte of `needle`'s only occurrence in a file, as bit rot or a tamperer would. */
function flipInFile(file: string, needle: Buffer, offset: number): void {
  const bytes = fs.readFileSync(file);
  const at = bytes.indexOf(needle);
  expect(at, 'the value is in the file').toBeGreaterThanOrEqual(0);
  expect(bytes.indexOf(needle, at + 1), 'the value is in the file once').toBe(-1);
  bytes[at + offset] = bytes[at + offset]! ^ 0x20;
  fs.writeFileSync(file, bytes);
}

interface ChainRow {
  seq: number;
  action: string;
  hash: string;
}

function chainOf(vault: Vault): ChainRow[] {
  return (
    vaultDb(vault).prepare('SELECT seq, action, hash FROM audit_log ORDER BY seq').all() as {
      seq: number;
      action: string;
      hash: Uint8Array;
    }[]
  ).map((r) => ({ seq: r.seq, action: r.action, hash: Buffer.from(r.hash).toString('hex') }));
}

describe('restore keeps the audit trail continuous', { timeout: 20_000 }, () => {
  it('keeps every entry written after the backup, reuses no sequence number, and verifies', async () => {
    const t = await newVault();
    const kept = addProfile(t.vault, SEEDED.surname);
    const file = await backupOf(t);
    // audited actions after the backup
    const hold = t.vault.placeLegalHold(kept.subjectId, 'litigation', 'admin:zz1');
    t.vault.releaseLegalHold(hold, 'admin:zz1');
    t.vault.rotateKeys('admin:zz1');
    const before = chainOf(t.vault);
    t.vault.close();

    const outcome = await restoreVault(t.dir, t.source, file, 'admin:zz1');
    // vault.backup_created, legal_hold.placed, legal_hold.released, keys.rotated
    expect(outcome).toEqual({ reappliedDestructions: 0, auditEntriesCarried: 4 });
    const vault = await reopen(t.dir, t.source);
    const after = chainOf(vault);
    // every entry from before the restore, unchanged, then the restore itself
    expect(after.slice(0, before.length)).toEqual(before);
    expect(after.slice(before.length).map((e) => e.action)).toEqual(['vault.restored']);
    expect(after.map((e) => e.seq)).toEqual(after.map((_, i) => i + 1));
    const verification = vault.verifyAudit();
    expect(verification).toMatchObject({ ok: true, entries: after.length, lastSeq: after.length });
    const restored = vaultDb(vault)
      .prepare("SELECT details FROM audit_log WHERE action = 'vault.restored'")
      .pluck()
      .get() as string;
    expect(JSON.parse(restored)).toEqual({
      auditEntriesCarried: 4,
      auditPrefix: 'verified',
      backupHeadSeq: before.findIndex((e) => e.action === 'vault.backup_created'),
      reappliedDestructions: 0,
    });
    // the data is the backup's (the key rotation after it is undone), and it reads
    expect(readProfile(vault, kept)).toBe(SEEDED.surname);
    expect(vault.integrityProblems()).toEqual([]);
    const next = vault.audit({ actor: 'admin:zz1', action: 'test.after_restore' });
    expect(next.seq).toBe(after.length + 1);
    expect(vault.verifyAudit().ok).toBe(true);
  });

  it('keeps the live chain when it was pruned past the backup (its signed anchor stands)', async () => {
    const t = await newVault();
    addProfile(t.vault, SEEDED.surname);
    const file = await backupOf(t);
    t.vault.audit({ actor: 'admin:zz1', action: 'test.after_backup' });
    // retention pruned every entry up to now, past the backup's head
    expect(t.vault.pruneAudit(new Date(Date.now() + 60_000))).toBeGreaterThan(0);
    t.vault.audit({ actor: 'admin:zz1', action: 'test.after_prune' });
    const before = chainOf(t.vault);
    t.vault.close();
    await restoreVault(t.dir, t.source, file, 'admin:zz1');
    const vault = await reopen(t.dir, t.source);
    const after = chainOf(vault);
    expect(after.slice(0, before.length)).toEqual(before);
    expect(after.slice(before.length).map((e) => e.action)).toEqual(['vault.restored']);
    expect(vault.verifyAudit().ok).toBe(true);
    expect(
      JSON.parse(
        vaultDb(vault)
          .prepare("SELECT details FROM audit_log WHERE action = 'vault.restored'")
          .pluck()
          .get() as string,
      ),
    ).toMatchObject({ auditPrefix: 'pruned' });
  });

  it('refuses a backup whose audit chain is not a prefix of the live one, and a live database whose chain is broken until it is moved aside', async () => {
    const t = await newVault();
    addProfile(t.vault, SEEDED.surname);
    t.vault.close();
    // A copy of the whole data dir (same installation) that then lives its own history.
    const twin = tempDir();
    fs.cpSync(t.dir, twin, { recursive: true });
    const twinVault = await reopen(twin, { kind: 'key-file', path: path.join(twin, 'master.key') });
    twinVault.audit({ actor: 'admin:zz1', action: 'test.twin_only' });
    const forked = path.join(tempDir(), 'forked.db');
    await backupVault(twinVault, forked, 'admin:zz1');
    twinVault.close();
    // The forked backup's key is in the twin's backup key store: bring it, so the restore
    // gets as far as comparing the histories.
    fs.copyFileSync(path.join(twin, 'backup-keys.db'), path.join(t.dir, 'backup-keys.db'));
    const vault = await reopen(t.dir, t.source);
    vault.audit({ actor: 'admin:zz1', action: 'test.live_only' });
    vault.close();

    let before = hashDir(t.dir);
    const diverged = expectError(
      await thrownAsync(() => restoreVault(t.dir, t.source, forked, 'admin:zz1')),
      BackupError,
    );
    expect(diverged.reason).toBe('audit_diverged');
    expect(hashDir(t.dir)).toEqual(before);

    // A live database whose chain was tampered with is evidence: not silently replaced.
    const good = path.join(tempDir(), 'good.db');
    const again = await reopen(t.dir, t.source);
    await backupVault(again, good, 'admin:zz1');
    again.close();
    const raw = rawDb(path.join(t.dir, 'verikiosk.db'));
    raw.exec('DROP TRIGGER audit_log_no_update');
    raw.prepare("UPDATE audit_log SET actor = 'admin:zz2' WHERE action = 'test.live_only'").run();
    raw.close();
    before = hashDir(t.dir);
    const broken = expectError(
      await thrownAsync(() => restoreVault(t.dir, t.source, good, 'admin:zz1')),
      BackupError,
    );
    expect(broken.reason).toBe('live_unusable');
    expect(broken.message).toMatch(/move .* aside/);
    expect(hashDir(t.dir)).toEqual(before);

    fs.renameSync(path.join(t.dir, 'verikiosk.db'), path.join(tempDir(), 'evidence.db'));
    expect(await restoreVault(t.dir, t.source, good, 'admin:zz1')).toEqual({
      reappliedDestructions: 0,
      auditEntriesCarried: 0,
    });
    const restored = await reopen(t.dir, t.source);
    expect(restored.verifyAudit().ok).toBe(true);
    expect(
      JSON.parse(
        vaultDb(restored)
          .prepare("SELECT details FROM audit_log WHERE action = 'vault.restored'")
          .pluck()
          .get() as string,
      ),
    ).toMatchObject({ auditPrefix: 'no_live_database' });
  });
});

describe(
  'restore verifies a backup completely before it replaces anything',
  { timeout: 20_000 },
  () => {
    async function damaged(
      damage: (file: string, t: TestVault, p: Profile) => void,
    ): Promise<{ t: TestVault; error: BackupError }> {
      const t = await newVault();
      const p = addProfile(t.vault, SEEDED.surname);
      addProfile(t.vault, SEEDED.otherSurname);
      const file = await backupOf(t);
      t.vault.close();
      damage(file, t, p);
      const before = hashDir(t.dir);
      const error = expectError(
        await thrownAsync(() => restoreVault(t.dir, t.source, file, 'admin:zz1')),
        BackupError,
      );
      expect(hashDir(t.dir)).toEqual(before);
      return { t, error };
    }

    it('refuses a backup with a flipped bit in a sealed value (sealed_value_broken)', async () => {
      const { error } = await damaged((file, _t, p) =>
        flipInFile(file, Buffer.from(p.sealed), p.sealed.length - 20),
      );
      expect(error.reason).toBe('sealed_value_broken');
      expect(error.message).toMatch(/subjects\.profile_enc of row sub_/);
    });

    it('refuses a backup with a flipped bit in a wrapped data key (sealed_value_broken)', async () => {
      const { error } = await damaged((file, t, p) => {
        const check = rawDb(file);
        const wrapped = check
          .prepare('SELECT wrapped_dek FROM subject_keys WHERE subject_id = ?')
          .pluck()
          .get(p.subjectId) as Buffer;
        check.close();
        void t;
        flipInFile(file, Buffer.from(wrapped), 30);
      });
      expect(error.reason).toBe('sealed_value_broken');
      expect(error.message).toMatch(/data key of subject sub_/);
    });

    it('refuses a backup with a flipped bit in an audit entry (audit_broken)', async () => {
      const { error } = await damaged((file) => {
        const check = rawDb(file);
        const details = check
          .prepare("SELECT details FROM audit_log WHERE action = 'vault.initialised'")
          .pluck()
          .get() as string;
        check.close();
        flipInFile(file, Buffer.from(details), 2);
      });
      expect(error.reason).toBe('audit_broken');
      expect(error.message).toMatch(/entry 1/);
    });

    it('refuses a backup with damaged b-tree pages (corrupt)', async () => {
      const { error } = await damaged((file) => {
        const bytes = fs.readFileSync(file);
        const pageSize = bytes.readUInt16BE(16);
        // every page after the schema page: scramble the b-tree page headers
        for (let page = 1; page * pageSize < bytes.length; page++) {
          for (let i = 0; i < 8; i++) bytes[page * pageSize + i] = 0xff - i;
        }
        fs.writeFileSync(file, bytes);
      });
      expect(['corrupt', 'unreadable']).toContain(error.reason);
    });
  },
);

describe('restore re-applies destructions in the copy', { timeout: 20_000 }, () => {
  it('destroys again a subject the backup holds under a legal hold that was released and the subject destroyed after', async () => {
    const t = await newVault();
    const victim = addProfile(t.vault, SEEDED.surname);
    const hold = t.vault.placeLegalHold(victim.subjectId, 'litigation', 'admin:zz1');
    const file = await backupOf(t);
    t.vault.releaseLegalHold(hold, 'admin:zz1');
    expect(
      t.vault.destroySubject(victim.subjectId, { actor: 'admin:zz1', reason: 'deletion_request' })
        .destroyed,
    ).toBe(1);
    t.vault.close();
    expect(await restoreVault(t.dir, t.source, file, 'admin:zz1')).toMatchObject({
      reappliedDestructions: 1,
    });
    const vault = await reopen(t.dir, t.source);
    expect(
      vaultDb(vault)
        .prepare('SELECT COUNT(*) FROM subjects WHERE id = ?')
        .pluck()
        .get(victim.subjectId),
    ).toBe(0);
    vault.close();
    expect(
      fs.readFileSync(path.join(t.dir, 'verikiosk.db')).indexOf(Buffer.from(victim.sealed)),
    ).toBe(-1);
  });
});

describe('errors', () => {
  it('no seeded value appears in any error thrown above', () => {
    expectNoSeededValueInRecordedErrors();
  });
});
