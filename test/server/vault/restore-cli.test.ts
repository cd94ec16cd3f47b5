/**
 * Backup and restore as an admin runs them: each command a separate `node bin/verikiosk.js`
 * process on a real data dir.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { Vault, type WritableDb } from '../../../server/vault/index.js';
import { vaultDb } from '../../../server/vault/internal.js';
import { KeyHierarchy } from '../../../server/vault/key-hierarchy.js';
import { KeyRing, readKeyFile } from '../../../server/vault/keys.js';
import { SEEDED, cleanup, hashDir, rawDb, tempDir } from './helpers.js';

afterEach(cleanup);

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const BIN = path.join(REPO_ROOT, 'bin', 'verikiosk.js');

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function verikiosk(...args: string[]): Run {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env))
    if (!key.startsWith('VERIKIOSK_') && key !== 'CREDENTIALS_DIRECTORY') env[key] = value;
  const run = spawnSync(process.execPath, [BIN, ...args], {
    cwd: REPO_ROOT,
    env,
    encoding: 'utf8',
  });
  return { code: run.status, stdout: run.stdout, stderr: run.stderr };
}

function ok(run: Run): Run {
  expect(run.code, `stdout:\n${run.stdout}\nstderr:\n${run.stderr}`).toBe(0);
  return run;
}

interface Verification {
  ok: boolean;
  entries: number;
  firstSeq: number;
  lastSeq: number;
}

function exportedActions(dataDir: string): { seq: number; action: string; hash: string }[] {
  const lines = ok(verikiosk('audit', 'export', '--data-dir', dataDir))
    .stdout.trim()
    .split('\n')
    .slice(1);
  return lines.map((line) => {
    const e = JSON.parse(line) as { seq: number; action: string; hash: string };
    return { seq: e.seq, action: e.action, hash: e.hash };
  });
}

describe('verikiosk backup / restore / audit verify, as separate processes', () => {
  it(
    'keeps every audit entry written after the backup; verify passes and shows them all',
    {
      timeout: 150_000,
    },
    () => {
      const dataDir = path.join(tempDir(), 'data');
      ok(verikiosk('init', '--unattended', '--json', '--data-dir', dataDir));
      const backup = path.join(tempDir(), 'vault.backup');
      ok(verikiosk('backup', backup, '--data-dir', dataDir));
      ok(verikiosk('users', 'add', 'late.user', '--data-dir', dataDir));
      ok(verikiosk('keys', 'rotate', '--data-dir', dataDir));
      const before = exportedActions(dataDir);
      expect(before.map((e) => e.action)).toEqual(
        expect.arrayContaining(['vault.backup_created', 'keys.rotated']),
      );

      const restore = ok(verikiosk('restore', backup, '--data-dir', dataDir));
      expect(restore.stdout).toMatch(/restored .* destructions re-applied: 0/);
      const verify = JSON.parse(
        ok(verikiosk('audit', 'verify', '--json', '--data-dir', dataDir)).stdout,
      ) as Verification;
      const after = exportedActions(dataDir);
      expect(after.slice(0, before.length)).toEqual(before);
      // (an export records itself before it writes the entries)
      expect(after.slice(before.length).map((e) => e.action)).toEqual([
        'vault.restored',
        'audit.exported',
      ]);
      expect(after.map((e) => e.seq)).toEqual(after.map((_, i) => i + 1));
      expect(verify).toMatchObject({
        ok: true,
        entries: after.length - 1,
        firstSeq: 1,
        lastSeq: after.length - 1,
      });
      // the user added after the backup is gone (the data is the backup's), its audit entry is not
      const users = JSON.parse(
        ok(verikiosk('users', 'list', '--json', '--data-dir', dataDir)).stdout,
      ) as { username: string }[];
      expect(users.map((u) => u.username)).not.toContain('late.user');
    },
  );

  it(
    'refuses a backup with a flipped bit in a sealed value with exit 2 and a clear message, changing nothing',
    {
      timeout: 90_000,
    },
    () => {
      const dataDir = path.join(tempDir(), 'data');
      ok(verikiosk('init', '--unattended', '--json', '--data-dir', dataDir));
      const backup = path.join(tempDir(), 'vault.backup');
      ok(verikiosk('backup', backup, '--data-dir', dataDir));
      // the system data key is the one wrapped value every vault has
      const db = rawDb(backup);
      const wrapped = Buffer.from(
        db.prepare("SELECT value FROM vault_meta WHERE key = 'system_dek'").pluck().get() as Buffer,
      );
      db.close();
      const bytes = fs.readFileSync(backup);
      const at = bytes.indexOf(wrapped);
      expect(at).toBeGreaterThan(0);
      bytes[at + 30] = bytes[at + 30]! ^ 0x01;
      fs.writeFileSync(backup, bytes);

      const before = hashDir(dataDir);
      const run = verikiosk('restore', backup, '--data-dir', dataDir);
      expect(run.code, run.stderr).toBe(2);
      expect(run.stderr).toMatch(/is damaged: the system data key does not open/);
      expect(run.stderr).not.toMatch(/internal error/);
      expect(hashDir(dataDir)).toEqual(before);
    },
  );
});

describe('backup retention, as separate processes', () => {
  it(
    'restores an old backup before the backup retention (destroying the subject again); after `retention run` passes it, restore refuses with exit 2 and no copy opens anything of the subject',
    { timeout: 150_000 },
    async () => {
      const dataDir = path.join(tempDir(), 'data');
      ok(verikiosk('init', '--unattended', '--json', '--data-dir', dataDir));
      const keyFile = path.join(dataDir, 'master.key');
      const source = { kind: 'key-file', path: keyFile } as const;
      let vault = await Vault.open(dataDir, source);
      const subjectId = vault.createSubject();
      const ref = { table: 'subjects', column: 'profile_enc', rowId: subjectId };
      vaultDb(vault)
        .prepare('UPDATE subjects SET profile_enc = ? WHERE id = ?')
        .run(vault.seal({ subjectId }, ref, SEEDED.surname), subjectId);
      const installationId = vault.installationId;
      vault.close();

      const backup = path.join(tempDir(), 'vault.backup');
      const made = ok(verikiosk('backup', backup, '--data-dir', dataDir));
      expect(made.stdout).toMatch(
        /backup written to .* Backup bak_[0-9a-z]+ can be restored for 30 days \(rule backups\.age\)/,
      );
      const offsite = path.join(tempDir(), 'offsite.backup');
      fs.copyFileSync(backup, offsite);

      vault = await Vault.open(dataDir, source);
      expect(
        vault.destroySubject(subjectId, { actor: 'admin:zz1', reason: 'test' }).destroyed,
      ).toBe(1);
      vault.close();
      // Within the backup retention: the old backup restores, the subject is destroyed again.
      expect(ok(verikiosk('restore', backup, '--data-dir', dataDir)).stdout).toMatch(
        /destructions re-applied: 1/,
      );

      // The admin shortens the backup retention; the next retention run passes the backup.
      const configFile = path.join(dataDir, 'config.json');
      const config = fs.existsSync(configFile)
        ? (JSON.parse(fs.readFileSync(configFile, 'utf8')) as Record<string, unknown>)
        : {};
      config.retention = { rules: { 'backups.age': { after: 'PT0S' } } };
      fs.writeFileSync(configFile, JSON.stringify(config));
      ok(verikiosk('retention', 'run', '--data-dir', dataDir));
      expect(fs.existsSync(backup)).toBe(false);

      const before = hashDir(dataDir);
      const refused = verikiosk('restore', offsite, '--data-dir', dataDir);
      expect(refused.code, refused.stderr).toBe(2);
      expect(refused.stderr).toMatch(/passed the backup retention; its key was destroyed/);
      expect(refused.stderr).not.toMatch(/internal error/);
      expect(hashDir(dataDir)).toEqual(before);

      // The copy, raw and with the master key: nothing of the subject.
      expect(fs.readFileSync(offsite).indexOf(Buffer.from(SEEDED.surname))).toBe(-1);
      const ring = new KeyRing(readKeyFile(keyFile));
      const db = rawDb(offsite);
      const hierarchy = new KeyHierarchy(db as unknown as WritableDb, ring, installationId);
      try {
        expect(() => hierarchy.systemKey()).not.toThrow();
        expect(() => hierarchy.subjectKey(subjectId)).toThrow();
      } finally {
        hierarchy.wipe();
        ring.wipe();
        db.close();
      }
    },
  );
});
