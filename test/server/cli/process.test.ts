import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { authenticateKioskToken } from '../../../server/auth/index.js';
import { Vault, dataDirPaths, openReadableDb } from '../../../server/vault/index.js';
import { td3 } from '../documents/mrz/builders.js';
import { LOOPS, syntheticSignature } from '../biometrics/signature/synthetic.js';
import { formatSvcSignature } from '../../../server/biometrics/signature/index.js';
import { killChildren, runBin, type BinRun } from './bin-helpers.js';
import {
  FAKE,
  cleanupDirs,
  hashDir,
  initUnattended,
  initWithPassphrase,
  secretFile,
  tempDir,
} from './helpers.js';

/**
 * Every command (the audit commands have their own) run as a separate process through the real
 * bin, as an admin runs it: a command that only works because an earlier one in the same process
 * loaded something (libsodium, a model) fails here.
 */

afterEach(() => {
  killChildren();
  cleanupDirs();
});

const d = (dataDir: string) => ['--data-dir', dataDir] as const;
const TIMEOUT = 120_000;

function expectOk(run: BinRun): void {
  expect(run.code, `stdout:\n${run.stdout}\nstderr:\n${run.stderr}`).toBe(0);
}

function expectRefused(run: BinRun, message: RegExp): void {
  expect(run.code, `stdout:\n${run.stdout}\nstderr:\n${run.stderr}`).toBe(2);
  expect(run.stderr).toMatch(message);
  expect(run.stderr).not.toMatch(/internal error/);
}

function auditActions(dataDir: string): string[] {
  const db = openReadableDb(dataDirPaths(dataDir).database);
  try {
    return (
      db.prepare('SELECT action FROM audit_log ORDER BY seq').all() as { action: string }[]
    ).map((r) => r.action);
  } finally {
    db.close();
  }
}

async function occupiedPort(): Promise<{ port: number; close: () => Promise<void> }> {
  const blocker = net.createServer();
  await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
  return {
    port: (blocker.address() as net.AddressInfo).port,
    close: () => new Promise((resolve) => blocker.close(() => resolve())),
  };
}

describe('init and start as processes', () => {
  it(
    "init's starter config.json has every section, face included",
    async () => {
      const dataDir = path.join(tempDir(), 'data');
      expectOk(await runBin(['init', '--unattended', '--json', ...d(dataDir)]));
      const config = JSON.parse(fs.readFileSync(path.join(dataDir, 'config.json'), 'utf8')) as {
        face?: Record<string, unknown>;
      };
      expect(config.face).toEqual({
        maxQueue: 8,
        maxFileBytes: 15 * 1024 * 1024,
        maxPixels: 40_000_000,
        minDimension: 48,
        workingMaxSide: 1280,
        warmUpAtStart: true,
      });
      expectOk(await runBin(['config', 'check', ...d(dataDir)]));
    },
    TIMEOUT,
  );

  it(
    'start --host 0.0.0.0 without TLS is refused before anything is created or printed',
    async () => {
      const dataDir = path.join(tempDir(), 'fresh');
      const run = await runBin(['start', '--host', '0.0.0.0', '--port', '0', ...d(dataDir)]);
      expectRefused(run, /binding to 0\.0\.0\.0 needs TLS/);
      expect(run.stdout).toBe('');
      expect(run.stderr).not.toMatch(/First run/);
      expect(fs.existsSync(dataDir)).toBe(false);
    },
    TIMEOUT,
  );

  it(
    'start on a port in use: exit 2 with a clear message; nothing initialised, run or audited',
    async () => {
      const blocker = await occupiedPort();
      try {
        const fresh = path.join(tempDir(), 'fresh');
        const first = await runBin(['start', '--port', String(blocker.port), ...d(fresh)]);
        expectRefused(first, new RegExp(`127\\.0\\.0\\.1:${blocker.port} is already in use`));
        expect(first.stdout).toBe('');
        expect(fs.existsSync(fresh)).toBe(false);

        const p = await initUnattended();
        const before = hashDir(p.dataDir);
        const actions = auditActions(p.dataDir);
        const again = await runBin(['start', '--port', String(blocker.port), ...d(p.dataDir)]);
        expectRefused(again, /is already in use by another program/);
        // no retention run, no config.changed entry: the vault was never opened
        expect(auditActions(p.dataDir)).toEqual(actions);
        expect(hashDir(p.dataDir)).toEqual(before);
      } finally {
        await blocker.close();
      }
    },
    TIMEOUT,
  );
});

describe('a damaged data dir (what an interrupted init of older versions left)', () => {
  it(
    'keys.json without a database, or the reverse: status, init and start all say so, exit 2, nothing changed',
    async () => {
      const p = await initUnattended();
      for (const [kept, gone] of [
        ['keys.json', 'verikiosk.db'],
        ['verikiosk.db', 'keys.json'],
      ] as const) {
        const dataDir = path.join(tempDir(), 'damaged');
        fs.mkdirSync(dataDir, { mode: 0o700 });
        fs.copyFileSync(path.join(p.dataDir, kept), path.join(dataDir, kept));
        const before = hashDir(dataDir);
        const status = await runBin(['status', '--json', ...d(dataDir)]);
        expectOk(status);
        const reported = JSON.parse(status.stdout) as { state: string; problem: string };
        expect(reported.state).toBe('damaged');
        expect(reported.problem).toMatch(new RegExp(`has ${kept} but no ${gone}`));
        for (const args of [
          ['init', '--unattended', ...d(dataDir)],
          ['start', '--port', '0', ...d(dataDir)],
          ['users', 'list', ...d(dataDir)],
        ]) {
          const run = await runBin(args);
          expectRefused(run, new RegExp(`has ${kept} but no ${gone}`));
          expect(run.stdout).toBe('');
        }
        expect(hashDir(dataDir)).toEqual(before);
      }
    },
    TIMEOUT,
  );
});

describe('start while another process holds the data dir', () => {
  it(
    'says whether the other one serves (and where) or is still starting or initialising; exit 2',
    async () => {
      const p = await initUnattended();
      const lock = path.join(p.dataDir, 'verikiosk.pid');
      // this test process stands in for the other verikiosk: a live pid
      fs.writeFileSync(lock, `${process.pid}\n`);
      const starting = await runBin(['start', '--port', '0', ...d(p.dataDir)]);
      expectRefused(starting, new RegExp(`pid ${process.pid}\\) is starting or initialising`));
      fs.writeFileSync(lock, `${process.pid}\nhttp://127.0.0.1:9\n`);
      const serving = await runBin(['start', '--port', '0', ...d(p.dataDir)]);
      expectRefused(serving, /is already serving .* at http:\/\/127\.0\.0\.1:9/);
      // init takes the same lock
      const fresh = path.join(tempDir(), 'fresh');
      fs.mkdirSync(fresh, { mode: 0o700 });
      fs.writeFileSync(path.join(fresh, 'verikiosk.pid'), `${process.pid}\n`);
      const init = await runBin(['init', '--unattended', '--data-dir', fresh]);
      expectRefused(init, /is starting or initialising/);
      expect(fs.readdirSync(fresh)).toEqual(['verikiosk.pid']);
    },
    TIMEOUT,
  );
});

describe('start with TLS files that do not exist', () => {
  it(
    'exit 2 naming the setting, before anything is opened or written',
    async () => {
      const p = await initUnattended();
      const configFile = path.join(p.dataDir, 'config.json');
      const config = JSON.parse(fs.readFileSync(configFile, 'utf8')) as {
        server: Record<string, unknown>;
      };
      config.server.tls = { certFile: 'missing.crt', keyFile: 'missing.key' };
      fs.writeFileSync(configFile, JSON.stringify(config));
      const before = hashDir(p.dataDir);
      const run = await runBin(['start', '--port', '0', ...d(p.dataDir)]);
      // config validation refuses it before the port is bound (the listener's own read is the
      // last line of defence for a file removed in between)
      expectRefused(
        run,
        /server\.tls\.certFile names a file that does not exist.*\[file_missing\]/,
      );
      expect(run.stderr).toMatch(/server\.tls\.keyFile names a file that does not exist/);
      expect(hashDir(p.dataDir)).toEqual(before);
    },
    TIMEOUT,
  );
});

describe('users, API keys and kiosks as processes', () => {
  it(
    'a data dir with no admin, API key or kiosk is repaired from the CLI; tokens are shown once and stored hashed',
    async () => {
      // what an interrupted first start used to leave: a healthy vault with no records
      const dataDir = tempDir();
      const keyFile = dataDirPaths(dataDir).defaultKeyFile;
      (await Vault.init(dataDir, { unattendedKeyFile: keyFile })).close();

      const admin = await runBin(['users', 'add', 'first.admin', '--role', 'admin', ...d(dataDir)]);
      expectOk(admin);
      expect(admin.stdout).toMatch(
        /password \(shown once, must be changed at first login\): \S{20}/,
      );

      const api = await runBin(['api-keys', 'create', '--name', 'branch', '--json', ...d(dataDir)]);
      expectOk(api);
      const { key } = JSON.parse(api.stdout) as { key: string };
      expect(key).toMatch(/^vk_live_[a-z0-9]{10}_/);

      const created = await runBin(['kiosks', 'create', '--name', 'lobby 2', ...d(dataDir)]);
      expectOk(created);
      const kioskId = /registered kiosk (ksk_\w+) \(lobby 2\)/.exec(created.stdout)?.[1];
      const token = /token \(shown once\): (vkk_\S+)/.exec(created.stdout)?.[1];
      expect(kioskId).toBeDefined();
      expect(token).toMatch(/^vkk_[a-z0-9]{10}_[A-Za-z0-9_-]{43}$/);

      const listed = await runBin(['kiosks', 'list', '--json', ...d(dataDir)]);
      expectOk(listed);
      expect(listed.stdout).not.toContain(token!);
      expect(JSON.parse(listed.stdout)).toEqual([
        expect.objectContaining({ id: kioskId, name: 'lobby 2', revokedAt: null }),
      ]);
      // stored as a keyed hash only: the token is in no file of the data dir
      for (const file of fs.readdirSync(dataDir))
        expect(fs.readFileSync(path.join(dataDir, file)).includes(Buffer.from(token!))).toBe(false);
      const vault = await Vault.open(dataDir, { kind: 'key-file', path: keyFile });
      try {
        expect(authenticateKioskToken(vault, token!)?.id).toBe(kioskId);
      } finally {
        vault.close();
      }

      expectOk(await runBin(['kiosks', 'revoke', kioskId!, ...d(dataDir)]));
      const after = await Vault.open(dataDir, { kind: 'key-file', path: keyFile });
      try {
        expect(authenticateKioskToken(after, token!)).toBeNull();
        expect(after.verifyAudit().ok).toBe(true);
      } finally {
        after.close();
      }
      expect(auditActions(dataDir)).toEqual(
        expect.arrayContaining(['kiosk.registered', 'kiosk.revoked', 'api_client.created']),
      );
      const text = await runBin(['kiosks', 'list', ...d(dataDir)]);
      expect(text.stdout).toMatch(new RegExp(`${kioskId}\\s+lobby 2\\s+\\w+\\s+\\S+\\s+revoked`));

      expectRefused(await runBin(['kiosks', 'revoke', 'ksk_nope', ...d(dataDir)]), /no such kiosk/);
      expectRefused(await runBin(['kiosks', 'create', ...d(dataDir)]), /required option '--name/);
      expectRefused(
        await runBin(['kiosks', 'create', '--name', 'semi;colon', ...d(dataDir)]),
        /kiosk name/,
      );
    },
    TIMEOUT,
  );

  it(
    'users add, list and disable; api-keys list and revoke',
    async () => {
      const p = await initUnattended();
      expectOk(await runBin(['users', 'add', 'bob.teller', ...d(p.dataDir)]));
      const users = await runBin(['users', 'list', '--json', ...d(p.dataDir)]);
      expectOk(users);
      expect((JSON.parse(users.stdout) as { username: string }[]).map((u) => u.username)).toEqual([
        'admin',
        'bob.teller',
      ]);
      expectOk(await runBin(['users', 'disable', 'bob.teller', ...d(p.dataDir)]));
      const keys = await runBin(['api-keys', 'list', ...d(p.dataDir)]);
      expectOk(keys);
      expect(keys.stdout).toContain(p.apiKey.clientId);
      expect(keys.stdout).not.toContain(p.apiKey.key);
      expectOk(await runBin(['api-keys', 'revoke', p.apiKey.clientId, ...d(p.dataDir)]));
    },
    TIMEOUT,
  );
});

describe('keys, backup, restore, retention and config as processes', () => {
  it(
    'keys change-passphrase on an unattended install removes master.key and says so; the passphrase then unlocks',
    async () => {
      const p = await initUnattended();
      const keyFile = path.join(p.dataDir, 'master.key');
      expect(fs.existsSync(keyFile)).toBe(true);
      const newFile = secretFile(FAKE.newPassphrase);
      const changed = await runBin([
        'keys',
        'change-passphrase',
        '--new-passphrase-file',
        newFile,
        '--kdf',
        'interactive',
        ...d(p.dataDir),
      ]);
      expectOk(changed);
      expect(changed.stdout).toMatch(
        /unattended mode ended: the key file .*master\.key was overwritten and removed/,
      );
      expect(fs.existsSync(keyFile)).toBe(false);
      expect(fs.readdirSync(p.dataDir).filter((f) => f.includes('master.key'))).toEqual([]);

      const locked = await runBin(['users', 'list', ...d(p.dataDir)]);
      expectRefused(locked, /the vault is locked: give the passphrase/);
      const unlocked = await runBin([
        'users',
        'list',
        '--passphrase-file',
        newFile,
        ...d(p.dataDir),
      ]);
      expectOk(unlocked);
      expect(auditActions(p.dataDir)).toEqual(
        expect.arrayContaining(['keys.passphrase_changed', 'keys.key_file_removed']),
      );
      // status no longer offers the key file
      const status = JSON.parse((await runBin(['status', '--json', ...d(p.dataDir)])).stdout) as {
        unlock: { passphraseSet: boolean; keyFilePresent: boolean };
      };
      expect(status.unlock).toMatchObject({ passphraseSet: true, keyFilePresent: false });
    },
    TIMEOUT,
  );

  it(
    'keys rotate; change-passphrase with a passphrase install keeps working',
    async () => {
      const p = await initWithPassphrase();
      const rotated = await runBin([
        'keys',
        'rotate',
        '--json',
        '--passphrase-file',
        p.passphraseFile,
        ...d(p.dataDir),
      ]);
      expectOk(rotated);
      expect(JSON.parse(rotated.stdout)).toMatchObject({ generation: 2 });
      const changed = await runBin([
        'keys',
        'change-passphrase',
        '--passphrase-file',
        p.passphraseFile,
        '--new-passphrase-file',
        secretFile(FAKE.newPassphrase),
        '--kdf',
        'interactive',
        ...d(p.dataDir),
      ]);
      expectOk(changed);
      expect(changed.stdout).not.toMatch(/unattended mode ended/);
    },
    TIMEOUT,
  );

  it(
    'backup into a missing directory: exit 2, clear message, nothing written; backup and restore',
    async () => {
      const p = await initUnattended();
      const before = hashDir(p.dataDir);
      const missing = path.join(tempDir(), 'no-such-dir', 'vk.backup');
      const refused = await runBin(['backup', missing, ...d(p.dataDir)]);
      expectRefused(refused, /the directory .*no-such-dir for the backup does not exist/);
      expect(hashDir(p.dataDir)).toEqual(before);
      expect(fs.existsSync(path.dirname(missing))).toBe(false);

      const file = path.join(tempDir(), 'vk.backup');
      const made = await runBin(['backup', file, ...d(p.dataDir)]);
      expectOk(made);
      expect(made.stdout).toMatch(/backup written to/);
      expectRefused(await runBin(['backup', file, ...d(p.dataDir)]), /already exists/);
      const restored = await runBin(['restore', file, ...d(p.dataDir)]);
      expectOk(restored);
      expect(restored.stdout).toMatch(/restored /);
    },
    TIMEOUT,
  );

  it(
    'config check, retention schedule and retention run --dry-run',
    async () => {
      const p = await initUnattended();
      const check = await runBin(['config', 'check', ...d(p.dataDir)]);
      expectOk(check);
      expect(check.stdout).toMatch(/config\.json: valid/);
      const schedule = await runBin(['retention', 'schedule', '--json', ...d(p.dataDir)]);
      expectOk(schedule);
      expect(JSON.parse(schedule.stdout)).toBeTruthy();
      const dry = await runBin(['retention', 'run', '--dry-run', '--json', ...d(p.dataDir)]);
      expectOk(dry);
      expect(JSON.parse(dry.stdout)).toMatchObject({ dryRun: true, total: 0 });
      const real = await runBin(['retention', 'run', ...d(p.dataDir)]);
      expectOk(real);
      expect(real.stdout).toMatch(/Destroyed as of/);
    },
    TIMEOUT,
  );
});

describe('usage and the other command groups as processes', () => {
  it(
    'an unknown command exits 2 naming it, with or without --help; help and version exit 0',
    async () => {
      for (const args of [
        ['flotilla', '--help'],
        ['flotilla'],
        ['help', 'flotilla'],
        ['users', 'frob', '--help'],
      ]) {
        const run = await runBin(args);
        const name = args.includes('frob') ? 'frob' : 'flotilla';
        expectRefused(run, new RegExp(`unknown command '${name}'`));
        expect(run.stdout).toBe('');
      }
      const help = await runBin(['kiosks', '--help']);
      expectOk(help);
      expect(help.stdout).toMatch(/Usage: verikiosk kiosks/);
      const version = await runBin(['--version']);
      expectOk(version);
      expect(version.stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
    },
    TIMEOUT,
  );

  it(
    'doc read, signature verify, devices list and face check run in their own process',
    async () => {
      const doc = await runBin(['doc', 'read', '--mrz', td3().join('\n')]);
      expectOk(doc);
      expect(JSON.parse(doc.stdout)).toMatchObject({ kind: 'mrz', valid: true });

      const dir = tempDir();
      const files = [1, 2, 3, 4, 5, 6].map((seed) => {
        const file = path.join(dir, `s${seed}.txt`);
        fs.writeFileSync(file, formatSvcSignature(syntheticSignature(LOOPS, { seed })));
        return file;
      });
      const signature = await runBin([
        'signature',
        'verify',
        '--enrol',
        ...files.slice(0, 5),
        '--probe',
        files[5]!,
      ]);
      expectOk(signature);
      expect(signature.stdout).toMatch(/"decision"/);

      const devices = await runBin(['devices', 'list', '--simulate', '--json', ...d(tempDir())]);
      expectOk(devices);
      expect(JSON.parse(devices.stdout)).toBeTruthy();

      const corrupt = path.join(dir, 'broken.jpg');
      fs.writeFileSync(corrupt, Buffer.from([0xff, 0xd8, 0xff, 0xe0, 1, 2, 3]));
      const face = await runBin(['face', 'check', corrupt]);
      expect(face.code, face.stderr).toBe(1);
      expect(JSON.parse(face.stdout)).toMatchObject({ status: 'rejected' });
    },
    TIMEOUT,
  );
});
