/**
 * Backups must not undo a destruction (issue 15): each backup's subject keys are wrapped under a
 * key of that backup alone, kept in the data dir's backup key store; the `backups.age` retention
 * rule destroys it. Restoring an old backup after a subject's destruction and after the published
 * bound opens nothing of theirs, even with the master key; before the bound the documented
 * behaviour holds (the backup restores, and the live tombstones destroy the subject again).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Cron } from 'croner';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import {
  defaultConfig,
  parseConfig,
  resolveRetentionRules,
  subtractIsoDuration,
  type Config,
} from '../../../server/config/index.js';
import {
  backupDestructionBound,
  backupRetentionCutoff,
  runRetention,
} from '../../../server/retention/index.js';
import {
  BackupError,
  backupKeyStorePath,
  backupVault,
  listBackups,
  restoreVault,
  Vault,
  type FieldRef,
  type WritableDb,
} from '../../../server/vault/index.js';
import { KeyHierarchy } from '../../../server/vault/key-hierarchy.js';
import { KeyRing, readKeyFile } from '../../../server/vault/keys.js';
import { openTextUnaudited, vaultDb } from '../../../server/vault/internal.js';
import {
  SEEDED,
  cleanup,
  expectError,
  fileContains,
  hashDir,
  newVault,
  reopen,
  tempDir,
  thrownAsync,
  track,
} from './helpers.js';

function cfg(input: unknown): Config {
  const outcome = parseConfig(input);
  if (!outcome.ok) throw new Error(`test config refused: ${JSON.stringify(outcome.errors)}`);
  return outcome.config;
}

afterEach(cleanup);

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

interface Profile {
  subjectId: string;
  ref: FieldRef;
}

function addProfile(vault: Vault, plaintext: string): Profile {
  const subjectId = vault.createSubject();
  const ref = { table: 'subjects', column: 'profile_enc', rowId: subjectId };
  const sealed = vault.seal({ subjectId }, ref, plaintext);
  vaultDb(vault).prepare('UPDATE subjects SET profile_enc = ? WHERE id = ?').run(sealed, subjectId);
  return { subjectId, ref };
}

function readProfile(vault: Vault, p: Profile): string {
  const stored = vaultDb(vault)
    .prepare('SELECT profile_enc FROM subjects WHERE id = ?')
    .pluck()
    .get(p.subjectId) as Uint8Array;
  return openTextUnaudited(vault, { subjectId: p.subjectId }, p.ref, stored);
}

/**
 * What someone holding the master key (key file) can open of a subject in a backup file, without
 * the appliance's backup key store: the key hierarchy of the backup opens (system data), and the
 * subject's data key is tried under every key it holds.
 */
function openWithMasterKeyOnly(
  backupFile: string,
  keyFile: string,
  installationId: string,
  subjectId: string,
): { systemKeyOpens: boolean; subjectKeyOpens: boolean } {
  const master = readKeyFile(keyFile);
  const ring = new KeyRing(master);
  const copy = path.join(tempDir(), 'attempt.db');
  fs.copyFileSync(backupFile, copy);
  const db = new Database(copy);
  const hierarchy = new KeyHierarchy(db as WritableDb, ring, installationId);
  try {
    let systemKeyOpens = true;
    try {
      hierarchy.systemKey();
    } catch {
      systemKeyOpens = false;
    }
    let subjectKeyOpens = true;
    try {
      hierarchy.subjectKey(subjectId);
    } catch {
      subjectKeyOpens = false;
    }
    return { systemKeyOpens, subjectKeyOpens };
  } finally {
    hierarchy.wipe();
    ring.wipe();
    db.close();
  }
}

/** The first scheduled retention run at or after `at` (the scheduler's cron, UTC). */
function nextScheduledRun(schedule: string, at: Date): Date {
  const run = new Cron(schedule, { paused: true, timezone: 'UTC' }).nextRun(
    new Date(at.getTime() - 1),
  );
  if (!run) throw new Error('the schedule never runs');
  return run;
}

describe(
  'a destruction reaches every backup within the published bound',
  { timeout: 30_000 },
  () => {
    it('before the bound the old backup restores and the subject is destroyed again; after it, nothing of theirs opens in any copy, even with the master key', async () => {
      let now = new Date('2026-03-01T08:00:00.000Z');
      const t = await newVault({ clock: () => now });
      const config = defaultConfig();
      const rules = resolveRetentionRules(config);
      const bound = backupDestructionBound(config);
      expect(bound.retention).toBe('P30D');
      expect(bound.longestRunGapMs).toBe(HOUR);
      expect(bound.boundMs).toBe(30 * DAY + HOUR);
      expect(bound.text).toMatch(/30 days and 1 hour/);

      const gone = addProfile(t.vault, SEEDED.surname);
      const kept = addProfile(t.vault, SEEDED.otherSurname);
      const backupFile = path.join(tempDir(), 'old.backup');
      const { backupId } = await backupVault(t.vault, backupFile, 'admin:zz1');
      // A copy taken off the machine: the appliance can never delete it.
      const offsite = path.join(tempDir(), 'offsite.backup');
      fs.copyFileSync(backupFile, offsite);
      const storeBefore = fs.readFileSync(backupKeyStorePath(t.dir));
      const wrappedBackupKey = new Database(backupKeyStorePath(t.dir), { readonly: true });
      const wrapped = Buffer.from(
        wrappedBackupKey
          .prepare('SELECT wrapped_key FROM backup_keys WHERE backup_id = ?')
          .pluck()
          .get(backupId) as Buffer,
      );
      wrappedBackupKey.close();
      expect(storeBefore.indexOf(wrapped)).toBeGreaterThan(0);

      // The backup never holds a subject key the master key opens on its own.
      expect(
        openWithMasterKeyOnly(offsite, t.keyFile, t.vault.installationId, gone.subjectId),
      ).toEqual({ systemKeyOpens: true, subjectKeyOpens: false });
      expect(fileContains(offsite, SEEDED.surname)).toBe(false);

      // The subject is destroyed a day later.
      now = new Date(now.getTime() + DAY);
      const destroyedAt = now;
      expect(
        t.vault.destroySubject(gone.subjectId, { actor: 'admin:zz1', reason: 'test' }).destroyed,
      ).toBe(1);

      // Before the bound: the retention runs of the schedule leave the backup alone, and the old
      // backup restores; the live tombstone destroys the subject again.
      now = new Date(destroyedAt.getTime() + 20 * DAY);
      const early = runRetention(t.vault, rules, { asOf: now, trigger: 'schedule' });
      expect(early.items.find((i) => i.category === 'backups')?.count).toBe(0);
      t.vault.close();
      const restored = await restoreVault(t.dir, t.source, offsite, 'admin:zz1', {
        retentionCutoff: backupRetentionCutoff(config, now),
      });
      expect(restored.reappliedDestructions).toBe(1);
      let vault = await reopen(t.dir, t.source);
      expect(readProfile(vault, kept)).toBe(SEEDED.otherSurname);
      expect(
        vaultDb(vault)
          .prepare('SELECT COUNT(*) FROM subjects WHERE id = ?')
          .pluck()
          .get(gone.subjectId),
      ).toBe(0);
      vault.close();

      // The bound: the first scheduled run after the backup passes the retention destroys its key.
      const backupMade = new Date('2026-03-01T08:00:00.000Z');
      const due = nextScheduledRun(
        config.retention.schedule,
        new Date(backupMade.getTime() + 30 * DAY),
      );
      expect(due.getTime()).toBeLessThanOrEqual(destroyedAt.getTime() + bound.boundMs!);
      // The scheduled run an hour before it leaves it.
      now = new Date(due.getTime() - HOUR);
      vault = track(await Vault.open(t.dir, t.source, { clock: () => now }));
      const before = runRetention(vault, rules, { asOf: now, trigger: 'schedule' });
      expect(before.items.find((i) => i.category === 'backups')?.count).toBe(0);
      now = due;
      const report = runRetention(vault, rules, { asOf: due, trigger: 'schedule' });
      expect(report.items.find((i) => i.category === 'backups')).toMatchObject({
        ruleId: 'backups.age',
        count: 1,
      });
      expect(
        vaultDb(vault)
          .prepare(
            "SELECT COUNT(*) FROM audit_log WHERE action = 'vault.backup_expired' AND object_id = ?",
          )
          .pluck()
          .get(backupId),
      ).toBe(1);
      expect(vault.verifyAudit().ok).toBe(true);
      vault.close();

      // The file where it was written is deleted; the key is gone from the store, in place.
      expect(fs.existsSync(backupFile)).toBe(false);
      expect(listBackups(t.dir)).toEqual([
        expect.objectContaining({ backupId, destroyedAt: due.toISOString() }),
      ]);
      expect(fs.readFileSync(backupKeyStorePath(t.dir)).indexOf(wrapped)).toBe(-1);
      for (const suffix of ['-journal', '-wal'])
        expect(fs.existsSync(`${backupKeyStorePath(t.dir)}${suffix}`)).toBe(false);

      // After the bound: the offsite copy restores nothing and changes nothing ...
      const dirBefore = hashDir(t.dir);
      const error = expectError(
        await thrownAsync(() => restoreVault(t.dir, t.source, offsite, 'admin:zz1')),
        BackupError,
      );
      expect(error.reason).toBe('expired');
      expect(error.message).toContain(backupId);
      expect(hashDir(t.dir)).toEqual(dirBefore);
      // ... its raw bytes hold neither subject's plaintext, and with the master key (and no
      // backup key) neither subject's data key opens.
      expect(fileContains(offsite, SEEDED.surname)).toBe(false);
      expect(fileContains(offsite, SEEDED.otherSurname)).toBe(false);
      for (const p of [gone, kept]) {
        expect(
          openWithMasterKeyOnly(offsite, t.keyFile, t.vault.installationId, p.subjectId),
        ).toEqual({ systemKeyOpens: true, subjectKeyOpens: false });
      }
    });

    it('refuses a backup past the retention at restore even before a retention run destroyed its key, changing nothing', async () => {
      let now = new Date('2026-03-01T08:00:00.000Z');
      const t = await newVault({ clock: () => now });
      addProfile(t.vault, SEEDED.surname);
      const file = path.join(tempDir(), 'b.backup');
      await backupVault(t.vault, file, 'admin:zz1');
      t.vault.close();
      now = new Date(now.getTime() + 31 * DAY);
      const config = cfg({ retention: { rules: { 'backups.age': { after: 'P30D' } } } });
      const before = hashDir(t.dir);
      const error = expectError(
        await thrownAsync(() =>
          restoreVault(t.dir, t.source, file, 'admin:zz1', {
            retentionCutoff: backupRetentionCutoff(config, now),
          }),
        ),
        BackupError,
      );
      expect(error.reason).toBe('expired');
      expect(hashDir(t.dir)).toEqual(before);
      // Within the retention it restores.
      await restoreVault(t.dir, t.source, file, 'admin:zz1', {
        retentionCutoff: subtractIsoDuration(new Date(now.getTime() - 2 * DAY), 'P30D'),
      });
    });

    it('removes the temporary copy a killed backup left in the data dir, never a recent one', async () => {
      const t = await newVault();
      const stale = path.join(t.dir, 'verikiosk.db.backup-bak_killed.tmp');
      const recent = path.join(t.dir, 'verikiosk.db.backup-bak_running.tmp');
      fs.copyFileSync(t.dbFile, stale);
      fs.copyFileSync(t.dbFile, recent);
      const old = new Date(Date.now() - 7 * HOUR);
      fs.utimesSync(stale, old, old);
      await backupVault(t.vault, path.join(tempDir(), 'b.backup'), 'admin:zz1');
      expect(fs.existsSync(stale)).toBe(false);
      expect(fs.existsSync(recent)).toBe(true);
      // its own temporary copy is gone too
      expect(fs.readdirSync(t.dir).filter((n) => n.includes('.backup-'))).toEqual([
        'verikiosk.db.backup-bak_running.tmp',
      ]);
    });

    it('restores a backup made before backup keys existed as before (its keys are under the master key: not reached)', async () => {
      const t = await newVault();
      const p = addProfile(t.vault, SEEDED.surname);
      // What an earlier verikiosk wrote: the database as it is, via the SQLite backup API.
      const legacy = path.join(tempDir(), 'legacy.backup');
      await vaultDb(t.vault).backup(legacy);
      expect(openWithMasterKeyOnly(legacy, t.keyFile, t.vault.installationId, p.subjectId)).toEqual(
        { systemKeyOpens: true, subjectKeyOpens: true },
      );
      t.vault.close();
      await restoreVault(t.dir, t.source, legacy, 'admin:zz1');
      const vault = await reopen(t.dir, t.source);
      expect(readProfile(vault, p)).toBe(SEEDED.surname);
    });

    it('refuses a backup whose key is not in this data dir (key_missing)', async () => {
      const t = await newVault();
      addProfile(t.vault, SEEDED.surname);
      const file = path.join(tempDir(), 'b.backup');
      await backupVault(t.vault, file, 'admin:zz1');
      t.vault.close();
      fs.rmSync(backupKeyStorePath(t.dir));
      const error = expectError(
        await thrownAsync(() => restoreVault(t.dir, t.source, file, 'admin:zz1')),
        BackupError,
      );
      expect(error.reason).toBe('key_missing');
    });

    it('publishes no bound when the backup rule is switched off, and the longest gap of the schedule otherwise', () => {
      const off = cfg({ retention: { rules: { 'backups.age': { enabled: false } } } });
      expect(backupDestructionBound(off)).toMatchObject({ retention: null, boundMs: null });
      const daily = cfg({
        retention: { schedule: '0 3 * * 1-5', rules: { 'backups.age': { after: 'P14D' } } },
      });
      // hourly but never in December: the December gap lies beyond the runs measured exactly and is
      // still counted (at most a day over)
      const gap = backupDestructionBound(
        cfg({ retention: { schedule: '0 * * 1-11 *' } }),
      ).longestRunGapMs;
      expect(gap).toBeGreaterThanOrEqual(31 * DAY);
      expect(gap).toBeLessThanOrEqual(33 * DAY);
      // weekdays only: Friday 03:00 to Monday 03:00
      expect(backupDestructionBound(daily)).toMatchObject({
        retention: 'P14D',
        longestRunGapMs: 3 * DAY,
        boundMs: 17 * DAY,
      });
    });
  },
);
