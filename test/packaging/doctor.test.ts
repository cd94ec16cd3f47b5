import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../server/config/index.js';
import { runDoctor, weightsProblem, type Finding } from '../../server/cli/doctor.js';
import { makeSelfSignedCertificate } from '../../server/tls.js';
import { killChildren, repoRoot, runBin } from '../server/cli/bin-helpers.js';

/** `verikiosk doctor` run as a process on real data dirs, each broken the way an admin finds it. */
const root = fs.mkdtempSync(path.join(os.tmpdir(), 'verikiosk-doctor-'));
afterEach(killChildren);
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

let count = 0;
let template: Promise<string> | null = null;
/** One `verikiosk init` for the file; each test gets its own copy of the data dir. */
async function initialised(): Promise<{ dataDir: string; env: Record<string, string> }> {
  template ??= (async () => {
    const dir = path.join(root, 'template');
    const init = await runBin(['init', '--data-dir', dir, '--unattended']);
    expect(init.code).toBe(0);
    return dir;
  })();
  const dataDir = path.join(root, `d${count++}`);
  fs.cpSync(await template, dataDir, { recursive: true });
  fs.chmodSync(dataDir, 0o700);
  // Rules "installed" in a directory of the test's own; no device nodes (an empty /dev).
  const rules = fs.mkdtempSync(path.join(root, 'rules-'));
  fs.copyFileSync(
    path.join(repoRoot, 'packaging/udev/70-verikiosk.rules'),
    path.join(rules, '70-verikiosk.rules'),
  );
  const dev = fs.mkdtempSync(path.join(root, 'dev-'));
  return { dataDir, env: { VERIKIOSK_UDEV_RULES_DIRS: rules, VERIKIOSK_DEV_DIR: dev } };
}

/** The key moved out of the data dir and handed over as systemd would (LoadCredential=). */
function toCredential(dataDir: string, env: Record<string, string>): Record<string, string> {
  const credentials = fs.mkdtempSync(path.join(root, 'cred-'));
  fs.renameSync(path.join(dataDir, 'master.key'), path.join(credentials, 'verikiosk-master-key'));
  return { ...env, CREDENTIALS_DIRECTORY: credentials };
}

async function doctor(dataDir: string, env: Record<string, string>) {
  const run = await runBin(['doctor', '--data-dir', dataDir, '--json'], env);
  const body = JSON.parse(run.stdout) as { findings: Finding[]; exitCode: number };
  const by = Object.fromEntries(body.findings.map((f) => [f.check, f]));
  return { code: run.code, by, body, stderr: run.stderr };
}

const severities = (by: Record<string, Finding>) =>
  Object.fromEntries(
    Object.entries(by)
      .filter(([k]) => k !== 'disk')
      .map(([k, f]) => [k, f.severity]),
  );

describe('verikiosk doctor', () => {
  it('passes a healthy installation whose key comes from a systemd credential', async () => {
    const { dataDir, env } = await initialised();
    const { code, by, body } = await doctor(dataDir, toCredential(dataDir, env));
    expect(severities(by)).toEqual({
      data_dir: 'ok',
      key_source: 'ok',
      database: 'ok',
      audit_chain: 'ok',
      models: 'ok',
      backend: 'ok',
      devices: 'ok',
      tls: 'ok',
      clock: 'ok',
      retention: 'ok',
      face_templates: 'ok',
    });
    // Disk depends on the machine; the exit code follows the worst finding either way.
    expect(code).toBe(body.exitCode);
    expect(code).toBe(by.disk?.severity === 'ok' ? 0 : by.disk?.severity === 'warn' ? 3 : 1);
  });

  it('warns (exit 3) about an unattended key beside the data and missing udev rules, with fixes', async () => {
    const { dataDir, env } = await initialised();
    const { code, by } = await doctor(dataDir, {
      ...env,
      VERIKIOSK_UDEV_RULES_DIRS: path.join(root, 'none'),
    });
    expect(by.key_source?.severity).toBe('warn');
    expect(by.key_source?.fix).toMatch(/LoadCredential|change-passphrase/);
    expect(by.devices?.severity).toBe('warn');
    expect(by.devices?.fix).toMatch(/udevadm control --reload-rules/);
    if (by.disk?.severity !== 'fail') expect(code).toBe(3);
  });

  it('fails (exit 1) a data dir other users can read, and says chmod 0700', async () => {
    const { dataDir, env } = await initialised();
    fs.chmodSync(dataDir, 0o755);
    const { code, by } = await doctor(dataDir, toCredential(dataDir, env));
    expect(by.data_dir?.severity).toBe('fail');
    expect(by.data_dir?.fix).toBe(`chmod 0700 ${dataDir}`);
    expect(code).toBe(1);
  });

  it('fails a key file readable by others', async () => {
    const { dataDir, env } = await initialised();
    fs.chmodSync(path.join(dataDir, 'master.key'), 0o644);
    const { code, by } = await doctor(dataDir, env);
    expect(by.key_source).toMatchObject({
      severity: 'fail',
      fix: `chmod 0600 ${path.join(dataDir, 'master.key')}`,
    });
    expect(code).toBe(1);
  });

  it('fails an audit log edited behind the vault', async () => {
    const { dataDir, env } = await initialised();
    const db = new Database(path.join(dataDir, 'verikiosk.db'));
    db.exec('DROP TRIGGER audit_log_no_update');
    db.prepare("UPDATE audit_log SET actor = 'someone-else' WHERE seq = 2").run();
    db.close();
    const { code, by } = await doctor(dataDir, toCredential(dataDir, env));
    expect(by.audit_chain?.severity).toBe('fail');
    expect(by.audit_chain?.message).toMatch(/broken at entry 2/);
    expect(by.database?.severity).toBe('ok');
    expect(code).toBe(1);
  });

  it('fails an expired TLS certificate and warns one about to expire', async () => {
    const { dataDir, env } = await initialised();
    const cred = toCredential(dataDir, env);
    const write = (cert: { certPem: string; keyPem: string }) => {
      fs.writeFileSync(path.join(dataDir, 'tls.crt'), cert.certPem, { mode: 0o600 });
      fs.writeFileSync(path.join(dataDir, 'tls.key'), cert.keyPem, { mode: 0o600 });
    };
    const config = JSON.parse(fs.readFileSync(path.join(dataDir, 'config.json'), 'utf8')) as Record<
      string,
      Record<string, unknown>
    >;
    config.server = { ...config.server, tls: { certFile: 'tls.crt', keyFile: 'tls.key' } };
    fs.writeFileSync(path.join(dataDir, 'config.json'), JSON.stringify(config));

    const validTo = makeSelfSignedCertificate('127.0.0.1').notAfter.getTime();
    const lifetime = validTo - Date.now();
    write(makeSelfSignedCertificate('127.0.0.1', new Date(Date.now() - lifetime - 86_400_000)));
    const expired = await doctor(dataDir, cred);
    expect(expired.by.tls?.severity).toBe('fail');
    expect(expired.code).toBe(1);

    write(
      makeSelfSignedCertificate('127.0.0.1', new Date(Date.now() - lifetime + 10 * 86_400_000)),
    );
    const soon = await doctor(dataDir, cred);
    expect(soon.by.tls?.severity).toBe('warn');
    expect(soon.by.tls?.message).toMatch(/expires in (9|10) days/);
  });

  it('refuses a data dir that is not initialised, saying to run init', async () => {
    const empty = path.join(root, 'empty');
    const { code, by } = await doctor(empty, {});
    expect(by.data_dir?.severity).toBe('fail');
    expect(by.data_dir?.fix).toMatch(/verikiosk init/);
    expect(code).toBe(1);
  });
});

describe('doctor checks with an injected clock', () => {
  it('fails a clock behind the audit log and warns retention that has not run', async () => {
    const { dataDir, env } = await initialised();
    const { config } = loadConfig(dataDir);
    const ctx = {
      dataDir,
      config,
      env,
      uid: process.getuid?.() ?? 0,
      udevRuleDirs: [env.VERIKIOSK_UDEV_RULES_DIRS as string],
      devDir: env.VERIKIOSK_DEV_DIR as string,
    };
    const behind = await runDoctor({ ...ctx, now: new Date(Date.now() - 3_600_000) });
    expect(behind.find((f) => f.check === 'clock')?.severity).toBe('fail');
    const later = await runDoctor({ ...ctx, now: new Date(Date.now() + 3 * 3_600_000) });
    expect(later.find((f) => f.check === 'retention')).toMatchObject({
      severity: 'warn',
      message: 'never run',
    });
    expect(later.find((f) => f.check === 'clock')?.severity).toBe('ok');
  });
});

describe('model completeness', () => {
  it('finds a truncated weights file and a missing one', () => {
    const dir = fs.mkdtempSync(path.join(root, 'model-'));
    const source = path.join(repoRoot, 'models', 'mrz-ocr');
    fs.cpSync(source, dir, { recursive: true });
    const manifest = (
      JSON.parse(fs.readFileSync(path.join(dir, 'model.json'), 'utf8')) as {
        weightsManifest: Parameters<typeof weightsProblem>[1];
      }
    ).weightsManifest;
    expect(weightsProblem(dir, manifest)).toBeNull();
    const weights = path.join(dir, 'weights.bin');
    fs.truncateSync(weights, fs.statSync(weights).size - 4);
    expect(weightsProblem(dir, manifest)).toMatch(/hold \d+ bytes, the manifest needs \d+/);
    fs.rmSync(weights);
    expect(weightsProblem(dir, manifest)).toMatch(/weights\.bin is missing/);
  });
});
