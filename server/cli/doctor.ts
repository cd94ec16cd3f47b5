/**
 * `verikiosk doctor`: checks what an admin would otherwise debug by hand and says how to fix each
 * problem. Reads only: the database is opened read-only and the vault is never unlocked (the
 * audit chain is checked against the installation's public key kept in the database).
 *
 * Exit code by the worst finding: 0 all ok, 3 warnings only, 1 a check failed (2 stays usage).
 */
import { fraudFaceRows } from '../fraud/index.js';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Cron } from 'croner';
import type { Command } from 'commander';
import { loadConfig, resolveDataDirPath, type Config } from '../config/index.js';
import {
  faceApiModelDir,
  probeFaceBackend,
  recognitionModelIdentity,
  reenrolmentPlan,
} from '../biometrics/index.js';
import { defaultModelDirectory } from '../documents/index.js';
import { certificateFileFingerprint } from '../tls.js';
import {
  LATEST_SCHEMA_VERSION,
  dataDirPaths,
  dataDirState,
  loadSodium,
  openReadableDb,
  readAuditChain,
  readManifest,
  schemaVersion,
  systemdCredentialPath,
  verifyAuditChain,
  type ReadableDb,
} from '../vault/index.js';
import { dataDirFrom } from './context.js';
import { printJson, printLine, type CliIo } from './io.js';
import { withDataDir, type CommonOptions } from './options.js';

export type Severity = 'ok' | 'warn' | 'fail';

export interface Finding {
  /** A stable id: data_dir, key_source, database, audit_chain, models, backend, devices, tls, disk, clock, retention, face_templates. */
  check: string;
  severity: Severity;
  message: string;
  /** What to do; null when ok. */
  fix: string | null;
}

export const EXIT_WARNINGS = 3;

const ok = (check: string, message: string): Finding => ({
  check,
  severity: 'ok',
  message,
  fix: null,
});
const warn = (check: string, message: string, fix: string): Finding => ({
  check,
  severity: 'warn',
  message,
  fix,
});
const fail = (check: string, message: string, fix: string): Finding => ({
  check,
  severity: 'fail',
  message,
  fix,
});

const mode = (m: number): string => (m & 0o777).toString(8).padStart(4, '0');

export interface DoctorContext {
  dataDir: string;
  config: Config;
  env: NodeJS.ProcessEnv;
  now: Date;
  uid: number;
  /** Where udev rules may be installed (override in tests). */
  udevRuleDirs: readonly string[];
  /** /dev, for the device nodes (override in tests). */
  devDir: string;
}

function checkDataDir(ctx: DoctorContext): Finding {
  const state = dataDirState(ctx.dataDir);
  if (state !== 'initialised') {
    return fail(
      'data_dir',
      `${ctx.dataDir} is ${state === 'empty' ? 'not initialised' : state.replace('_', ' ')}`,
      `run \`verikiosk init --data-dir ${ctx.dataDir}\` as the service user`,
    );
  }
  const stat = fs.statSync(ctx.dataDir);
  if (stat.uid !== ctx.uid) {
    return fail(
      'data_dir',
      `${ctx.dataDir} belongs to uid ${stat.uid}, not to the user running this (uid ${ctx.uid})`,
      `run doctor as the service user (sudo -u verikiosk verikiosk doctor), or chown -R verikiosk: ${ctx.dataDir}`,
    );
  }
  if ((stat.mode & 0o077) !== 0) {
    return fail(
      'data_dir',
      `${ctx.dataDir} has mode ${mode(stat.mode)}: other users can reach the vault's files`,
      `chmod 0700 ${ctx.dataDir}`,
    );
  }
  const loose = fs
    .readdirSync(ctx.dataDir, { withFileTypes: true })
    .filter((e) => e.isFile() && (fs.statSync(path.join(ctx.dataDir, e.name)).mode & 0o077) !== 0)
    .map((e) => e.name);
  if (loose.length > 0) {
    return warn(
      'data_dir',
      `files readable beyond their owner: ${loose.join(', ')}`,
      `chmod 0600 ${loose.map((f) => path.join(ctx.dataDir, f)).join(' ')}`,
    );
  }
  return ok('data_dir', `${ctx.dataDir} is initialised, owned by uid ${ctx.uid}, mode 0700`);
}

function checkKeySource(ctx: DoctorContext): Finding {
  const manifest = readManifest(ctx.dataDir);
  const credential = systemdCredentialPath(ctx.env);
  const keyFile = resolveDataDirPath(ctx.dataDir, ctx.config.keys.keyFile);
  const keyFilePresent = fs.existsSync(keyFile);
  if (keyFilePresent) {
    const stat = fs.statSync(keyFile);
    if ((stat.mode & 0o077) !== 0) {
      return fail(
        'key_source',
        `the master key file ${keyFile} has mode ${mode(stat.mode)}`,
        `chmod 0600 ${keyFile}`,
      );
    }
    if (path.dirname(keyFile) === ctx.dataDir) {
      return warn(
        'key_source',
        `unattended mode: the master key sits unencrypted beside the data in ${keyFile}: whoever copies the data dir has the key with it`,
        "move it to /etc/verikiosk/master.key (root, 0600) for the unit's LoadCredential=, or set a passphrase with `verikiosk keys change-passphrase`",
      );
    }
    return ok('key_source', `key file ${keyFile} (mode 0600, outside the data dir)`);
  }
  if (credential) return ok('key_source', `systemd credential ${credential}`);
  if (manifest.passphrase) {
    return warn(
      'key_source',
      'passphrase only: the appliance cannot start unattended (after a reboot it waits for the passphrase)',
      'intended for attended installations; for unattended boots see README "Unattended key options"',
    );
  }
  return fail(
    'key_source',
    `no key source: no passphrase is set, ${keyFile} is missing and no systemd credential is loaded`,
    'restore the key file from its safe copy, or run doctor under the unit (systemd-run -p LoadCredential=verikiosk-master-key:/etc/verikiosk/master.key …)',
  );
}

function checkDatabase(db: ReadableDb): Finding {
  const version = schemaVersion(db);
  if (version > LATEST_SCHEMA_VERSION) {
    return fail(
      'database',
      `schema ${version} is newer than this version supports (${LATEST_SCHEMA_VERSION})`,
      'install the verikiosk version that wrote it, or restore a backup made by this version',
    );
  }
  const result = db.pragma('integrity_check') as { integrity_check: string }[];
  const problems = result.map((r) => r.integrity_check).filter((r) => r !== 'ok');
  if (problems.length > 0) {
    return fail(
      'database',
      `PRAGMA integrity_check found ${problems.length} problem(s), first: ${problems[0]}`,
      'stop the appliance and `verikiosk restore` the latest backup (then `verikiosk audit verify`)',
    );
  }
  if (version < LATEST_SCHEMA_VERSION) {
    return warn(
      'database',
      `integrity ok; schema ${version}, this version migrates it to ${LATEST_SCHEMA_VERSION} at the next start`,
      'take a `verikiosk backup` before starting the new version',
    );
  }
  return ok('database', `integrity ok, schema ${version}`);
}

async function checkAuditChain(db: ReadableDb, installationId: string): Promise<Finding> {
  const publicKey = db
    .prepare("SELECT value FROM vault_meta WHERE key = 'audit_public_key'")
    .pluck()
    .get() as string | undefined;
  if (!publicKey) {
    return fail(
      'audit_chain',
      'the audit public key is missing from the database',
      'restore the latest backup',
    );
  }
  await loadSodium();
  const result = verifyAuditChain(
    readAuditChain(db, installationId),
    Buffer.from(publicKey, 'hex'),
  );
  if (!result.ok) {
    return fail(
      'audit_chain',
      `broken at entry ${result.firstBadSeq}: ${result.message}`,
      'do not delete anything: export the log (`verikiosk audit export`), report it to your security officer, and compare with the latest backup',
    );
  }
  return ok(
    'audit_chain',
    `${result.message} (checked against the key in the database; \`verikiosk audit verify\` checks with the installation key)`,
  );
}

const DTYPE_BYTES: Record<string, number> = {
  float32: 4,
  int32: 4,
  uint8: 1,
  uint16: 2,
  float16: 2,
  bool: 1,
};

interface WeightsGroup {
  paths: string[];
  weights: { shape: number[]; dtype: string; quantization?: { dtype: string } }[];
}

/**
 * A tfjs weights manifest is loadable when every file it names exists and the group's files hold
 * exactly the bytes its tensors need (a truncated or swapped download fails here, not at the
 * first document).
 */
export function weightsProblem(directory: string, groups: readonly WeightsGroup[]): string | null {
  for (const group of groups) {
    let expected = 0;
    for (const w of group.weights) {
      const bytes = DTYPE_BYTES[w.quantization?.dtype ?? w.dtype];
      if (bytes === undefined) return `unknown dtype ${w.quantization?.dtype ?? w.dtype}`;
      expected += w.shape.reduce((a, b) => a * b, 1) * bytes;
    }
    let actual = 0;
    for (const p of group.paths) {
      const file = path.join(directory, p);
      if (!fs.existsSync(file)) return `${file} is missing`;
      actual += fs.statSync(file).size;
    }
    if (actual !== expected) {
      return `${group.paths.join(', ')} hold ${actual} bytes, the manifest needs ${expected}`;
    }
  }
  return null;
}

const FACE_MANIFESTS = [
  'tiny_face_detector_model-weights_manifest.json',
  'ssd_mobilenetv1_model-weights_manifest.json',
  'face_landmark_68_model-weights_manifest.json',
  'face_recognition_model-weights_manifest.json',
];

function checkModels(): Finding {
  const problems: string[] = [];
  const mrz = defaultModelDirectory();
  try {
    const model = JSON.parse(fs.readFileSync(path.join(mrz, 'model.json'), 'utf8')) as {
      weightsManifest: WeightsGroup[];
    };
    const problem = weightsProblem(mrz, model.weightsManifest);
    if (problem) problems.push(`MRZ OCR: ${problem}`);
  } catch {
    problems.push(`MRZ OCR: ${path.join(mrz, 'model.json')} is missing or not a model`);
  }
  let face: string;
  try {
    face = faceApiModelDir();
  } catch {
    return fail(
      'models',
      'the face models package (@vladmandic/face-api) is not installed',
      'reinstall the verikiosk package',
    );
  }
  for (const name of FACE_MANIFESTS) {
    try {
      const groups = JSON.parse(fs.readFileSync(path.join(face, name), 'utf8')) as WeightsGroup[];
      const problem = weightsProblem(face, groups);
      if (problem) problems.push(`face: ${problem}`);
    } catch {
      problems.push(`face: ${path.join(face, name)} is missing or not a manifest`);
    }
  }
  if (problems.length > 0) {
    return fail(
      'models',
      problems.join('; '),
      'reinstall the verikiosk package (the models ship with it; a partial copy or an edited file breaks them)',
    );
  }
  return ok(
    'models',
    `MRZ OCR model and ${FACE_MANIFESTS.length} face models present and complete`,
  );
}

function checkBackend(): Finding {
  const probe = probeFaceBackend();
  if (probe.name === null) {
    return fail(
      'backend',
      `no face inference backend: ${probe.reason}`,
      'reinstall the verikiosk package (@tensorflow/tfjs-backend-wasm ships its .wasm files)',
    );
  }
  return ok('backend', `face inference on ${probe.name} (${probe.reason})`);
}

function checkDevices(ctx: DoctorContext): Finding {
  const rules = ctx.udevRuleDirs
    .map((d) => path.join(d, '70-verikiosk.rules'))
    .find((f) => fs.existsSync(f));
  let nodes: string[] = [];
  try {
    nodes = fs
      .readdirSync(ctx.devDir)
      .filter((n) => /^(hidraw\d+|ttyACM\d+|ttyUSB\d+)$/.test(n))
      .map((n) => path.join(ctx.devDir, n));
  } catch {
    nodes = [];
  }
  const denied = nodes.filter((n) => {
    try {
      fs.accessSync(n, fs.constants.R_OK | fs.constants.W_OK);
      return false;
    } catch {
      return true;
    }
  });
  if (!rules) {
    return warn(
      'devices',
      `the udev rules (70-verikiosk.rules) are not installed in ${ctx.udevRuleDirs.join(' or ')}: pads and readers stay root-only`,
      'install the verikiosk package (it installs them), or copy packaging/udev/70-verikiosk.rules to /etc/udev/rules.d/ and run `udevadm control --reload-rules && udevadm trigger`',
    );
  }
  if (denied.length > 0) {
    return warn(
      'devices',
      `${denied.length} of ${nodes.length} device node(s) not readable and writable by this user: ${denied.join(', ')}`,
      'add the user to the verikiosk group (usermod -aG verikiosk <user>), replug the device, and check `verikiosk devices watch`; a device not in the rules needs a local rule (README "Device access")',
    );
  }
  return ok('devices', `udev rules ${rules}; ${nodes.length} hidraw/tty node(s), all accessible`);
}

function checkTls(ctx: DoctorContext): Finding {
  const tls = ctx.config.server.tls;
  if (!tls)
    return ok('tls', `no TLS: serving plain HTTP on ${ctx.config.server.host} (loopback only)`);
  const file = resolveDataDirPath(ctx.dataDir, tls.certFile);
  let validTo: Date;
  try {
    validTo = certificateFileFingerprint(file).validTo;
  } catch {
    return fail(
      'tls',
      `${file} cannot be read as a PEM certificate`,
      'restore the certificate or point server.tls.certFile at a valid one',
    );
  }
  const days = Math.floor((validTo.getTime() - ctx.now.getTime()) / 86_400_000);
  if (days < 0) {
    return fail(
      'tls',
      `the certificate ${file} expired on ${validTo.toISOString()}`,
      'renew it (a self-signed one: move tls.crt/tls.key away and re-run `verikiosk init --host …` on a copy, then re-pin the new fingerprint on the clients)',
    );
  }
  if (days < 30) {
    return warn(
      'tls',
      `the certificate ${file} expires in ${days} days (${validTo.toISOString()})`,
      'renew it before it expires and re-pin the new fingerprint on the clients',
    );
  }
  return ok('tls', `certificate valid for ${days} more days`);
}

function checkDisk(ctx: DoctorContext): Finding {
  const s = fs.statfsSync(ctx.dataDir);
  const free = s.bavail * s.bsize;
  const total = s.blocks * s.bsize;
  const share = total > 0 ? free / total : 0;
  const text = `${(free / 2 ** 30).toFixed(1)} GiB free of ${(total / 2 ** 30).toFixed(1)} GiB (${Math.round(share * 100)}%) on the data dir's file system`;
  const fix =
    'free space or grow the file system: the vault refuses writes when the disk is full, and backups need room too';
  if (free < 2 ** 30 || share < 0.05) return fail('disk', text, fix);
  if (share < 0.15) return warn('disk', text, fix);
  return ok('disk', text);
}

function checkClock(ctx: DoctorContext, db: ReadableDb): Finding {
  const last = db.prepare('SELECT MAX(at) FROM audit_log').pluck().get() as string | null;
  const now = ctx.now.getTime();
  if (ctx.now.getUTCFullYear() < 2025) {
    return fail(
      'clock',
      `the clock says ${ctx.now.toISOString()}`,
      'set the time and enable NTP (timedatectl set-ntp true): retention, certificates and the audit log depend on it',
    );
  }
  if (last !== null && Date.parse(last) - now > 5 * 60_000) {
    return fail(
      'clock',
      `the clock (${ctx.now.toISOString()}) is behind the last audit entry (${last})`,
      'the clock went backwards: fix the time and enable NTP (timedatectl set-ntp true) before starting the appliance',
    );
  }
  return ok('clock', `${ctx.now.toISOString()}, not behind the audit log`);
}

function checkRetention(ctx: DoctorContext, db: ReadableDb): Finding {
  const last = db
    .prepare('SELECT MAX(finished_at) FROM retention_runs WHERE finished_at IS NOT NULL')
    .pluck()
    .get() as string | null;
  const runs: Date[] = new Cron(ctx.config.retention.schedule, { paused: true }).nextRuns(
    2,
    ctx.now,
  );
  const interval =
    runs.length === 2 ? (runs[1] as Date).getTime() - (runs[0] as Date).getTime() : 3_600_000;
  // Overdue after two missed runs and a margin for a long one.
  const limit = 2 * interval + 10 * 60_000;
  const created = db.prepare('SELECT MIN(at) FROM audit_log').pluck().get() as string | null;
  const since = last ?? created;
  if (since === null) return ok('retention', 'no data yet');
  const age = ctx.now.getTime() - Date.parse(since);
  if (age <= limit) {
    return ok('retention', last ? `last run ${last}` : 'not run yet (installed recently)');
  }
  return warn(
    'retention',
    last
      ? `last run ${last}: overdue (the schedule ${ctx.config.retention.schedule} runs every ${Math.round(interval / 60_000)} min)`
      : 'never run',
    'retention runs only while the appliance runs: start it (systemctl start verikiosk), or run `verikiosk retention run` now; check the journal for retention errors',
  );
}

/** Face templates of another recogniser than the one in use (a model change): never compared. */
function checkFaceTemplates(db: ReadableDb): Finding {
  let plan;
  try {
    plan = reenrolmentPlan(db, recognitionModelIdentity(), fraudFaceRows);
  } catch {
    return ok(
      'face_templates',
      'not checked: the face recogniser cannot be identified (see models)',
    );
  }
  const templates = plan.models.reduce((n, m) => n + m.templates, 0);
  const stale = plan.models.filter((m) => !m.current && m.templates + m.fraudFaces > 0);
  if (stale.length === 0) {
    return ok(
      'face_templates',
      `${templates} face template(s), all of the recogniser in use (${plan.current.name} ${plan.current.version})`,
    );
  }
  const staleTemplates = stale.reduce((n, m) => n + m.templates, 0);
  return warn(
    'face_templates',
    `${staleTemplates} of ${templates} face template(s) are of another recogniser (${stale
      .map((m) => `${m.model} ${m.version}`)
      .join(
        ', ',
      )}): ${plan.subjectsToRecapture.length} subject(s) need a new capture, ${plan.staleFraudFaces} fraud-list face(s) are not searched`,
    'they are never compared (face checks answer not_run, face_model_changed): run `verikiosk faces reenrol-plan` for the subjects to capture again at their next visit',
  );
}

export async function runDoctor(ctx: DoctorContext): Promise<Finding[]> {
  const findings: Finding[] = [checkDataDir(ctx)];
  if (findings[0]?.severity === 'fail' && dataDirState(ctx.dataDir) !== 'initialised') {
    return [...findings, checkModels(), checkBackend(), checkDevices(ctx)];
  }
  findings.push(checkKeySource(ctx));
  const paths = dataDirPaths(ctx.dataDir);
  const installationId = readManifest(ctx.dataDir).installationId;
  let db: ReadableDb | null = null;
  try {
    db = openReadableDb(paths.database);
  } catch {
    findings.push(
      fail(
        'database',
        `${paths.database} cannot be opened`,
        'check its owner and mode (the service user, 0600), or restore the latest backup',
      ),
    );
  }
  try {
    if (db) {
      findings.push(checkDatabase(db));
      // A schema from a newer version may have changed the log's shape: not checked here.
      if (schemaVersion(db) <= LATEST_SCHEMA_VERSION) {
        findings.push(await checkAuditChain(db, installationId));
      }
    }
    findings.push(checkModels(), checkBackend(), checkDevices(ctx), checkTls(ctx), checkDisk(ctx));
    if (db) findings.push(checkClock(ctx, db), checkRetention(ctx, db), checkFaceTemplates(db));
  } finally {
    db?.close();
  }
  return findings;
}

/** The doctor's context for this machine: the environment may point at test folders. */
export function doctorContext(
  dataDir: string,
  config: Config,
  env: NodeJS.ProcessEnv,
  now: Date = new Date(),
): DoctorContext {
  return {
    dataDir,
    config,
    env,
    now,
    uid: process.getuid?.() ?? 0,
    udevRuleDirs: (
      env.VERIKIOSK_UDEV_RULES_DIRS ?? '/etc/udev/rules.d:/usr/lib/udev/rules.d:/lib/udev/rules.d'
    ).split(':'),
    devDir: env.VERIKIOSK_DEV_DIR ?? '/dev',
  };
}

export function doctorExitCode(findings: readonly Finding[]): number {
  if (findings.some((f) => f.severity === 'fail')) return 1;
  if (findings.some((f) => f.severity === 'warn')) return EXIT_WARNINGS;
  return 0;
}

const LABEL: Record<Severity, string> = { ok: 'ok  ', warn: 'WARN', fail: 'FAIL' };

export function addDoctorCommand(
  program: Command,
  io: CliIo,
  setExit: (code: number) => void,
): void {
  withDataDir(
    program
      .command('doctor')
      .description(
        'check the installation and say how to fix what is wrong (exit 0 ok, 3 warnings, 1 failures)',
      ),
  )
    .option('--json', 'print JSON')
    .action(async (o: CommonOptions) => {
      const dataDir = dataDirFrom(o, io);
      const { config } = loadConfig(dataDir);
      const findings = await runDoctor(doctorContext(dataDir, config, io.env));
      if (o.json) printJson(io.stdout, { findings, exitCode: doctorExitCode(findings) });
      else {
        for (const f of findings) {
          printLine(io.stdout, `[${LABEL[f.severity]}] ${f.check.padEnd(12)} ${f.message}`);
          if (f.fix) printLine(io.stdout, `       ${''.padEnd(12)} fix: ${f.fix}`);
        }
        const count = (s: Severity) => findings.filter((f) => f.severity === s).length;
        printLine(
          io.stdout,
          `${count('ok')} ok, ${count('warn')} warnings, ${count('fail')} failures`,
        );
      }
      setExit(doctorExitCode(findings));
    });
}
