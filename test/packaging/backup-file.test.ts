import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runBin } from '../server/cli/bin-helpers.js';

/**
 * The package's preinst writes the pre-upgrade backup with `verikiosk backup` into
 * /var/backups/verikiosk: one self-contained file, nothing beside it. The install test found
 * -wal and -shm files left there on h7's base (the copy kept the live database's WAL mode);
 * main's backup rewrite (VACUUM INTO from a copy set to journal_mode DELETE) writes one file.
 */
const root = fs.mkdtempSync(path.join(os.tmpdir(), 'verikiosk-backup-file-'));
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

describe('verikiosk backup', () => {
  it('writes one file, in rollback-journal mode, that restores', async () => {
    const dataDir = path.join(root, 'data');
    expect((await runBin(['init', '--data-dir', dataDir, '--unattended'])).code).toBe(0);
    const backups = path.join(root, 'backups');
    fs.mkdirSync(backups);
    const file = path.join(backups, 'pre-upgrade.vkbak');
    const made = await runBin(['backup', '--data-dir', dataDir, file]);
    expect(made.code, made.stderr).toBe(0);
    expect(fs.readdirSync(backups)).toEqual(['pre-upgrade.vkbak']);
    // SQLite header bytes 18-19: 1 = rollback journal (2 would be WAL).
    const header = fs.readFileSync(file).subarray(18, 20);
    expect([...header]).toEqual([1, 1]);
    const restored = await runBin(['restore', '--data-dir', dataDir, file]);
    expect(restored.code, restored.stderr).toBe(0);
    expect(fs.readdirSync(backups)).toEqual(['pre-upgrade.vkbak']);
  });
});
