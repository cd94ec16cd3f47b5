import { afterEach, describe, expect, it } from 'vitest';
import { Vault, dataDirPaths, openReadableDb } from '../../../server/vault/index.js';
import { addStaffUser, login, type SessionPolicy } from '../../../server/auth/index.js';
import { killChildren, runBin } from './bin-helpers.js';
import { cleanupDirs, tempDir } from './helpers.js';

afterEach(() => {
  killChildren();
  cleanupDirs();
});

const d = (dataDir: string) => ['--data-dir', dataDir] as const;
const PASSWORD = 'zz-teller-password-1';

describe('verikiosk users unlock as a process', () => {
  it(
    'lifts a lock earned by failed logins, audited; an unknown user is refused (exit 2)',
    { timeout: 120_000 },
    async () => {
      const dataDir = tempDir();
      const keyFile = dataDirPaths(dataDir).defaultKeyFile;
      const vault = await Vault.init(dataDir, { unattendedKeyFile: keyFile });
      const policy: SessionPolicy = {
        idleMinutes: 15,
        absoluteHours: 8,
        lockoutAfter: 2,
        lockoutSeconds: 60,
        lockoutMaxSeconds: 3600,
        addressLockoutAfter: 100,
      };
      try {
        addStaffUser(vault, { username: 'zzteller', role: 'staff', password: PASSWORD }, 'cli');
        await login(vault, { username: 'zzteller', password: 'zz-wrong-password-1' }, policy);
        await login(vault, { username: 'zzteller', password: 'zz-wrong-password-1' }, policy);
        expect(await login(vault, { username: 'zzteller', password: PASSWORD }, policy)).toEqual({
          ok: false,
          reason: 'locked',
        });
      } finally {
        vault.close();
      }
      const run = await runBin(['users', 'unlock', 'zzteller', ...d(dataDir)]);
      expect(run.code, run.stderr).toBe(0);
      expect(run.stdout).toMatch(/unlocked zzteller/);
      const db = openReadableDb(dataDirPaths(dataDir).database);
      try {
        expect(db.prepare('SELECT failed_logins, locked_until FROM staff_users').get()).toEqual({
          failed_logins: 0,
          locked_until: null,
        });
        expect(
          db
            .prepare("SELECT COUNT(*) AS n FROM audit_log WHERE action = 'staff_user.unlocked'")
            .get(),
        ).toEqual({ n: 1 });
      } finally {
        db.close();
      }
      const again = await Vault.open(dataDir, { kind: 'key-file', path: keyFile });
      try {
        expect((await login(again, { username: 'zzteller', password: PASSWORD }, policy)).ok).toBe(
          true,
        );
      } finally {
        again.close();
      }
      const unknown = await runBin(['users', 'unlock', 'zznobody', ...d(dataDir)]);
      expect(unknown.code).toBe(2);
      expect(unknown.stderr).toMatch(/no such staff user/);
    },
  );
});
