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
  initUnattended,
  initWithPassphrase,
  parseJson,
  secretFile,
  tempDir,
  testIo,
} from './helpers.js';
import { main } from '../../../server/cli/index.js';

afterEach(cleanupDirs);

const d = (dataDir: string) => ['--data-dir', dataDir] as const;

describe('status', () => {
  it('--json reports the installation, unlock sources, appliance, counts, audit and retention', async () => {
    const p = await initUnattended();
    const run = await cli(['status', '--json', ...d(p.dataDir)]);
    expect(run.code, run.stderr).toBe(0);
    const s = parseJson(run);
    expect(s).toMatchObject({
      version: expect.stringMatching(/^\d+\.\d+\.\d+/) as unknown,
      dataDir: p.dataDir,
      initialised: true,
      installationId: p.installationId,
      keyId: expect.stringMatching(/^[0-9a-f]{32}$/) as unknown,
      schemaVersion: LATEST_SCHEMA_VERSION,
      supportedSchemaVersion: LATEST_SCHEMA_VERSION,
      unlock: {
        passphraseSet: false,
        keyFile: path.join(p.dataDir, 'master.key'),
        keyFilePresent: true,
        systemdCredential: false,
      },
      appliance: { running: false, pid: null, url: 'http://127.0.0.1:8420', health: null },
      counts: {
        subjects: 0,
        verifications: 0,
        documents: 0,
        biometric_templates: 0,
        staff_users: 1,
        api_clients: 1,
        kiosks: 1,
      },
      retention: { lastRunAt: null, lastRunDestroyed: null },
      destructionsPending: { count: 0, since: null },
    });
    const audit = s.audit as { entries: number; headSeq: number };
    expect(audit.entries).toBeGreaterThanOrEqual(4);
    expect(audit.headSeq).toBe(audit.entries);
    // status never prints a secret
    for (const secret of [p.admin.password, p.apiKey.key, p.kioskToken.token])
      expect(run.stdout).not.toContain(secret);

    const text = await cli(['status', ...d(p.dataDir)]);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/installation\s+ins_/);
    expect(text.stdout).toMatch(/appliance\s+not running/);
    expect(text.stdout).toMatch(/unlock with\s+key file/);
    expect(text.stdout).toMatch(/destructions\s+none pending/);
  });

  it('shows destructions still pending (a reader kept them from the files)', async () => {
    const p = await initUnattended();
    const db = new Database(path.join(p.dataDir, 'verikiosk.db'));
    db.prepare('INSERT INTO destructions_pending (at, kind, count) VALUES (?, ?, ?)').run(
      '2026-01-01T00:00:00.000Z',
      'subjects',
      2,
    );
    db.close();
    const run = await cli(['status', ...d(p.dataDir)]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/destructions\s+2 pending since 2026-01-01T00:00:00.000Z/);
  });

  it('reports an uninitialised data dir without creating it', async () => {
    const dataDir = path.join(tempDir(), 'nothing-here');
    const run = await cli(['status', '--json', ...d(dataDir)]);
    expect(run.code, run.stderr).toBe(0);
    expect(parseJson(run)).toMatchObject({
      initialised: false,
      installationId: null,
      counts: null,
    });
    expect(fs.existsSync(dataDir)).toBe(false);
    const text = await cli(['status', ...d(dataDir)]);
    expect(text.stdout).toMatch(/not initialised/);
  });

  it('commands that need an initialised data dir say how to initialise it (exit 2)', async () => {
    const dataDir = path.join(tempDir(), 'nothing-here');
    const run = await cli(['users', 'list', ...d(dataDir)]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/is not initialised: run 'verikiosk init'/);
    expect(fs.existsSync(dataDir)).toBe(false);
  });
});

describe('start (in-process)', () => {
  it('serves until told to stop, then releases the lock; exit 0', async () => {
    const p = await initUnattended();
    let stop: (signal: string) => void = () => undefined;
    const io = testIo({}, () => new Promise<string>((resolve) => (stop = resolve)));
    const exited = main(['start', '--port', '0', ...d(p.dataDir)], io);
    let match: RegExpExecArray | null = null;
    for (let i = 0; i < 200 && !match; i++) {
      await new Promise((resolve) => setTimeout(resolve, 25));
      match = /serving on (http:\/\/127\.0\.0\.1:\d+) \(data dir /.exec(io.out());
    }
    expect(match, io.err()).not.toBeNull();
    const health = await fetch(`${match![1]}/api/v1/health`);
    expect(await health.json()).toMatchObject({ status: 'ok', keys: { unlocked: true } });
    expect(fs.existsSync(path.join(p.dataDir, 'verikiosk.pid'))).toBe(true);
    stop('SIGTERM');
    expect(await exited).toBe(0);
    expect(fs.existsSync(path.join(p.dataDir, 'verikiosk.pid'))).toBe(false);
    // an initialised data dir is not initialised again
    expect(io.out()).not.toMatch(/shown ONCE/);
    // the structured log goes to the io's stderr
    const events = io
      .err()
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => (JSON.parse(l) as { event: string }).event);
    // The face index loads in the background: its event comes whenever the load ends.
    expect(events).toContain('face_search.loaded');
    expect(events.filter((e) => e !== 'face_search.loaded')).toEqual([
      'audit.verified',
      'retention.run',
      'appliance.started',
      'appliance.stopping',
    ]);
  });

  it('refuses a non-loopback host without TLS and a bad port (exit 2), writing nothing', async () => {
    const p = await initUnattended();
    await expectRefusedUnchanged(
      p.dataDir,
      ['start', '--host', '0.0.0.0', '--port', '0', ...d(p.dataDir)],
      /binding to 0\.0\.0\.0 needs TLS/,
    );
    await expectRefusedUnchanged(
      p.dataDir,
      ['start', '--port', '70000', ...d(p.dataDir)],
      /--port must be an integer from 0 to 65535/,
    );
    await expectRefusedUnchanged(
      p.dataDir,
      ['start', '--port', 'http', ...d(p.dataDir)],
      /--port must be an integer/,
    );
  });
});

describe('audit', () => {
  it('verify exits 0 on a good log and 1 with the bad seq after an entry is changed', async () => {
    const p = await initUnattended();
    const ok = await cli(['audit', 'verify', ...d(p.dataDir)]);
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout).toMatch(/^audit log ok/);
    const json = await cli(['audit', 'verify', '--json', ...d(p.dataDir)]);
    expect(parseJson(json)).toMatchObject({
      ok: true,
      firstBadSeq: null,
      problem: null,
      firstSeq: 1,
    });

    const db = new Database(path.join(p.dataDir, 'verikiosk.db'));
    db.exec('DROP TRIGGER audit_log_no_update');
    expect(
      db.prepare(`UPDATE audit_log SET details = '{"role":"staff"}' WHERE seq = 2`).run().changes,
    ).toBe(1);
    db.close();

    const broken = await cli(['audit', 'verify', ...d(p.dataDir)]);
    expect(broken.code).toBe(1);
    expect(broken.stderr).toMatch(/audit log BROKEN at entry 2: .*\(hash_mismatch\)/);
    const brokenJson = await cli(['audit', 'verify', '--json', ...d(p.dataDir)]);
    expect(brokenJson.code).toBe(1);
    expect(parseJson(brokenJson)).toMatchObject({
      ok: false,
      firstBadSeq: 2,
      problem: 'hash_mismatch',
    });
  });

  it('export -o writes a file that verify --export accepts; an edited line fails with exit 1', async () => {
    const p = await initUnattended();
    const file = path.join(tempDir(), 'audit.jsonl');
    const exported = await cli(['audit', 'export', '-o', file, ...d(p.dataDir)]);
    expect(exported.code, exported.stderr).toBe(0);
    expect(exported.stderr).toMatch(/exported \d+ entries to /);
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);

    const lines = fs.readFileSync(file, 'utf8').trimEnd().split('\n');
    const header = JSON.parse(lines[0]!) as {
      format: string;
      installationId: string;
      publicKey: string;
    };
    expect(header.format).toBe('verikiosk-audit-export');
    expect(header.installationId).toBe(p.installationId);
    expect(lines.length).toBeGreaterThanOrEqual(6);

    // No key: anyone with the file can verify it.
    const verified = await cli(['audit', 'verify', '--export', file]);
    expect(verified.code, verified.stderr).toBe(0);
    expect(verified.stdout).toMatch(/audit export consistent: .*fingerprint [0-9a-f]{16}/);

    // the same file is never overwritten, and a refused export is not audited
    const exportedBytes = fs.readFileSync(file);
    await expectRefusedUnchanged(
      p.dataDir,
      ['audit', 'export', '-o', file, ...d(p.dataDir)],
      /already exists/,
    );
    expect(fs.readFileSync(file)).toEqual(exportedBytes);
    await expectRefusedUnchanged(
      p.dataDir,
      ['audit', 'export', '-o', path.join(tempDir(), 'no', 'such', 'dir.jsonl'), ...d(p.dataDir)],
      /cannot be created/,
    );

    const edited = path.join(tempDir(), 'edited.jsonl');
    const entry = JSON.parse(lines[3]!) as { seq: number; action: string };
    entry.action = 'kiosk.revoked';
    fs.writeFileSync(
      edited,
      [...lines.slice(0, 3), JSON.stringify(entry), ...lines.slice(4)].join('\n') + '\n',
    );
    const bad = await cli(['audit', 'verify', '--export', edited]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(new RegExp(`BROKEN at entry ${entry.seq}:`));

    // a dropped line breaks the sequence
    const dropped = path.join(tempDir(), 'dropped.jsonl');
    fs.writeFileSync(dropped, [...lines.slice(0, 2), ...lines.slice(3)].join('\n') + '\n');
    const gap = await cli(['audit', 'verify', '--export', dropped, '--json']);
    expect(gap.code).toBe(1);
    expect(parseJson(gap)).toMatchObject({ ok: false, problem: 'sequence_gap' });

    // another public key than the export's own does not verify it
    const other = await initUnattended();
    const otherFile = path.join(tempDir(), 'other.jsonl');
    expect((await cli(['audit', 'export', '-o', otherFile, ...d(other.dataDir)])).code).toBe(0);
    const otherKey = (
      JSON.parse(fs.readFileSync(otherFile, 'utf8').split('\n')[0]!) as { publicKey: string }
    ).publicKey;
    const wrongKey = await cli(['audit', 'verify', '--export', file, '--public-key', otherKey]);
    expect(wrongKey.code).toBe(1);
  });

  it('verify --export refuses a file that is not an export (exit 2)', async () => {
    const file = path.join(tempDir(), 'junk.jsonl');
    fs.writeFileSync(file, 'this is not json\n');
    const run = await cli(['audit', 'verify', '--export', file]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/line 1 of .* is not valid JSON/);
    const missing = await cli([
      'audit',
      'verify',
      '--export',
      path.join(tempDir(), 'missing.jsonl'),
    ]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/is not a readable audit export/);
  });
});

describe('retention', () => {
  it('run --dry-run --as-of a future date reports without destroying; a real future run is refused', async () => {
    const p = await initUnattended();
    const entries = async () =>
      parseJson<{ audit: { entries: number } }>(await cli(['status', '--json', ...d(p.dataDir)]))
        .audit.entries;
    const auditEntries = await entries();
    const dry = await cli([
      'retention',
      'run',
      '--dry-run',
      '--as-of',
      '2040-01-01',
      '--json',
      ...d(p.dataDir),
    ]);
    expect(dry.code, dry.stderr).toBe(0);
    const report = parseJson<{
      dryRun: boolean;
      runId: string | null;
      asOf: string;
      total: number;
      items: { category: string; ruleId: string; count: number; cutoff: string }[];
    }>(dry);
    expect(report).toMatchObject({ dryRun: true, runId: null, asOf: '2040-01-01T00:00:00.000Z' });
    expect(report.items.length).toBeGreaterThan(0);
    for (const item of report.items) {
      // by 2040 only today's audit entries have passed their 7 years; there is nothing else
      expect(item.count).toBe(item.category === 'audit' ? auditEntries : 0);
      expect(Date.parse(item.cutoff)).toBeLessThanOrEqual(Date.parse('2040-01-01'));
    }
    expect(report.total).toBe(auditEntries);
    expect(new Set(report.items.map((i) => i.category))).toContain('biometric_templates');
    // a dry run writes nothing, not even an audit entry
    expect(await entries()).toBe(auditEntries);

    const future = await expectRefusedUnchanged(
      p.dataDir,
      ['retention', 'run', '--as-of', '2040-01-01', ...d(p.dataDir)],
      /cannot be dated in the future.*--dry-run/,
    );
    expect(future.stdout).toBe('');

    await expectRefusedUnchanged(
      p.dataDir,
      ['retention', 'run', '--dry-run', '--as-of', 'next tuesday', ...d(p.dataDir)],
      /--as-of must be a date/,
    );
  });

  it('a real run records a run that status and audit verify see', async () => {
    const p = await initUnattended();
    const run = await cli(['retention', 'run', '--as-of', '2020-01-01', ...d(p.dataDir)]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/^Destroyed as of 2020-01-01T00:00:00.000Z: 0 record\(s\)/);
    expect(run.stdout).toMatch(/category\s+rule\s+count\s+basis before/);
    expect(run.stdout).toMatch(/Run ret_\S+; destruction certificates are in the audit log/);
    const status = parseJson<{
      retention: { lastRunAt: string | null; lastRunDestroyed: number | null };
    }>(await cli(['status', '--json', ...d(p.dataDir)]));
    expect(status.retention.lastRunAt).not.toBeNull();
    expect(status.retention.lastRunDestroyed).toBe(0);
    expect((await cli(['audit', 'verify', ...d(p.dataDir)])).code).toBe(0);
  });

  it('schedule prints the published schedule as text and as JSON', async () => {
    const p = await initUnattended();
    const text = await cli(['retention', 'schedule', ...d(p.dataDir)]);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toMatch(/Biometric templates/);
    expect(text.stdout).toMatch(/legal hold/i);

    const json = await cli(['retention', 'schedule', '--json', ...d(p.dataDir)]);
    expect(json.code, json.stderr).toBe(0);
    const schedule = parseJson<{
      generatedAt: string;
      categories: {
        category: string;
        title: string;
        rules: { ruleId: string; after: string; period: string }[];
      }[];
      legalHold: string;
    }>(json);
    expect(schedule.categories.map((c) => c.category)).toEqual(
      expect.arrayContaining([
        'biometric_templates',
        'biometric_samples',
        'document_images',
        'extracted_data',
        'decisions',
        'audit',
      ]),
    );
    for (const c of schedule.categories) {
      expect(c.rules.length).toBeGreaterThan(0);
      for (const r of c.rules) expect(r.after).toMatch(/^P/);
    }
    expect(typeof schedule.legalHold).toBe('string');
  });
});

describe('backup and restore', () => {
  it('backup then restore exits 0 and the restored vault unlocks and verifies', async () => {
    const p = await initUnattended();
    const backup = path.join(tempDir(), 'vk.backup');
    const made = await cli(['backup', backup, ...d(p.dataDir)]);
    expect(made.code, made.stderr).toBe(0);
    expect(made.stdout).toMatch(/backup written to .* \(\d+ pages\)\. Keep the key/);
    expect(fs.statSync(backup).mode & 0o777).toBe(0o600);
    // the backup holds no key material in the clear
    const masterKey = fs
      .readFileSync(path.join(p.dataDir, 'master.key'), 'utf8')
      .trim()
      .slice('vk-master-v1:'.length);
    expect(fs.readFileSync(backup).includes(Buffer.from(masterKey, 'base64'))).toBe(false);

    await expectRefusedUnchanged(p.dataDir, ['backup', backup, ...d(p.dataDir)], /already exists/);

    // a user added after the backup is gone after the restore
    expect((await cli(['users', 'add', 'late.user', ...d(p.dataDir)])).code).toBe(0);
    const restored = await cli(['restore', backup, ...d(p.dataDir)]);
    expect(restored.code, restored.stderr).toBe(0);
    expect(restored.stdout).toMatch(/restored .* destructions re-applied: 0/);
    const users = parseJson<{ username: string }[]>(
      await cli(['users', 'list', '--json', ...d(p.dataDir)]),
    );
    expect(users.map((u) => u.username)).toEqual(['admin']);
    expect((await cli(['audit', 'verify', ...d(p.dataDir)])).code).toBe(0);
  });

  it("restore refuses another installation's backup (exit 2), naming both installations, and changes nothing", async () => {
    const a = await initUnattended();
    const b = await initUnattended();
    const backup = path.join(tempDir(), 'b.backup');
    expect((await cli(['backup', backup, ...d(b.dataDir)])).code).toBe(0);
    const run = await expectRefusedUnchanged(
      a.dataDir,
      ['restore', backup, ...d(a.dataDir)],
      /was made by installation/,
    );
    expect(run.stderr).toContain(b.installationId);
    expect(run.stderr).toContain(a.installationId);
  });

  it('restore refuses a file that is not a backup (exit 2)', async () => {
    const p = await initUnattended();
    const junk = path.join(tempDir(), 'junk.backup');
    fs.writeFileSync(
      junk,
      'not a database at all, just some text that is long enough to look like a file',
    );
    await expectRefusedUnchanged(
      p.dataDir,
      ['restore', junk, ...d(p.dataDir)],
      /damaged or not a database|cannot be opened/,
    );
  });
});

describe('keys', () => {
  it('rotate --json reports the new generation', async () => {
    const p = await initUnattended();
    const first = await cli(['keys', 'rotate', '--json', ...d(p.dataDir)]);
    expect(first.code, first.stderr).toBe(0);
    expect(parseJson(first)).toEqual({ generation: 2, rewrapped: 0 });
    const second = await cli(['keys', 'rotate', ...d(p.dataDir)]);
    expect(second.code).toBe(0);
    expect(second.stdout).toMatch(/key generation 3; 0 subject data key\(s\) re-wrapped/);
    expect((await cli(['audit', 'verify', ...d(p.dataDir)])).code).toBe(0);
  });

  it('change-passphrase: afterwards the old passphrase fails (2) and the new one works', async () => {
    const p = await initWithPassphrase();
    const newFile = secretFile(FAKE.newPassphrase);
    const changed = await cli([
      'keys',
      'change-passphrase',
      '--new-passphrase-file',
      newFile,
      '--kdf',
      'interactive',
      '--passphrase-file',
      p.passphraseFile,
      ...d(p.dataDir),
    ]);
    expect(changed.code, changed.stderr).toBe(0);
    expect(changed.stdout).toMatch(/passphrase changed/);
    expect(fs.readFileSync(path.join(p.dataDir, 'keys.json'), 'utf8')).not.toContain(
      FAKE.newPassphrase,
    );

    await expectRefusedUnchanged(
      p.dataDir,
      ['users', 'list', '--passphrase-file', p.passphraseFile, ...d(p.dataDir)],
      /the passphrase does not unlock this installation/,
    );
    const withNew = await cli(['users', 'list', '--passphrase-file', newFile, ...d(p.dataDir)]);
    expect(withNew.code, withNew.stderr).toBe(0);
    const status = parseJson<{ unlock: { passphraseSet: boolean } }>(
      await cli(['status', '--json', ...d(p.dataDir)]),
    );
    expect(status.unlock.passphraseSet).toBe(true);
  });

  it('change-passphrase refuses a too-short new passphrase and keeps the old one', async () => {
    const p = await initUnattended();
    await expectRefusedUnchanged(
      p.dataDir,
      [
        'keys',
        'change-passphrase',
        '--new-passphrase-file',
        secretFile('short'),
        '--kdf',
        'interactive',
        ...d(p.dataDir),
      ],
      /at least 12 characters/,
    );
  });
});

describe('users', () => {
  it('add, list and disable; the last admin cannot be disabled; duplicates are refused', async () => {
    const p = await initUnattended();
    const added = await cli(['users', 'add', 'Bob.Teller', '--json', ...d(p.dataDir)]);
    expect(added.code, added.stderr).toBe(0);
    const bob = parseJson<{
      user: { id: string; username: string; role: string; mustChangePassword: boolean };
      password: string;
    }>(added);
    expect(bob.user).toMatchObject({
      username: 'bob.teller',
      role: 'staff',
      mustChangePassword: true,
    });
    expect(bob.password).toMatch(/^[A-Za-z0-9]{20}$/);

    const supervisor = await cli([
      'users',
      'add',
      'sam',
      '--role',
      'supervisor',
      '--password-file',
      secretFile('zz-a-long-enough-password'),
      ...d(p.dataDir),
    ]);
    expect(supervisor.code, supervisor.stderr).toBe(0);
    expect(supervisor.stdout).toMatch(/added sam \(supervisor, id usr_/);
    expect(supervisor.stdout).not.toMatch(/password/);

    await expectRefusedUnchanged(
      p.dataDir,
      ['users', 'add', 'BOB.TELLER', ...d(p.dataDir)],
      /already taken/,
    );
    await expectRefusedUnchanged(
      p.dataDir,
      ['users', 'add', 'x y', ...d(p.dataDir)],
      /a username is 2-32 characters/,
    );
    await expectRefusedUnchanged(
      p.dataDir,
      ['users', 'add', 'eve', '--role', 'root', ...d(p.dataDir)],
      /Allowed choices are staff, supervisor, auditor, admin/,
    );
    await expectRefusedUnchanged(
      p.dataDir,
      ['users', 'add', 'eve', '--password-file', secretFile('short'), ...d(p.dataDir)],
      /at least 12 characters/,
    );

    const list = await cli(['users', 'list', ...d(p.dataDir)]);
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(/^username\s+role\s+id\s+created\s+state/);
    expect(list.stdout).toMatch(/bob\.teller\s+staff\s+usr_\S+\s+\S+\s+active/);
    expect(list.stdout).not.toContain(bob.password);

    expect((await cli(['users', 'disable', 'bob.teller', ...d(p.dataDir)])).stdout).toMatch(
      /disabled bob\.teller/,
    );
    const after = parseJson<{ username: string; disabledAt: string | null }[]>(
      await cli(['users', 'list', '--json', ...d(p.dataDir)]),
    );
    expect(after.find((u) => u.username === 'bob.teller')?.disabledAt).not.toBeNull();
    expect(after.find((u) => u.username === 'admin')?.disabledAt).toBeNull();

    await expectRefusedUnchanged(
      p.dataDir,
      ['users', 'disable', 'admin', ...d(p.dataDir)],
      /the last active admin cannot be disabled/,
    );
    await expectRefusedUnchanged(
      p.dataDir,
      ['users', 'disable', 'nobody', ...d(p.dataDir)],
      /no such staff user/,
    );

    // with a second admin, the first may be disabled
    expect((await cli(['users', 'add', 'admin2', '--role', 'admin', ...d(p.dataDir)])).code).toBe(
      0,
    );
    expect((await cli(['users', 'disable', 'admin', ...d(p.dataDir)])).code).toBe(0);
    await expectRefusedUnchanged(
      p.dataDir,
      ['users', 'disable', 'admin2', ...d(p.dataDir)],
      /last active admin/,
    );
  });
});

describe('api-keys', () => {
  it('create --scopes privacy:*,reports:read --json, list without key material, revoke', async () => {
    const p = await initUnattended();
    const created = await cli([
      'api-keys',
      'create',
      '--name',
      'Branch CRM',
      '--scopes',
      'privacy:*,reports:read',
      '--json',
      ...d(p.dataDir),
    ]);
    expect(created.code, created.stderr).toBe(0);
    const { client, key } = parseJson<{
      client: { id: string; name: string; keyPrefix: string; scopes: string[]; revokedAt: null };
      key: string;
    }>(created);
    expect(client).toMatchObject({
      name: 'Branch CRM',
      scopes: ['privacy:read', 'privacy:write', 'reports:read'],
      revokedAt: null,
    });
    expect(key).toMatch(new RegExp(`^vk_live_${client.keyPrefix}_[A-Za-z0-9_-]{43}$`));
    const secretPart = key.slice(`vk_live_${client.keyPrefix}_`.length);

    for (const args of [
      ['api-keys', 'list'],
      ['api-keys', 'list', '--json'],
    ]) {
      const list = await cli([...args, ...d(p.dataDir)]);
      expect(list.code, list.stderr).toBe(0);
      expect(list.stdout).toContain(client.id);
      expect(list.stdout).toContain(client.keyPrefix);
      expect(list.stdout).not.toContain(secretPart);
      expect(list.stdout).not.toContain(p.apiKey.key.slice(-43));
      expect(list.stdout).not.toMatch(/key_hash|keyHash/);
    }
    const listed = parseJson<{ id: string; revokedAt: string | null }[]>(
      await cli(['api-keys', 'list', '--json', ...d(p.dataDir)]),
    );
    expect(listed.map((c) => c.id)).toEqual([p.apiKey.clientId, client.id]);

    const revoked = await cli(['api-keys', 'revoke', client.id, ...d(p.dataDir)]);
    expect(revoked.code, revoked.stderr).toBe(0);
    expect(revoked.stdout).toMatch(new RegExp(`revoked ${client.id}`));
    const text = await cli(['api-keys', 'list', ...d(p.dataDir)]);
    expect(text.stdout).toMatch(new RegExp(`${client.id}.*revoked `));

    await expectRefusedUnchanged(
      p.dataDir,
      ['api-keys', 'revoke', 'cli_nope', ...d(p.dataDir)],
      /no such API client/,
    );
  });

  it('refuses unknown scopes, a missing name and a bad name (exit 2)', async () => {
    const p = await initUnattended();
    const bad = await expectRefusedUnchanged(
      p.dataDir,
      ['api-keys', 'create', '--name', 'x', '--scopes', 'privacy:*,everything', ...d(p.dataDir)],
      /unknown scope/,
    );
    expect(bad.stderr).not.toContain('everything');
    await expectRefusedUnchanged(
      p.dataDir,
      ['api-keys', 'create', ...d(p.dataDir)],
      /required option '--name <name>'/,
    );
    await expectRefusedUnchanged(
      p.dataDir,
      ['api-keys', 'create', '--name', 'semi;colon', ...d(p.dataDir)],
      /client name/,
    );
  });
});

describe('usage', () => {
  it('an unknown command or option exits 2; --help and --version exit 0', async () => {
    const unknownCommand = await cli(['frobnicate']);
    expect(unknownCommand.code).toBe(2);
    expect(unknownCommand.stderr).toMatch(/unknown command 'frobnicate'/);

    const unknownOption = await cli(['status', '--frobnicate']);
    expect(unknownOption.code).toBe(2);
    expect(unknownOption.stderr).toMatch(/unknown option '--frobnicate'/);

    const missingArgument = await cli(['backup']);
    expect(missingArgument.code).toBe(2);
    expect(missingArgument.stderr).toMatch(/missing required argument 'file'/);

    const help = await cli(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/Usage: verikiosk/);
    for (const command of [
      'init',
      'start',
      'status',
      'audit',
      'retention',
      'backup',
      'restore',
      'keys',
      'users',
      'api-keys',
      'config',
    ]) {
      expect(help.stdout).toMatch(new RegExp(`^\\s+${command}\\b`, 'm'));
    }
    const helpCommand = await cli(['help', 'users']);
    expect(helpCommand.code).toBe(0);
    expect(helpCommand.stdout).toMatch(/Usage: verikiosk users/);
    const subHelp = await cli(['users', 'add', '--help']);
    expect(subHelp.code).toBe(0);
    expect(subHelp.stdout).toMatch(/--role <role>/);

    const version = await cli(['--version']);
    expect(version.code).toBe(0);
    expect(version.stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
  });

  it('a command group without its subcommand is a usage error (exit 2)', async () => {
    const run = await cli(['audit']);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/Usage: verikiosk audit/);
    expect((await cli([])).code).toBe(2);
  });
});

describe('config check', () => {
  it("exits 0 on the data dir's own config.json and on a good file", async () => {
    const p = await initUnattended();
    const own = await cli(['config', 'check', ...d(p.dataDir)]);
    expect(own.code, own.stderr).toBe(0);
    expect(own.stdout).toMatch(/config\.json: valid/);
    const file = path.join(tempDir(), 'candidate.json');
    fs.writeFileSync(file, JSON.stringify({ server: { port: 9000 }, logging: { level: 'warn' } }));
    const good = await cli(['config', 'check', file, '--json']);
    expect(good.code).toBe(0);
    expect(parseJson(good)).toEqual({ ok: true, path: file });
  });

  it('exits 2 on a bad file, naming each key and rule without echoing values', async () => {
    const file = path.join(tempDir(), 'bad.json');
    fs.writeFileSync(
      file,
      JSON.stringify({
        server: { port: 123456, host: '0.0.0.0' },
        logging: { level: 'ZZTEST-LOUD' },
        extra: 1,
      }),
    );
    const run = await cli(['config', 'check', file]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/server\.port\b.*\[range\]/);
    expect(run.stderr).toMatch(/logging\.level\b.*\[type\]|logging\.level\b.*\[format\]/);
    expect(run.stderr).toMatch(/extra\b.*\[unknown_key\]/);
    expect(run.stderr).not.toContain('ZZTEST-LOUD');
    expect(run.stderr).not.toContain('123456');

    const json = await cli(['config', 'check', file, '--json']);
    expect(json.code).toBe(2);
    const outcome = parseJson<{ ok: boolean; errors: { key: string; rule: string }[] }>(json);
    expect(outcome.ok).toBe(false);
    expect(outcome.errors.map((e) => e.key)).toEqual(
      expect.arrayContaining(['server.port', 'logging.level', 'extra']),
    );

    const missing = await cli(['config', 'check', path.join(tempDir(), 'missing.json')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/does not exist/);
  });
});
