/**
 * CI install test of the headless server package (OPS-3), run as root on a Debian machine:
 *
 *   node --import tsx packaging/ci/install-test.ts [--keep-going]
 *
 * Builds verikiosk-server at package.json's version and at a higher one, then as an admin would:
 * `dpkg -i`, `verikiosk init` as the service user, the master key moved to /etc/verikiosk for
 * LoadCredential=, the unit's own ExecStart run as its User= with the credential (systemd may not
 * run here, so this process plays its part: the credentials directory, the user, the umask),
 * /api/v1/health and a verification created through the API; then an upgrade to the rebuilt
 * package and the same data, keys and audit chain afterwards; a rollback (the older package, then
 * `verikiosk restore` of the pre-upgrade backup) and forward again; then `dpkg -r` keeps the data
 * dir and the key, and `dpkg -P` removes them.
 *
 * It refuses to run where verikiosk-server is already installed or /var/lib/verikiosk exists: it
 * would otherwise destroy a real installation. Prints "install test: N passed, N failed".
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildServerDeb, PACKAGE_NAME } from '../build-server-deb.js';

const DATA_DIR = '/var/lib/verikiosk';
const KEY_DIR = '/etc/verikiosk';
const KEY_FILE = path.join(KEY_DIR, 'master.key');
const UNIT = '/usr/lib/systemd/system/verikiosk.service';
const RULES = '/usr/lib/udev/rules.d/70-verikiosk.rules';
const CREDENTIAL_NAME = 'verikiosk-master-key';
const BACKUPS = '/var/backups/verikiosk';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

let passed = 0;
let failed = 0;

function check(name: string, ok: boolean, detail = ''): void {
  if (ok) passed += 1;
  else failed += 1;
  process.stdout.write(`${ok ? 'ok  ' : 'FAIL'} ${name}${!ok && detail ? `: ${detail}` : ''}\n`);
}

class InstallTestError extends Error {}

function sh(command: string, args: readonly string[], env?: NodeJS.ProcessEnv): string {
  try {
    return execFileSync(command, args, {
      encoding: 'utf8',
      env: env ?? process.env,
      stdio: ['ignore', 'pipe', 'pipe'],
      maxBuffer: 16 * 1024 * 1024,
    });
  } catch (error) {
    const e = error as { status?: number; stdout?: string; stderr?: string };
    throw new InstallTestError(
      `${command} ${args.join(' ')} exited ${String(e.status)}\n${e.stdout ?? ''}${e.stderr ?? ''}`,
    );
  }
}

function exitCode(command: string, args: readonly string[], env?: NodeJS.ProcessEnv): number {
  try {
    sh(command, args, env);
    return 0;
  } catch (error) {
    const match = /exited (\d+)/.exec((error as Error).message);
    return match ? Number(match[1]) : -1;
  }
}

function installed(): boolean {
  try {
    const status = sh('dpkg-query', ['-W', '-f=${Status}', PACKAGE_NAME]);
    return status.includes('installed') && !status.includes('not-installed');
  } catch {
    return false;
  }
}

/** The unit's ExecStart and User, parsed from the installed file: the test runs what systemd would. */
export function parseUnit(text: string): { execStart: string[]; user: string; umask: number } {
  const value = (key: string): string => {
    const line = text.split('\n').find((l) => l.startsWith(`${key}=`));
    if (!line) throw new InstallTestError(`the unit has no ${key}=`);
    return line.slice(key.length + 1).trim();
  };
  return {
    execStart: value('ExecStart').split(/\s+/),
    user: value('User'),
    umask: parseInt(value('UMask'), 8),
  };
}

/** The service user's environment, as systemd gives it (no inherited variables). */
function serviceEnv(user: string, credentials: string | null): NodeJS.ProcessEnv {
  return {
    PATH: '/usr/local/bin:/usr/bin:/bin',
    LANG: 'C.UTF-8',
    HOME: DATA_DIR,
    USER: user,
    LOGNAME: user,
    ...(credentials ? { CREDENTIALS_DIRECTORY: credentials } : {}),
  };
}

/** argv run as `user` (setpriv execs in place, so the child's pid is the command's). */
function asUser(user: string, umask: number, argv: readonly string[]): string[] {
  return [
    'setpriv',
    `--reuid=${user}`,
    `--regid=${user}`,
    '--init-groups',
    '--',
    '/bin/sh',
    '-c',
    `umask ${umask.toString(8).padStart(4, '0')} && exec "$@"`,
    'sh',
    ...argv,
  ];
}

/** systemd's LoadCredential=: a private directory the service user can read, holding a copy. */
function loadCredential(user: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'verikiosk-credentials-'));
  fs.copyFileSync(KEY_FILE, path.join(dir, CREDENTIAL_NAME));
  sh('chown', ['-R', `${user}:`, dir]);
  fs.chmodSync(path.join(dir, CREDENTIAL_NAME), 0o400);
  fs.chmodSync(dir, 0o500);
  return dir;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as net.AddressInfo).port;
      server.close(() => resolve(port));
    });
  });
}

interface Running {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
}

function startService(unitText: string, credentials: string): Running {
  const unit = parseUnit(unitText);
  const [command, ...args] = asUser(unit.user, unit.umask, unit.execStart);
  const child = spawn(command as string, args, {
    env: serviceEnv(unit.user, credentials),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => resolve(code)),
  );
  return { child, output: () => output, exited };
}

/** Polls /api/v1/health until it answers 200 or the service exits (no wall-clock bound but CI's). */
async function waitForHealth(base: string, service: Running): Promise<Response> {
  let exited = false;
  void service.exited.then(() => (exited = true));
  for (;;) {
    if (exited) throw new InstallTestError(`the service exited:\n${service.output()}`);
    try {
      const response = await fetch(`${base}/api/v1/health`);
      if (response.status === 200) return response;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function stopService(service: Running): Promise<number | null> {
  service.child.kill('SIGTERM');
  return service.exited;
}

function sha256(file: string): string {
  return createHash('sha256').update(fs.readFileSync(file)).digest('hex');
}

interface InitOutput {
  apiKey: { key: string };
  kioskToken: { kioskId: string };
  unattendedKeyFile: string | null;
}

async function main(): Promise<void> {
  if (process.getuid?.() !== 0) throw new InstallTestError('run as root (dpkg -i)');
  if (installed() || fs.existsSync(DATA_DIR) || fs.existsSync(BACKUPS)) {
    throw new InstallTestError(
      `${PACKAGE_NAME} is installed or ${DATA_DIR} or ${BACKUPS} exists: refusing to touch a real installation`,
    );
  }
  const started = Date.now();
  const version = (
    JSON.parse(fs.readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as { version: string }
  ).version;
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'verikiosk-install-test-'));
  const credentialDirs: string[] = [];
  let service: Running | null = null;
  let touched = false;
  try {
    const first = buildServerDeb({ outDir: out });
    const second = buildServerDeb({ version: `${version}+ci1`, outDir: out });
    check('two packages built', fs.existsSync(first.file) && fs.existsSync(second.file));

    // --- install ------------------------------------------------------------------------------
    touched = true;
    sh('dpkg', ['-i', first.file]);
    check('dpkg -i installed the package', installed());
    check(
      '/usr/bin/verikiosk is executable',
      (fs.statSync('/usr/bin/verikiosk').mode & 0o111) !== 0,
    );
    check('the unit and the udev rules are installed', fs.existsSync(UNIT) && fs.existsSync(RULES));
    const user = parseUnit(fs.readFileSync(UNIT, 'utf8')).user;
    const uid = Number(sh('id', ['-u', user]).trim());
    const dataStat = fs.statSync(DATA_DIR);
    check(
      `postinst made the ${user} user and its 0700 data dir`,
      dataStat.uid === uid && (dataStat.mode & 0o777) === 0o700,
    );
    check(
      'the installed CLI reports the package version',
      sh('/usr/bin/verikiosk', ['--version']).trim() === first.version,
    );

    // --- init as the service user, key to /etc/verikiosk ----------------------------------------
    const unitText = fs.readFileSync(UNIT, 'utf8');
    const unit = parseUnit(unitText);
    const init = JSON.parse(
      sh(
        ...(([cmd, ...args]) => [cmd as string, args] as const)(
          asUser(unit.user, unit.umask, [
            '/usr/bin/verikiosk',
            'init',
            '--data-dir',
            DATA_DIR,
            '--unattended',
            '--json',
          ]),
        ),
        serviceEnv(unit.user, null),
      ),
    ) as InitOutput;
    check('verikiosk init wrote an unattended key file', init.unattendedKeyFile !== null);
    fs.renameSync(init.unattendedKeyFile as string, KEY_FILE);
    fs.chownSync(KEY_FILE, 0, 0);
    fs.chmodSync(KEY_FILE, 0o600);
    const keyHash = sha256(KEY_FILE);
    // The port: config.json, as an admin would set it (the unit's command line stays as it is).
    const port = await freePort();
    const configFile = path.join(DATA_DIR, 'config.json');
    const config = JSON.parse(fs.readFileSync(configFile, 'utf8')) as {
      server?: Record<string, unknown>;
    };
    config.server = { ...config.server, port };
    fs.writeFileSync(configFile, `${JSON.stringify(config, null, 2)}\n`);
    fs.chownSync(configFile, uid, uid);
    const base = `http://127.0.0.1:${port}`;
    const auth = { authorization: `Bearer ${init.apiKey.key}` };

    // --- first start, health, a verification --------------------------------------------------
    const credentials = loadCredential(unit.user);
    credentialDirs.push(credentials);
    service = startService(unitText, credentials);
    const health = await waitForHealth(base, service);
    const healthBody = (await health.json()) as { status?: string };
    check('/api/v1/health answers ok', healthBody.status === 'ok', JSON.stringify(healthBody));
    for (const page of ['/kiosk', '/staff', '/admin']) {
      const ui = await fetch(`${base}${page}`);
      const html = await ui.text();
      check(
        `${page} serves the packaged web UI`,
        ui.status === 200 && /<script type="module"[^>]*src="\/assets\//.test(html),
        `${String(ui.status)} ${html.slice(0, 120)}`,
      );
    }
    const created = await fetch(`${base}/api/v1/verifications`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify({ kind: 'identity', kioskId: init.kioskToken.kioskId }),
    });
    const verification = (await created.json()) as { id?: string; status?: string };
    check(
      'a verification is created through the API',
      created.status === 201,
      String(created.status),
    );
    const stopped = await stopService(service);
    service = null;
    check('the service stops cleanly on SIGTERM', stopped === 0, String(stopped));

    // --- upgrade ---------------------------------------------------------------------------------
    sh('dpkg', ['-i', second.file]);
    check(
      'the upgrade installed the newer version',
      sh('/usr/bin/verikiosk', ['--version']).trim() === second.version,
    );
    check(
      'the upgrade kept the master key',
      fs.existsSync(KEY_FILE) && sha256(KEY_FILE) === keyHash,
    );
    const backups = fs.existsSync(BACKUPS) ? fs.readdirSync(BACKUPS) : [];
    check(
      'preinst made a pre-upgrade backup as the service user',
      backups.length === 1 &&
        backups[0]!.startsWith(`pre-upgrade-${first.version}-`) &&
        fs.statSync(path.join(BACKUPS, backups[0]!)).uid === uid,
      backups.join(', '),
    );
    service = startService(fs.readFileSync(UNIT, 'utf8'), credentials);
    await waitForHealth(base, service);
    const again = await fetch(`${base}/api/v1/verifications/${verification.id ?? 'missing'}`, {
      headers: auth,
    });
    const againBody = (await again.json()) as { id?: string };
    check(
      'the verification and the API key survive the upgrade',
      again.status === 200 && againBody.id === verification.id,
      String(again.status),
    );
    // Made on the new version: a rollback to the pre-upgrade backup does not have it.
    const afterUpgrade = (await (
      await fetch(`${base}/api/v1/verifications`, {
        method: 'POST',
        headers: { ...auth, 'content-type': 'application/json' },
        body: JSON.stringify({ kind: 'identity', kioskId: init.kioskToken.kioskId }),
      })
    ).json()) as { id?: string };
    check('the service stops cleanly after the upgrade', (await stopService(service)) === 0);
    service = null;

    // --- rollback (docs/operations.md, Upgrade): the old package, then the pre-upgrade backup --
    const preUpgrade = path.join(BACKUPS, backups[0] ?? 'missing');
    sh('dpkg', ['-i', first.file]);
    check(
      'dpkg -i of the older package downgrades',
      sh('/usr/bin/verikiosk', ['--version']).trim() === first.version,
    );
    const restoreArgv = asUser(unit.user, unit.umask, [
      '/usr/bin/verikiosk',
      'restore',
      '--data-dir',
      DATA_DIR,
      preUpgrade,
    ]);
    check(
      'verikiosk restore of the pre-upgrade backup, as the service user with the credential',
      exitCode(
        restoreArgv[0] as string,
        restoreArgv.slice(1),
        serviceEnv(unit.user, credentials),
      ) === 0,
    );
    service = startService(fs.readFileSync(UNIT, 'utf8'), credentials);
    await waitForHealth(base, service);
    const kept = await fetch(`${base}/api/v1/verifications/${verification.id ?? 'missing'}`, {
      headers: auth,
    });
    const gone = await fetch(`${base}/api/v1/verifications/${afterUpgrade.id ?? 'missing'}`, {
      headers: auth,
    });
    check(
      'after the rollback the old version serves the data as it was before the upgrade',
      kept.status === 200 && gone.status === 404,
      `${String(kept.status)} ${String(gone.status)}`,
    );
    check('the service stops cleanly after the rollback', (await stopService(service)) === 0);
    service = null;
    // Forward again, as an admin would once the problem is fixed.
    sh('dpkg', ['-i', second.file]);
    const auditVerify = asUser(unit.user, unit.umask, [
      '/usr/bin/verikiosk',
      'audit',
      'verify',
      '--data-dir',
      DATA_DIR,
    ]);
    check(
      'verikiosk audit verify passes after the upgrade',
      exitCode(
        auditVerify[0] as string,
        auditVerify.slice(1),
        serviceEnv(unit.user, credentials),
      ) === 0,
    );

    const doctorArgv = asUser(unit.user, unit.umask, [
      '/usr/bin/verikiosk',
      'doctor',
      '--data-dir',
      DATA_DIR,
      '--json',
    ]);
    let doctorOut: string;
    try {
      doctorOut = sh(
        doctorArgv[0] as string,
        doctorArgv.slice(1),
        serviceEnv(unit.user, credentials),
      );
    } catch (error) {
      // exit 3 (warnings) or 1 (failures) still prints the findings
      doctorOut = /(\{[\s\S]*\})\s*$/.exec((error as Error).message)?.[1] ?? '{"findings":[]}';
    }
    const findings = (JSON.parse(doctorOut) as { findings: { check: string; severity: string }[] })
      .findings;
    const failures = findings.filter((f) => f.severity === 'fail').map((f) => f.check);
    check(
      'verikiosk doctor finds no failure in the installed package (models, backend, data dir)',
      findings.length > 5 && failures.length === 0,
      failures.join(', ') || doctorOut.slice(0, 400),
    );

    // --- remove, purge ---------------------------------------------------------------------------
    sh('dpkg', ['-r', PACKAGE_NAME]);
    check(
      'dpkg -r removed the program',
      !fs.existsSync('/usr/bin/verikiosk') && !fs.existsSync('/usr/lib/verikiosk'),
    );
    check(
      'dpkg -r kept the data dir and the key',
      fs.existsSync(path.join(DATA_DIR, 'config.json')) && fs.existsSync(KEY_FILE),
    );
    sh('dpkg', ['-P', PACKAGE_NAME]);
    check(
      'dpkg -P removed the data dir, the key, the unit and the rules',
      !fs.existsSync(DATA_DIR) &&
        !fs.existsSync(KEY_DIR) &&
        !fs.existsSync(UNIT) &&
        !fs.existsSync(RULES) &&
        !installed(),
    );
    check(
      'dpkg -P keeps the pre-upgrade backups (unreadable now that the key is gone)',
      fs.existsSync(BACKUPS) && fs.readdirSync(BACKUPS).length === 3,
      fs.existsSync(BACKUPS) ? fs.readdirSync(BACKUPS).join(', ') : 'none',
    );
  } finally {
    if (service) await stopService(service);
    if (touched && (installed() || fs.existsSync(DATA_DIR) || fs.existsSync(KEY_DIR))) {
      // A failed run leaves nothing behind for the next one.
      exitCode('dpkg', ['-P', PACKAGE_NAME]);
      fs.rmSync(DATA_DIR, { recursive: true, force: true });
      fs.rmSync(KEY_DIR, { recursive: true, force: true });
    }
    if (touched) fs.rmSync(BACKUPS, { recursive: true, force: true });
    for (const dir of credentialDirs) fs.rmSync(dir, { recursive: true, force: true });
    fs.rmSync(out, { recursive: true, force: true });
    process.stdout.write(`install test took ${Math.round((Date.now() - started) / 1000)} s\n`);
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main()
    .catch((error: unknown) => {
      failed += 1;
      process.stdout.write(`FAIL ${(error as Error).message}\n`);
    })
    .finally(() => {
      process.stdout.write(`install test: ${passed} passed, ${failed} failed\n`);
      process.exitCode = failed === 0 ? 0 : 1;
    });
}
