import * as fs from 'node:fs';
import * as path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { LATEST_SCHEMA_VERSION } from '../../../server/vault/index.js';
import {
  FAKE,
  cleanupDirs,
  cli,
  expectRefusedUnchanged,
  hashDir,
  initUnattended,
  initWithPassphrase,
  parseJson,
  secretFile,
  tempDir,
} from './helpers.js';

afterEach(cleanupDirs);

function countOccurrences(text: string, needle: string): number {
  return text.split(needle).length - 1;
}

/** The database and WAL bytes of a data dir (the vault is closed, so the WAL is normally gone). */
function rawDbBytes(dataDir: string): Buffer {
  const files = ['verikiosk.db', 'verikiosk.db-wal']
    .map((f) => path.join(dataDir, f))
    .filter((f) => fs.existsSync(f));
  return Buffer.concat(files.map((f) => fs.readFileSync(f)));
}

describe('init --unattended', () => {
  it('prints the admin password, API key and kiosk token once, and the key-file warning on stderr', async () => {
    const dataDir = path.join(tempDir(), 'data');
    const run = await cli(['init', '--unattended', '--data-dir', dataDir]);
    expect(run.code, run.stderr).toBe(0);

    const password = /admin password\s+(\S+)/.exec(run.stdout)?.[1];
    const apiKey = /API key\s+(vk_\S+)/.exec(run.stdout)?.[1];
    const token = /kiosk token\s+(vkk_\S+)/.exec(run.stdout)?.[1];
    expect(password).toMatch(/^[A-Za-z0-9]{20}$/);
    expect(apiKey).toMatch(/^vk_live_[a-z0-9]{10}_[A-Za-z0-9_-]{43}$/);
    expect(token).toMatch(/^vkk_[a-z0-9]{10}_[A-Za-z0-9_-]{43}$/);
    for (const secret of [password!, apiKey!, token!]) {
      expect(countOccurrences(run.stdout, secret)).toBe(1);
      expect(run.stderr).not.toContain(secret);
    }
    expect(run.stdout).toMatch(/shown ONCE/);

    expect(run.stderr).toMatch(/WARNING: unattended key mode/);
    expect(run.stderr).toContain(path.join(dataDir, 'master.key'));
    expect(run.stdout).not.toMatch(/WARNING/);

    expect(fs.readdirSync(dataDir).sort()).toEqual([
      'config.json',
      'keys.json',
      'master.key',
      'verikiosk.db',
    ]);
    expect(fs.statSync(path.join(dataDir, 'master.key')).mode & 0o777).toBe(0o600);
    expect(fs.statSync(dataDir).mode & 0o077).toBe(0);

    // Only hashes are stored: no secret is anywhere in the files of the data dir.
    for (const file of fs.readdirSync(dataDir)) {
      const bytes = fs.readFileSync(path.join(dataDir, file));
      for (const secret of [password!, apiKey!, token!])
        expect(bytes.includes(secret), `${file} holds a secret`).toBe(false);
    }
    expect(rawDbBytes(dataDir).length).toBeGreaterThan(0);
  });

  it('prints the secrets as JSON with --json', async () => {
    const p = await initUnattended();
    expect(p.installationId).toMatch(/^ins_/);
    expect(p.admin.username).toBe('admin');
    expect(p.apiKey.scopes).toEqual(['verifications:write', 'verifications:read']);
    expect(p.kioskToken.kioskId).toMatch(/^ksk_/);
    expect(p.unattendedKeyFile).toBe(path.join(p.dataDir, 'master.key'));
  });

  it('refuses a second init with exit 2 and leaves the data dir unchanged', async () => {
    const p = await initUnattended();
    await expectRefusedUnchanged(
      p.dataDir,
      ['init', '--unattended', '--data-dir', p.dataDir],
      /already initialised/,
    );
  });

  it('takes the data dir from $VERIKIOSK_DATA_DIR', async () => {
    const dataDir = path.join(tempDir(), 'from-env');
    const run = await cli(['init', '--unattended', '--json'], { VERIKIOSK_DATA_DIR: dataDir });
    expect(run.code, run.stderr).toBe(0);
    expect(parseJson(run).dataDir).toBe(dataDir);
    expect(fs.existsSync(path.join(dataDir, 'keys.json'))).toBe(true);
  });

  it('an empty $VERIKIOSK_DATA_DIR falls back to the default, never the current directory', async () => {
    const home = tempDir();
    const run = await cli(['status', '--json'], { VERIKIOSK_DATA_DIR: '', XDG_DATA_HOME: home });
    expect(run.code, run.stderr).toBe(0);
    expect(parseJson(run).dataDir).toBe(path.join(home, 'verikiosk'));
  });
});

describe('init refusals that write nothing', () => {
  it('with neither --unattended nor --passphrase-file and no terminal: exit 2, nothing written', async () => {
    const parent = tempDir();
    const dataDir = path.join(parent, 'data');
    const run = await cli(['init', '--data-dir', dataDir]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/--unattended, --passphrase-file or a terminal/);
    expect(run.stdout).toBe('');
    expect(fs.readdirSync(parent)).toEqual([]);
  });

  it('with an invalid config.json written beforehand: exit 2, only that file there', async () => {
    const dataDir = tempDir();
    fs.writeFileSync(
      path.join(dataDir, 'config.json'),
      JSON.stringify({ server: { port: 'eighty' } }),
    );
    const run = await expectRefusedUnchanged(
      dataDir,
      ['init', '--unattended', '--data-dir', dataDir],
      /server\.port/,
    );
    expect(run.stderr).toMatch(/server\.port\b.*\[type\]/);
    expect(fs.readdirSync(dataDir)).toEqual(['config.json']);
  });

  it('with a passphrase file that cannot be read: exit 2, nothing written', async () => {
    const parent = tempDir();
    const dataDir = path.join(parent, 'data');
    const run = await cli([
      'init',
      '--passphrase-file',
      path.join(parent, 'missing.txt'),
      '--data-dir',
      dataDir,
    ]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/passphrase file .* cannot be read/);
    expect(fs.readdirSync(parent)).toEqual([]);
  });

  it('with an admin username the user rules refuse: exit 2, no half-initialised data dir', async () => {
    const parent = tempDir();
    const dataDir = path.join(parent, 'data');
    const run = await cli([
      'init',
      '--unattended',
      '--admin-username',
      'Not A Username',
      '--data-dir',
      dataDir,
    ]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/username/);
    // A later init with a good name must still be possible.
    const again = await cli(['init', '--unattended', '--data-dir', dataDir]);
    expect(again.code, again.stderr).toBe(0);
  });
});

describe('init with a passphrase', () => {
  it('unlocks with --passphrase-file and with $VERIKIOSK_PASSPHRASE, and is locked without either', async () => {
    const p = await initWithPassphrase();
    expect(p.unattendedKeyFile).toBeNull();
    expect(fs.existsSync(path.join(p.dataDir, 'master.key'))).toBe(false);
    const keys = fs.readFileSync(path.join(p.dataDir, 'keys.json'), 'utf8');
    expect(keys).not.toContain(FAKE.passphrase);

    const viaFile = await cli([
      'users',
      'list',
      '--json',
      '--data-dir',
      p.dataDir,
      '--passphrase-file',
      p.passphraseFile,
    ]);
    expect(viaFile.code, viaFile.stderr).toBe(0);
    expect(parseJson<{ username: string }[]>(viaFile).map((u) => u.username)).toEqual(['admin']);

    const viaEnv = await cli(['users', 'list', '--json', '--data-dir', p.dataDir], {
      VERIKIOSK_PASSPHRASE: FAKE.passphrase,
    });
    expect(viaEnv.code, viaEnv.stderr).toBe(0);

    await expectRefusedUnchanged(
      p.dataDir,
      ['users', 'list', '--data-dir', p.dataDir],
      /the vault is locked: give the passphrase/,
    );
  });

  it('a wrong passphrase (file or env): exit 2, a clear message, the data dir unchanged', async () => {
    const p = await initWithPassphrase();
    const wrong = secretFile(FAKE.wrongPassphrase);
    const run = await expectRefusedUnchanged(
      p.dataDir,
      ['users', 'list', '--data-dir', p.dataDir, '--passphrase-file', wrong],
      /the passphrase does not unlock this installation/,
    );
    expect(run.stderr).not.toContain(FAKE.wrongPassphrase);
    await expectRefusedUnchanged(
      p.dataDir,
      ['audit', 'verify', '--data-dir', p.dataDir],
      /the passphrase does not unlock this installation/,
      { VERIKIOSK_PASSPHRASE: FAKE.wrongPassphrase },
    );
  });

  it('init refuses a passphrase shorter than the minimum', async () => {
    const parent = tempDir();
    const dataDir = path.join(parent, 'data');
    const run = await cli([
      'init',
      '--passphrase-file',
      secretFile('short'),
      '--kdf',
      'interactive',
      '--data-dir',
      dataDir,
    ]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/at least 12 characters/);
    expect(fs.existsSync(path.join(dataDir, 'keys.json'))).toBe(false);
    expect(fs.existsSync(path.join(dataDir, 'verikiosk.db'))).toBe(false);
  });
});

describe('refused unlocks leave the data dir unchanged', () => {
  it('a missing key file: exit 2', async () => {
    const p = await initUnattended();
    fs.rmSync(path.join(p.dataDir, 'master.key'));
    await expectRefusedUnchanged(
      p.dataDir,
      ['users', 'list', '--data-dir', p.dataDir],
      /key file .*master\.key is missing/,
    );
    await expectRefusedUnchanged(
      p.dataDir,
      ['users', 'list', '--data-dir', p.dataDir, '--key-file', path.join(p.dataDir, 'nowhere.key')],
      /does not exist/,
    );
  });

  it('a corrupt key file: exit 2', async () => {
    const p = await initUnattended();
    const keyFile = path.join(p.dataDir, 'master.key');
    fs.writeFileSync(keyFile, 'vk-master-v1:AAAA\n', { mode: 0o600 });
    await expectRefusedUnchanged(
      p.dataDir,
      ['users', 'list', '--data-dir', p.dataDir],
      /key file .* is damaged/,
    );
    fs.writeFileSync(keyFile, 'not a key at all\n', { mode: 0o600 });
    await expectRefusedUnchanged(
      p.dataDir,
      ['keys', 'rotate', '--data-dir', p.dataDir],
      /not a verikiosk master key/,
    );
  });

  it("another installation's key file, or one readable by others: exit 2", async () => {
    const a = await initUnattended();
    const b = await initUnattended();
    await expectRefusedUnchanged(
      a.dataDir,
      ['users', 'list', '--data-dir', a.dataDir, '--key-file', path.join(b.dataDir, 'master.key')],
      /belongs to another installation/,
    );
    fs.chmodSync(path.join(a.dataDir, 'master.key'), 0o644);
    await expectRefusedUnchanged(
      a.dataDir,
      ['users', 'list', '--data-dir', a.dataDir],
      /readable by others.*chmod 600/,
    );
  });

  it('a database from a newer version: exit 2; status still reports it', async () => {
    const p = await initUnattended();
    const db = new Database(path.join(p.dataDir, 'verikiosk.db'));
    db.pragma('user_version = 99');
    db.close();
    await expectRefusedUnchanged(
      p.dataDir,
      ['users', 'list', '--data-dir', p.dataDir],
      new RegExp(
        `schema version 99, newer than this verikiosk supports \\(${LATEST_SCHEMA_VERSION}\\)`,
      ),
    );
    await expectRefusedUnchanged(
      p.dataDir,
      ['start', '--data-dir', p.dataDir, '--port', '0'],
      /schema version 99/,
    );

    // status reads the database without unlocking and reports the version it cannot open.
    const before = hashDir(p.dataDir);
    const status = await cli(['status', '--json', '--data-dir', p.dataDir]);
    expect(status.code, status.stderr).toBe(0);
    const s = parseJson(status);
    expect(s.schemaVersion).toBe(99);
    expect(s.supportedSchemaVersion).toBe(LATEST_SCHEMA_VERSION);
    expect(s.counts).toBeNull();
    // status reads without leaving anything behind, not even -wal/-shm files.
    expect(hashDir(p.dataDir)).toEqual(before);
  });

  it('an invalid config.json: exit 2 naming the key and the rule', async () => {
    const p = await initUnattended();
    const configFile = path.join(p.dataDir, 'config.json');
    const config = JSON.parse(fs.readFileSync(configFile, 'utf8')) as {
      server: Record<string, unknown>;
    };
    config.server.port = 70000;
    config.server.colour = 'blue';
    fs.writeFileSync(configFile, JSON.stringify(config, null, 2));
    const run = await expectRefusedUnchanged(
      p.dataDir,
      ['users', 'list', '--data-dir', p.dataDir],
      /config\.json is not a valid configuration/,
    );
    expect(run.stderr).toMatch(/server\.port\b.*\[range\]/);
    expect(run.stderr).toMatch(/server\.colour\b.*\[unknown_key\]/);
    expect(run.stderr).not.toContain('70000');
    await expectRefusedUnchanged(
      p.dataDir,
      ['start', '--data-dir', p.dataDir, '--port', '0'],
      /server\.port/,
    );

    fs.writeFileSync(configFile, '{ "server": { "port": 8420, } }');
    const syntax = await expectRefusedUnchanged(
      p.dataDir,
      ['keys', 'rotate', '--data-dir', p.dataDir],
      /not valid JSON/,
    );
    expect(syntax.stderr).toMatch(/\[json_syntax\]/);
  });
});
