import * as fs from 'node:fs';
import * as path from 'node:path';

import { afterEach, describe, expect, it } from 'vitest';

import {
  ConfigError,
  checkConfigFile,
  checkConfigFiles,
  loadConfig,
  parseConfig,
  type Config,
  type ConfigIssue,
} from '../../../server/config/index.js';
import { hasOpenssl, makeCertificate } from '../../support/tls.js';
import { runBin } from '../cli/bin-helpers.js';
import { cleanupDirs, hashDir, initUnattended, tempDir } from '../cli/helpers.js';

afterEach(() => cleanupDirs());

function config(input: Record<string, unknown>): Config {
  const outcome = parseConfig(input);
  if (!outcome.ok) throw new Error(JSON.stringify(outcome.errors));
  return outcome.config;
}

const MISSING = 'no-such-dir-QQMARKER/tls.crt';

describe('files named by the config', () => {
  it('reports missing TLS files by key and rule, without their paths', () => {
    const dataDir = tempDir('vk-config-files-');
    const issues = checkConfigFiles(
      config({ server: { tls: { certFile: MISSING, keyFile: '/nowhere-QQMARKER/tls.key' } } }),
      dataDir,
    );
    expect(issues.map((i) => [i.key, i.rule])).toEqual([
      ['server.tls.certFile', 'file_missing'],
      ['server.tls.keyFile', 'file_missing'],
    ]);
    for (const issue of issues) {
      expect(issue.message.startsWith(`${issue.key} `)).toBe(true);
      expect(issue.message).not.toContain('QQMARKER');
    }
  });

  it('reports a directory where a file belongs, and an unreadable file', () => {
    const dataDir = tempDir('vk-config-files-');
    fs.mkdirSync(path.join(dataDir, 'master.key'));
    expect(checkConfigFiles(config({}), dataDir)).toEqual([
      {
        key: 'keys.keyFile',
        rule: 'file_unreadable',
        message: 'keys.keyFile names something that is not a file',
      },
    ]);
    if (process.getuid?.() !== 0) {
      fs.rmdirSync(path.join(dataDir, 'master.key'));
      fs.writeFileSync(path.join(dataDir, 'master.key'), 'x', { mode: 0o000 });
      expect(checkConfigFiles(config({}), dataDir)).toEqual([
        expect.objectContaining({ key: 'keys.keyFile', rule: 'file_unreadable' }),
      ]);
    }
  });

  it('accepts an absent master-key file (an install with a passphrase has none)', () => {
    expect(checkConfigFiles(config({}), tempDir('vk-config-files-'))).toEqual([]);
  });

  it.skipIf(!hasOpenssl)(
    'accepts a certificate and its key, relative to the data dir, and refuses a mismatched pair',
    () => {
      const dataDir = tempDir('vk-config-files-');
      makeCertificate(dataDir, 'a');
      makeCertificate(dataDir, 'b');
      expect(
        checkConfigFiles(
          config({ server: { tls: { certFile: 'a.crt', keyFile: 'a.key' } } }),
          dataDir,
        ),
      ).toEqual([]);
      const mismatched = checkConfigFiles(
        config({ server: { tls: { certFile: 'a.crt', keyFile: 'b.key' } } }),
        dataDir,
      );
      expect(mismatched.map((i) => [i.key, i.rule])).toEqual([['server.tls', 'tls_invalid']]);
      const notPem = checkConfigFiles(
        config({ server: { tls: { certFile: 'a.key', keyFile: 'a.crt' } } }),
        dataDir,
      );
      expect(notPem.map((i) => i.rule)).toEqual(['tls_invalid']);
    },
  );

  it('loadConfig and checkConfigFile refuse a config naming missing TLS files', () => {
    const dataDir = tempDir('vk-config-files-');
    const file = path.join(dataDir, 'config.json');
    fs.writeFileSync(
      file,
      JSON.stringify({ server: { tls: { certFile: MISSING, keyFile: MISSING } } }),
    );
    let caught: unknown;
    try {
      loadConfig(dataDir);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ConfigError);
    expect((caught as ConfigError).issues.map((i: ConfigIssue) => i.rule)).toEqual([
      'file_missing',
      'file_missing',
    ]);
    const checked = checkConfigFile(file, dataDir);
    expect(checked.ok).toBe(false);
  });
});

describe('as separate processes', () => {
  it('`config check` exits 2 on a config whose TLS files do not exist, naming the keys', async () => {
    const dataDir = tempDir('vk-config-files-');
    const file = path.join(dataDir, 'candidate.json');
    fs.writeFileSync(
      file,
      JSON.stringify({ server: { tls: { certFile: MISSING, keyFile: MISSING } } }),
    );
    const run = await runBin(['config', 'check', file, '--data-dir', dataDir]);
    expect(run.code, run.stderr).toBe(2);
    expect(run.stderr).toMatch(
      /server\.tls\.certFile names a file that does not exist.*\[file_missing\]/,
    );
    expect(run.stderr).toMatch(
      /server\.tls\.keyFile names a file that does not exist.*\[file_missing\]/,
    );
    expect(run.stderr).not.toContain('QQMARKER');

    const json = await runBin(['config', 'check', file, '--data-dir', dataDir, '--json']);
    expect(json.code).toBe(2);
    expect(JSON.parse(json.stdout)).toMatchObject({
      ok: false,
      errors: [
        { key: 'server.tls.certFile', rule: 'file_missing' },
        { key: 'server.tls.keyFile', rule: 'file_missing' },
      ],
    });
  }, 60_000);

  it('`config check` exits 2 on a retention schedule more frequent than every 5 minutes', async () => {
    const dataDir = tempDir('vk-config-files-');
    const file = path.join(dataDir, 'candidate.json');
    fs.writeFileSync(file, JSON.stringify({ retention: { schedule: '*/2 * * * *' } }));
    const run = await runBin(['config', 'check', file, '--data-dir', dataDir]);
    expect(run.code, run.stderr).toBe(2);
    expect(run.stderr).toMatch(
      /retention\.schedule must be a schedule whose runs are at least 5 minutes apart \[too_frequent\]/,
    );
  }, 60_000);

  it('`start` refuses a config naming missing TLS files before it runs retention or writes anything', async () => {
    const p = await initUnattended();
    const configFile = path.join(p.dataDir, 'config.json');
    const starter = JSON.parse(fs.readFileSync(configFile, 'utf8')) as { server: object };
    fs.writeFileSync(
      configFile,
      JSON.stringify({
        ...starter,
        server: { ...starter.server, tls: { certFile: 'tls/none.crt', keyFile: 'tls/none.key' } },
      }),
    );
    const before = hashDir(p.dataDir);
    const run = await runBin(['start', '--data-dir', p.dataDir, '--port', '0']);
    expect(run.code, run.stderr).toBe(2);
    expect(run.stderr).toMatch(
      /server\.tls\.certFile names a file that does not exist \(.*\) \[file_missing\]/,
    );
    expect(run.stderr).not.toMatch(/internal error/);
    expect(run.stderr).not.toMatch(/retention/);
    expect(hashDir(p.dataDir)).toEqual(before);
  }, 60_000);
});
