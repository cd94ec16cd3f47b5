import * as fs from 'node:fs';
import * as https from 'node:https';
import type { Command } from 'commander';
import { loadConfig, resolveDataDirPath } from '../config/index.js';
import {
  LATEST_SCHEMA_VERSION,
  auditKeyFingerprint,
  dataDirPaths,
  dataDirState,
  loadSodium,
  notInitialisedError,
  openReadableDb,
  readManifest,
  runningAppliancePid,
  runningApplianceUrl,
  schemaVersion,
  systemdCredentialPath,
  type DataDirState,
} from '../vault/index.js';
import { packageVersion } from '../version.js';
import { probeFaceBackend } from '../biometrics/index.js';
import { certificateFileFingerprint, pinnedToCertificate } from '../tls.js';
import { dataDirFrom } from './context.js';
import { printJson, printLine, type CliIo } from './io.js';
import { withDataDir, type CommonOptions } from './options.js';

export interface Status {
  version: string;
  dataDir: string;
  initialised: boolean;
  /** What the data dir holds (see `dataDirState`). */
  state: DataDirState;
  /** For a data dir that is not initialised: what it holds and what to do. */
  problem: string | null;
  installationId: string | null;
  keyId: string | null;
  schemaVersion: number | null;
  supportedSchemaVersion: number;
  unlock: {
    passphraseSet: boolean;
    keyFile: string;
    keyFilePresent: boolean;
    systemdCredential: boolean;
  };
  appliance: { running: boolean; pid: number | null; url: string; health: unknown };
  /** The certificate of server.tls: its SHA-256 fingerprint (colon hex) for staff to pin. */
  tls: {
    certFile: string;
    fingerprint256: string | null;
    validTo: string | null;
    problem: string | null;
  } | null;
  counts: Record<string, number> | null;
  /** The audit key's fingerprint is what `audit verify --export` prints, to compare. */
  audit: {
    entries: number;
    headSeq: number | null;
    publicKey: string | null;
    keyFingerprint: string | null;
  } | null;
  retention: { lastRunAt: string | null; lastRunDestroyed: number | null } | null;
  /** Destructions committed whose old page images are not yet overwritten in the files. */
  destructionsPending: { count: number; since: string | null } | null;
  /** FACE-1: the tfjs backend face inference uses (the running appliance's, else the one it would pick). */
  face: { backend: string | null; reason: string; source: 'appliance' | 'installed' };
}

function tlsStatus(certFile: string): NonNullable<Status['tls']> {
  try {
    const { fingerprint256, validTo } = certificateFileFingerprint(certFile);
    return { certFile, fingerprint256, validTo: validTo.toISOString(), problem: null };
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return {
      certFile,
      fingerprint256: null,
      validTo: null,
      problem: code ? `cannot be read (${code})` : 'is not a PEM certificate',
    };
  }
}

const HEALTH_TIMEOUT_MS = 1500;

/**
 * The running appliance's health, or null when it does not answer. Over HTTPS the appliance's own
 * certificate (server.tls in the data dir) is the one trusted, pinned by its fingerprint: a
 * self-signed appliance answers, anything else presenting another certificate does not.
 */
async function fetchHealth(url: string, certFile: string | null): Promise<unknown> {
  if (!url.startsWith('https:')) {
    try {
      const response = await fetch(`${url}/api/v1/health`, {
        signal: AbortSignal.timeout(HEALTH_TIMEOUT_MS),
      });
      return await response.json();
    } catch {
      return null;
    }
  }
  let pin: ReturnType<typeof pinnedToCertificate>;
  try {
    if (certFile === null) return null;
    pin = pinnedToCertificate(fs.readFileSync(certFile));
  } catch {
    return null;
  }
  const target = new URL('/api/v1/health', url);
  return new Promise<unknown>((resolve) => {
    const request = https.get(
      {
        host: target.hostname.replace(/^\[|\]$/g, ''),
        port: target.port,
        path: target.pathname,
        agent: false,
        timeout: HEALTH_TIMEOUT_MS,
        ...pin,
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => {
          try {
            resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')));
          } catch {
            resolve(null);
          }
        });
        response.on('error', () => resolve(null));
      },
    );
    request.on('timeout', () => request.destroy());
    request.on('error', () => resolve(null));
  });
}

const COUNTED = [
  'subjects',
  'verifications',
  'documents',
  'biometric_templates',
  'staff_users',
  'api_clients',
  'kiosks',
] as const;

/** What an admin needs to see at a glance; reads the database read-only and never unlocks keys. */
export async function collectStatus(dataDir: string, io: CliIo): Promise<Status> {
  const paths = dataDirPaths(dataDir);
  const state = dataDirState(paths.dir);
  const initialised = state === 'initialised';
  const { config } = loadConfig(paths.dir);
  const manifest = initialised ? readManifest(paths.dir) : null;
  const keyFile = resolveDataDirPath(paths.dir, config.keys.keyFile);
  const pid = runningAppliancePid(paths.dir);
  const configuredUrl = `${config.server.tls ? 'https' : 'http'}://${config.server.host.includes(':') ? `[${config.server.host}]` : config.server.host}:${config.server.port}`;
  const url = runningApplianceUrl(paths.dir) ?? configuredUrl;
  const probe = probeFaceBackend();
  const status: Status = {
    version: packageVersion(),
    dataDir: paths.dir,
    initialised,
    state,
    problem: initialised ? null : notInitialisedError(paths.dir).message,
    installationId: manifest?.installationId ?? null,
    keyId: manifest?.keyId ?? null,
    schemaVersion: null,
    supportedSchemaVersion: LATEST_SCHEMA_VERSION,
    unlock: {
      passphraseSet: Boolean(manifest?.passphrase),
      keyFile,
      keyFilePresent: fs.existsSync(keyFile),
      systemdCredential: systemdCredentialPath(io.env) !== null,
    },
    appliance: {
      running: pid !== null,
      pid,
      url,
      health:
        pid !== null
          ? await fetchHealth(
              url,
              config.server.tls ? resolveDataDirPath(paths.dir, config.server.tls.certFile) : null,
            )
          : null,
    },
    tls: config.server.tls
      ? tlsStatus(resolveDataDirPath(paths.dir, config.server.tls.certFile))
      : null,
    counts: null,
    audit: null,
    retention: null,
    destructionsPending: null,
    face: { backend: probe.name, reason: probe.reason, source: 'installed' },
  };
  const runningFace = (
    status.appliance.health as {
      face?: { backend: string | null; backendReason: string | null };
    } | null
  )?.face;
  if (runningFace)
    status.face = {
      backend: runningFace.backend,
      reason: runningFace.backendReason ?? '',
      source: 'appliance',
    };
  if (!initialised) return status;
  const db = openReadableDb(paths.database);
  try {
    status.schemaVersion = schemaVersion(db);
    if (status.schemaVersion > LATEST_SCHEMA_VERSION) return status;
    const count = (table: string): number =>
      (db.prepare(`SELECT COUNT(*) AS n FROM ${table}`).get() as { n: number }).n;
    status.counts = Object.fromEntries(COUNTED.map((t) => [t, count(t)]));
    const head = db.prepare('SELECT MAX(seq) AS seq, COUNT(*) AS n FROM audit_log').get() as {
      seq: number | null;
      n: number;
    };
    const publicKey = db
      .prepare("SELECT value FROM vault_meta WHERE key = 'audit_public_key'")
      .pluck()
      .get() as string | undefined;
    await loadSodium();
    status.audit = {
      entries: head.n,
      headSeq: head.seq,
      publicKey: publicKey ?? null,
      keyFingerprint: publicKey ? auditKeyFingerprint(Buffer.from(publicKey, 'hex')) : null,
    };
    const run = db
      .prepare(
        'SELECT finished_at, destroyed FROM retention_runs WHERE finished_at IS NOT NULL ORDER BY finished_at DESC LIMIT 1',
      )
      .get() as { finished_at: string; destroyed: number } | undefined;
    status.retention = {
      lastRunAt: run?.finished_at ?? null,
      lastRunDestroyed: run?.destroyed ?? null,
    };
    // Absent before migration 002 (the appliance adds it at its next start).
    const hasPending = db
      .prepare("SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = 'destructions_pending'")
      .get();
    status.destructionsPending = hasPending
      ? (db
          .prepare(
            'SELECT COALESCE(SUM(count), 0) AS count, MIN(at) AS since FROM destructions_pending',
          )
          .get() as { count: number; since: string | null })
      : { count: 0, since: null };
  } finally {
    db.close();
  }
  return status;
}

export function printStatus(io: CliIo, s: Status, json: boolean): void {
  if (json) {
    printJson(io.stdout, s);
    return;
  }
  const out = io.stdout;
  printLine(out, `verikiosk ${s.version}`);
  const note =
    s.state === 'empty'
      ? ' (not initialised)'
      : s.state === 'init_incomplete'
        ? ' (initialisation did not complete)'
        : s.state === 'damaged'
          ? ' (damaged)'
          : '';
  printLine(out, `data dir        ${s.dataDir}${note}`);
  if (!s.initialised) {
    if (s.problem && s.state !== 'empty') printLine(out, `                ${s.problem}`);
    return;
  }
  printLine(out, `installation    ${s.installationId} (key ${s.keyId})`);
  printLine(
    out,
    `schema          ${s.schemaVersion} (this version supports ${s.supportedSchemaVersion})`,
  );
  const sources = [
    s.unlock.passphraseSet ? 'passphrase' : null,
    s.unlock.keyFilePresent ? `key file ${s.unlock.keyFile}` : null,
    s.unlock.systemdCredential ? 'systemd credential' : null,
  ].filter(Boolean);
  printLine(out, `unlock with     ${sources.join(', ') || 'nothing available'}`);
  const health = s.appliance.health as { status?: string; uptimeSeconds?: number } | null;
  printLine(
    out,
    `appliance       ${s.appliance.running ? `running (pid ${s.appliance.pid}) at ${s.appliance.url}${health?.status ? `, health ${health.status}, up ${health.uptimeSeconds}s` : ', health unreachable'}` : 'not running'}`,
  );
  if (s.tls)
    printLine(
      out,
      s.tls.fingerprint256
        ? `TLS certificate ${s.tls.certFile}, SHA-256 ${s.tls.fingerprint256} (valid until ${s.tls.validTo})`
        : `TLS certificate ${s.tls.certFile} ${s.tls.problem}`,
    );
  if (s.counts)
    printLine(
      out,
      `records         ${Object.entries(s.counts)
        .map(([k, v]) => `${k} ${v}`)
        .join(', ')}`,
    );
  if (s.audit)
    printLine(
      out,
      `audit log       ${s.audit.entries} entries, head ${s.audit.headSeq ?? '-'}, key fingerprint ${s.audit.keyFingerprint ?? '-'}`,
    );
  printLine(
    out,
    `face backend    ${s.face.backend ?? 'none'} (${s.face.reason}${s.face.source === 'installed' ? ', as installed' : ''})`,
  );
  if (s.retention)
    printLine(
      out,
      `retention       last run ${s.retention.lastRunAt ?? 'never'}${s.retention.lastRunDestroyed !== null ? `, destroyed ${s.retention.lastRunDestroyed}` : ''}`,
    );
  if (s.destructionsPending)
    printLine(
      out,
      `destructions    ${s.destructionsPending.count === 0 ? 'none pending' : `${s.destructionsPending.count} pending since ${s.destructionsPending.since} (a reader holds the database; retried every 30 s and at close)`}`,
    );
}

/** `verikiosk status [--json]`. */
export function addStatusCommand(program: Command, io: CliIo): void {
  withDataDir(
    program
      .command('status')
      .description('show the data dir, keys, schema, appliance and record counts'),
  )
    .option('--json', 'print JSON')
    .action(async (o: CommonOptions) => {
      printStatus(io, await collectStatus(dataDirFrom(o, io), io), Boolean(o.json));
    });
}
