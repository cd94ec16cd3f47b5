import { expect } from 'vitest';
import { createAppliance, type Appliance, type ApplianceOptions } from '../../../server/app.js';
import { parseConfig, type Config } from '../../../server/config/index.js';
import { createLogger, type LogLevel } from '../../../server/log/index.js';
import { Vault, dataDirPaths, type Clock } from '../../../server/vault/index.js';
import { tempDir } from '../cli/helpers.js';

export interface TestAppliance {
  appliance: Appliance;
  dataDir: string;
  keyFile: string;
  /** Every log line written so far, parsed. */
  logs: Record<string, unknown>[];
  /** Every log line written so far, as written. */
  rawLogs: string[];
}

const open: Appliance[] = [];

/** A config from a partial config.json (validated like the real file). */
export function testConfig(input: Record<string, unknown> = {}): Config {
  const outcome = parseConfig(input);
  if (!outcome.ok) throw new Error(`bad test config: ${JSON.stringify(outcome.errors)}`);
  return outcome.config;
}

/** A fresh unattended vault in a temp dir, served by an appliance whose log lines are collected. */
export async function newAppliance(
  configInput: Record<string, unknown> = {},
  level: LogLevel = 'debug',
  /** The vault's clock, to drive expiries without waiting. */
  clock?: Clock,
  /** More appliance options (e.g. a pinned liveness-challenge draw). */
  options: Pick<ApplianceOptions, 'challengeRandom'> = {},
): Promise<TestAppliance> {
  const dataDir = tempDir('vk-api-test-');
  const keyFile = dataDirPaths(dataDir).defaultKeyFile;
  (await Vault.init(dataDir, { unattendedKeyFile: keyFile })).close();
  const rawLogs: string[] = [];
  const logs: Record<string, unknown>[] = [];
  const logger = createLogger({
    level,
    write: (line) => {
      rawLogs.push(line);
      logs.push(JSON.parse(line) as Record<string, unknown>);
    },
  });
  const appliance = await createAppliance({
    dataDir,
    keySource: { kind: 'key-file', path: keyFile },
    config: testConfig(configInput),
    logger,
    clock,
    ...options,
  });
  open.push(appliance);
  return { appliance, dataDir, keyFile, logs, rawLogs };
}

/** Closes every appliance made since the last call (run before the temp dirs are removed). */
export function closeAppliances(): void {
  for (const appliance of open.splice(0)) {
    try {
      void appliance.close();
    } catch {
      // a test closed the database under the appliance on purpose
    }
  }
}

export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  [key: string]: unknown;
}

/** Asserts an `application/problem+json` response with this status and returns its body. */
export async function expectProblem(response: Response, status: number): Promise<Problem> {
  expect(response.status).toBe(status);
  expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  const body = (await response.json()) as Problem;
  expect(body.status).toBe(status);
  expect(body.type).toMatch(/^\/api\/v1\/problems\/[a-z_]+$/);
  expect(typeof body.title).toBe('string');
  expect(typeof body.detail).toBe('string');
  return body;
}
