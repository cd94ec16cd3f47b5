import { afterEach, describe, expect, it } from 'vitest';
import { Vault, dataDirPaths } from '../../../server/vault/index.js';
import { authenticateKioskToken } from '../../../server/auth/index.js';
import { killChildren, runBin, type BinRun } from './bin-helpers.js';
import { cleanupDirs, tempDir } from './helpers.js';

afterEach(() => {
  killChildren();
  cleanupDirs();
});

const d = (dataDir: string) => ['--data-dir', dataDir] as const;

function expectOk(run: BinRun): void {
  expect(run.code, `stdout:\n${run.stdout}\nstderr:\n${run.stderr}`).toBe(0);
}

describe('verikiosk kiosks as processes: location and rotation', () => {
  it(
    'create --location records it; rotate prints a new token and the old one stops working; a bad location is refused',
    { timeout: 120_000 },
    async () => {
      const dataDir = tempDir();
      const keyFile = dataDirPaths(dataDir).defaultKeyFile;
      (await Vault.init(dataDir, { unattendedKeyFile: keyFile })).close();
      const created = await runBin([
        'kiosks',
        'create',
        '--name',
        'lobby 2',
        '--location',
        'Branch 12, floor 2',
        '--json',
        ...d(dataDir),
      ]);
      expectOk(created);
      const first = JSON.parse(created.stdout) as {
        kiosk: { id: string; location: string };
        token: string;
      };
      expect(first.kiosk.location).toBe('Branch 12, floor 2');

      const rotated = await runBin(['kiosks', 'rotate', first.kiosk.id, '--json', ...d(dataDir)]);
      expectOk(rotated);
      const second = JSON.parse(rotated.stdout) as { kiosk: { id: string }; token: string };
      expect(second.kiosk.id).toBe(first.kiosk.id);
      expect(second.token).toMatch(/^vkk_[a-z0-9]{10}_[A-Za-z0-9_-]{43}$/);
      expect(second.token).not.toBe(first.token);
      const vault = await Vault.open(dataDir, { kind: 'key-file', path: keyFile });
      try {
        expect(authenticateKioskToken(vault, first.token)).toBeNull();
        expect(authenticateKioskToken(vault, second.token)?.id).toBe(first.kiosk.id);
      } finally {
        vault.close();
      }

      const listed = await runBin(['kiosks', 'list', ...d(dataDir)]);
      expectOk(listed);
      expect(listed.stdout).toMatch(/lobby 2\s+\w+\s+\S+\s+active\s+Branch 12, floor 2/);
      expect(listed.stdout).not.toContain(second.token);

      const bad = await runBin([
        'kiosks',
        'create',
        '--name',
        'x',
        '--location',
        'semi;colon',
        ...d(dataDir),
      ]);
      expect(bad.code).toBe(2);
      expect(bad.stderr).toMatch(/kiosk location/);
      expect(bad.stderr).not.toContain('semi;colon');
    },
  );
});
