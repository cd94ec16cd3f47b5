/**
 * `verikiosk support-bundle <file>`: one JSON file an IT admin can send to whoever supports the
 * appliance, with what they would ask for first, and nothing personal: the version and the
 * platform, the doctor's findings, the configuration in force (secret-looking values replaced),
 * the schema version, counts (verifications by kind and status, face templates per recogniser,
 * webhook backlog, privacy-request deadlines) and the data dir's file names, sizes and modes.
 * No subject, verification or template ids, no audit entries, no log lines, no file contents.
 * Read-only like `doctor`: the database is opened read-only and the vault is never unlocked.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Command } from 'commander';
import { fraudFaceRows } from '../fraud/index.js';
import { recognitionModelIdentity, reenrolmentPlan } from '../biometrics/index.js';
import { loadConfig } from '../config/index.js';
import { readApplianceState } from '../metrics/index.js';
import { packageVersion } from '../version.js';
import {
  LATEST_SCHEMA_VERSION,
  dataDirPaths,
  dataDirState,
  openReadableDb,
  schemaVersion,
} from '../vault/index.js';
import { dataDirFrom } from './context.js';
import { doctorContext, doctorExitCode, runDoctor } from './doctor.js';
import { UsageError, printLine, type CliIo } from './io.js';
import { withDataDir, type CommonOptions } from './options.js';

export const REDACTED = '[redacted]';
/** Config keys whose string values are never copied (a secret may be written inline). */
const SECRET_KEY = /secret|password|passphrase|token|credential|seed|nkey|apikey|api_key/i;

/** A copy of the config with the values of secret-looking keys replaced. */
export function redactConfig(value: unknown, key = ''): unknown {
  if (Array.isArray(value)) return value.map((v) => redactConfig(v, key));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value as Record<string, unknown>).map(([k, v]) => [k, redactConfig(v, k)]),
    );
  }
  if (typeof value === 'string' && SECRET_KEY.test(key)) return REDACTED;
  return value;
}

interface FileEntry {
  name: string;
  kind: 'file' | 'dir' | 'other';
  bytes: number;
  mode: string;
}

function dataDirFiles(dataDir: string): FileEntry[] {
  let names: string[];
  try {
    names = fs.readdirSync(dataDir).sort();
  } catch {
    return [];
  }
  return names.flatMap((name) => {
    try {
      const st = fs.lstatSync(path.join(dataDir, name));
      return [
        {
          name,
          kind: st.isFile() ? 'file' : st.isDirectory() ? 'dir' : 'other',
          bytes: st.isFile() ? st.size : 0,
          mode: (st.mode & 0o777).toString(8).padStart(4, '0'),
        } as const,
      ];
    } catch {
      return [];
    }
  });
}

/** What the database says, in counts; null when it cannot be read. */
function databaseSummary(dataDir: string, now: Date): Record<string, unknown> | null {
  if (dataDirState(dataDir) !== 'initialised') return null;
  let db;
  try {
    db = openReadableDb(dataDirPaths(dataDir).database);
  } catch {
    return null;
  }
  try {
    const version = schemaVersion(db);
    if (version > LATEST_SCHEMA_VERSION) return { schemaVersion: version, newerThanCode: true };
    const current = recognitionModelIdentity();
    const state = readApplianceState(db, now.getTime(), current);
    const plan = reenrolmentPlan(db, current, fraudFaceRows);
    return {
      schemaVersion: version,
      latestSchemaVersion: LATEST_SCHEMA_VERSION,
      verifications: state.verifications,
      faceTemplates: state.faceTemplates,
      subjectsToRecapture: plan.subjectsToRecapture.length,
      staleFraudFaces: plan.staleFraudFaces,
      webhookBacklog: state.webhookBacklog,
      webhookFailing: state.webhookFailing,
      retentionLastRun:
        state.retentionLastRunSeconds === 0
          ? null
          : new Date(state.retentionLastRunSeconds * 1000).toISOString(),
      privacyRequests: {
        open: state.privacyOpen,
        dueSoon: state.privacyDueSoon,
        overdue: state.privacyOverdue,
      },
    };
  } catch {
    return null;
  } finally {
    db.close();
  }
}

export async function supportBundle(
  dataDir: string,
  env: NodeJS.ProcessEnv,
  now: Date = new Date(),
): Promise<Record<string, unknown>> {
  const { config, source } = loadConfig(dataDir);
  const findings = await runDoctor(doctorContext(dataDir, config, env, now));
  return {
    kind: 'verikiosk.support-bundle',
    generatedAt: now.toISOString(),
    version: packageVersion(),
    platform: {
      node: process.version,
      os: `${os.type()} ${os.release()}`,
      arch: os.arch(),
      cpus: os.cpus().length,
      memoryBytes: os.totalmem(),
    },
    doctor: { findings, exitCode: doctorExitCode(findings) },
    config: { source, values: redactConfig(config) },
    database: databaseSummary(dataDir, now),
    dataDirFiles: dataDirFiles(dataDir),
  };
}

export function addSupportBundleCommand(program: Command, io: CliIo): void {
  withDataDir(
    program
      .command('support-bundle')
      .description(
        'write a JSON file for support: version, doctor findings, config, counts (no personal data)',
      ),
  )
    .argument('<file>', 'the file to write (must not exist)')
    .action(async (file: string, o: CommonOptions) => {
      const dataDir = dataDirFrom(o, io);
      if (fs.existsSync(file)) throw new UsageError(`${file} exists: name a new file`, 'file');
      if (!fs.existsSync(path.dirname(path.resolve(file))))
        throw new UsageError(`the folder of ${file} does not exist`, 'file');
      const bundle = await supportBundle(dataDir, io.env);
      // 'wx': never replaces a file that appeared meanwhile.
      fs.writeFileSync(file, `${JSON.stringify(bundle, null, 2)}\n`, { flag: 'wx', mode: 0o600 });
      printLine(
        io.stdout,
        `support bundle written to ${file}: no personal data, no keys; read it before you send it.`,
      );
    });
}
