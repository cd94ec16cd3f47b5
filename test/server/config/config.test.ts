import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import {
  CONFIG_FILE_NAME,
  ConfigError,
  DEFAULT_RETENTION_RULES,
  checkConfigFile,
  configSchema,
  defaultConfig,
  defaultConfigText,
  isLoopbackHost,
  loadConfig,
  parseConfig,
  parseConfigText,
  resolveDataDirPath,
  resolveRetentionRules,
  type Config,
  type ConfigIssue,
  type ConfigOutcome,
} from '../../../server/config/index.js';

/** The issues of an outcome that must have failed. */
function issuesOf(outcome: ConfigOutcome): ConfigIssue[] {
  if (outcome.ok) throw new Error('expected the config to be rejected');
  return outcome.errors;
}

function configOf(outcome: ConfigOutcome): Config {
  if (!outcome.ok)
    throw new Error(`expected a valid config, got ${JSON.stringify(outcome.errors)}`);
  return outcome.config;
}

/** Parses `input` and expects exactly one issue, returning it. */
function onlyIssue(input: unknown): ConfigIssue {
  const issues = issuesOf(parseConfig(input));
  expect(issues).toHaveLength(1);
  return issues[0]!;
}

describe('defaults', () => {
  it('parses {} to the full default config', () => {
    expect(configOf(parseConfig({}))).toEqual({
      server: {
        host: '127.0.0.1',
        port: 8420,
        tls: null,
        bodyLimitBytes: 64 * 1024,
        maxImageBytes: 10 * 1024 * 1024,
        trustProxy: false,
        headersTimeoutMs: 10_000,
        requestTimeoutMs: 120_000,
        keepAliveTimeoutMs: 5_000,
        rateLimit: {
          enabled: true,
          perKey: { burst: 600, perSecond: 100 },
          perAddress: { burst: 300, perSecond: 50 },
        },
        sse: {
          heartbeatMs: 15_000,
          bufferBytes: 1024 * 1024,
          maxClients: 256,
          maxLagEvents: 10_000,
        },
        sessions: {
          idleMinutes: 15,
          absoluteHours: 8,
          lockoutAfter: 5,
          lockoutSeconds: 60,
          lockoutMaxSeconds: 3600,
          addressLockoutAfter: 20,
        },
        metrics: { access: 'loopback' },
      },
      keys: { keyFile: 'master.key', kdf: 'moderate' },
      retention: { schedule: '17 * * * *', runOnStart: true, rules: {} },
      policies: {
        minimumAge: 13,
        ageOfMajority: 18,
        ageOfMajorityByJurisdiction: { 'US-AL': 19, 'US-NE': 19, 'US-MS': 21 },
        resubmissionLimit: 3,
        sessionTimeoutMinutes: 30,
      },
      thresholds: {
        face: { approveAtFmr: 1e-4, reviewAtFmr: 1e-3 },
        signature: { approveAtFar: 0.01, reviewAtFar: 0.05 },
      },
      devices: { simulate: 'never', pollIntervalMs: 2000, models: [] },
      logging: { level: 'info' },
      face: {
        maxQueue: 8,
        maxFileBytes: 15 * 1024 * 1024,
        maxPixels: 40_000_000,
        minDimension: 48,
        workingMaxSide: 1280,
        warmUpAtStart: true,
      },
      webhooks: {
        timeoutMs: 10_000,
        retryBaseMs: 1_000,
        retryMaxMs: 3_600_000,
        disableAfterFailures: 20,
        concurrency: 4,
        rotationOverlapSeconds: 86_400,
        allowInsecureHttp: false,
        pollMs: 1_000,
      },
      cases: { slaHours: 4 },
      privacyRequests: {
        jurisdiction: 'DE',
        regimeByJurisdiction: { US: 'other', 'US-CA': 'ccpa' },
        defaultRegime: 'gdpr',
        ccpaAccessRequestsPerYear: 2,
      },
      reports: { minCellSize: 5 },
    } satisfies Config);
  });

  it('fills defaults inside a partly written section', () => {
    const config = configOf(parseConfig({ server: { port: 9000 }, thresholds: { face: {} } }));
    expect(config.server).toMatchObject({ host: '127.0.0.1', port: 9000, tls: null });
    expect(config.thresholds.face).toEqual({ approveAtFmr: 1e-4, reviewAtFmr: 1e-3 });
  });

  it('hands out a fresh default object each time', () => {
    const first = defaultConfig();
    first.devices.models.push({ vendorId: 1, productIds: [2], driver: 'x' });
    first.policies.ageOfMajorityByJurisdiction['US-AL'] = 99;
    const second = defaultConfig();
    expect(second.devices.models).toEqual([]);
    expect(second.policies.ageOfMajorityByJurisdiction['US-AL']).toBe(19);
  });

  it('exports the schema itself', () => {
    expect(configSchema.parse({})).toEqual(defaultConfig());
  });
});

describe('rules, each reported with its key and rule code', () => {
  const cases: Array<{ name: string; input: unknown; key: string; rule: ConfigIssue['rule'] }> = [
    { name: 'config not an object', input: [], key: '', rule: 'type' },
    { name: 'section not an object', input: { server: 'x' }, key: 'server', rule: 'type' },
    { name: 'port zero', input: { server: { port: 0 } }, key: 'server.port', rule: 'range' },
    { name: 'port too big', input: { server: { port: 65536 } }, key: 'server.port', rule: 'range' },
    {
      name: 'port fractional',
      input: { server: { port: 80.5 } },
      key: 'server.port',
      rule: 'type',
    },
    { name: 'port string', input: { server: { port: '80' } }, key: 'server.port', rule: 'type' },
    {
      name: 'host garbage',
      input: { server: { host: 'not a host!' } },
      key: 'server.host',
      rule: 'format',
    },
    {
      name: 'host like a mistyped IPv4 address',
      input: { server: { host: '10.0.0.256' } },
      key: 'server.host',
      rule: 'format',
    },
    {
      name: 'host beyond loopback without tls',
      input: { server: { host: '0.0.0.0' } },
      key: 'server.tls',
      rule: 'tls_required',
    },
    {
      name: 'host name beyond loopback without tls',
      input: { server: { host: 'kiosk.branch.example', tls: null } },
      key: 'server.tls',
      rule: 'tls_required',
    },
    {
      name: 'tls missing keyFile',
      input: { server: { tls: { certFile: 'cert.pem' } } },
      key: 'server.tls.keyFile',
      rule: 'required',
    },
    {
      name: 'tls empty certFile',
      input: { server: { tls: { certFile: '', keyFile: 'k.pem' } } },
      key: 'server.tls.certFile',
      rule: 'format',
    },
    {
      name: 'body limit too small',
      input: { server: { bodyLimitBytes: 10 } },
      key: 'server.bodyLimitBytes',
      rule: 'range',
    },
    {
      name: 'trustProxy',
      input: { server: { trustProxy: 'yes' } },
      key: 'server.trustProxy',
      rule: 'type',
    },
    {
      name: 'empty key file',
      input: { keys: { keyFile: '' } },
      key: 'keys.keyFile',
      rule: 'format',
    },
    { name: 'kdf profile', input: { keys: { kdf: 'fast' } }, key: 'keys.kdf', rule: 'type' },
    {
      name: 'cron with 4 fields',
      input: { retention: { schedule: '* * * *' } },
      key: 'retention.schedule',
      rule: 'format',
    },
    {
      name: 'cron with 7 fields',
      input: { retention: { schedule: '0 0 0 * * * 2030' } },
      key: 'retention.schedule',
      rule: 'format',
    },
    {
      name: 'cron out of range',
      input: { retention: { schedule: '99 * * * *' } },
      key: 'retention.schedule',
      rule: 'format',
    },
    {
      name: 'cron that never fires',
      input: { retention: { schedule: '0 0 31 2 *' } },
      key: 'retention.schedule',
      rule: 'format',
    },
    {
      name: 'cron every minute',
      input: { retention: { schedule: '* * * * *' } },
      key: 'retention.schedule',
      rule: 'too_frequent',
    },
    {
      name: 'cron every 10 seconds',
      input: { retention: { schedule: '*/10 * * * * *' } },
      key: 'retention.schedule',
      rule: 'too_frequent',
    },
    {
      name: 'cron with two runs 3 minutes apart each hour',
      input: { retention: { schedule: '0,3 * * * *' } },
      key: 'retention.schedule',
      rule: 'too_frequent',
    },
    {
      name: 'cron whose runs are 2 minutes apart across midnight',
      input: { retention: { schedule: '0,58 0,23 * * *' } },
      key: 'retention.schedule',
      rule: 'too_frequent',
    },
    {
      name: 'cron every minute on leap days only',
      input: { retention: { schedule: '* * 29 2 *' } },
      key: 'retention.schedule',
      rule: 'too_frequent',
    },
    {
      name: 'headers timeout longer than the request timeout',
      input: { server: { headersTimeoutMs: 5000, requestTimeoutMs: 1000 } },
      key: 'server.headersTimeoutMs',
      rule: 'order',
    },
    {
      name: 'headers timeout too short',
      input: { server: { headersTimeoutMs: 10 } },
      key: 'server.headersTimeoutMs',
      rule: 'range',
    },
    {
      name: 'keep-alive timeout not an integer',
      input: { server: { keepAliveTimeoutMs: 1.5 } },
      key: 'server.keepAliveTimeoutMs',
      rule: 'type',
    },
    {
      name: 'telemetry access',
      input: { server: { metrics: { access: 'everyone' } } },
      key: 'server.metrics.access',
      rule: 'type',
    },
    {
      name: 'runOnStart',
      input: { retention: { runOnStart: 1 } },
      key: 'retention.runOnStart',
      rule: 'type',
    },
    {
      name: 'unknown retention rule',
      input: { retention: { rules: { 'biometrics.forever': { after: 'P1D' } } } },
      key: 'retention.rules.biometrics.forever',
      rule: 'unknown_key',
    },
    {
      name: 'invalid duration',
      input: { retention: { rules: { 'audit.age': { after: '7 years' } } } },
      key: 'retention.rules.audit.age.after',
      rule: 'format',
    },
    {
      name: 'negative duration',
      input: { retention: { rules: { 'audit.age': { after: '-P7Y' } } } },
      key: 'retention.rules.audit.age.after',
      rule: 'format',
    },
    {
      name: 'duration over 100 years',
      input: { retention: { rules: { 'audit.age': { after: 'P101Y' } } } },
      key: 'retention.rules.audit.age.after',
      rule: 'range',
    },
    {
      name: 'enabled not boolean',
      input: { retention: { rules: { 'audit.age': { enabled: 'no' } } } },
      key: 'retention.rules.audit.age.enabled',
      rule: 'type',
    },
    {
      name: 'unknown override field',
      input: { retention: { rules: { 'audit.age': { before: 'P1D' } } } },
      key: 'retention.rules.audit.age.before',
      rule: 'unknown_key',
    },
    {
      name: 'minimum age not below majority',
      input: { policies: { minimumAge: 18, ageOfMajority: 18 } },
      key: 'policies.minimumAge',
      rule: 'order',
    },
    {
      name: 'minimum age negative',
      input: { policies: { minimumAge: -1 } },
      key: 'policies.minimumAge',
      rule: 'range',
    },
    {
      name: 'jurisdiction code',
      input: { policies: { ageOfMajorityByJurisdiction: { 'us-al': 19 } } },
      key: 'policies.ageOfMajorityByJurisdiction.us-al',
      rule: 'format',
    },
    {
      name: 'jurisdiction age not a number',
      input: { policies: { ageOfMajorityByJurisdiction: { 'US-AL': '19' } } },
      key: 'policies.ageOfMajorityByJurisdiction.US-AL',
      rule: 'type',
    },
    {
      name: 'jurisdiction age not above minimum age',
      input: { policies: { ageOfMajorityByJurisdiction: { 'US-AL': 13 } } },
      key: 'policies.ageOfMajorityByJurisdiction.US-AL',
      rule: 'order',
    },
    {
      name: 'resubmission limit',
      input: { policies: { resubmissionLimit: 1000 } },
      key: 'policies.resubmissionLimit',
      rule: 'range',
    },
    {
      name: 'session timeout',
      input: { policies: { sessionTimeoutMinutes: 0 } },
      key: 'policies.sessionTimeoutMinutes',
      rule: 'range',
    },
    {
      name: 'face rate 0',
      input: { thresholds: { face: { approveAtFmr: 0 } } },
      key: 'thresholds.face.approveAtFmr',
      rule: 'range',
    },
    {
      name: 'face rate 1',
      input: { thresholds: { face: { reviewAtFmr: 1 } } },
      key: 'thresholds.face.reviewAtFmr',
      rule: 'range',
    },
    {
      name: 'face approve looser than review',
      input: { thresholds: { face: { approveAtFmr: 1e-2, reviewAtFmr: 1e-3 } } },
      key: 'thresholds.face.approveAtFmr',
      rule: 'order',
    },
    {
      name: 'signature approve looser than review',
      input: { thresholds: { signature: { approveAtFar: 0.1 } } },
      key: 'thresholds.signature.approveAtFar',
      rule: 'order',
    },
    {
      name: 'simulate',
      input: { devices: { simulate: true } },
      key: 'devices.simulate',
      rule: 'type',
    },
    {
      name: 'poll interval',
      input: { devices: { pollIntervalMs: 199 } },
      key: 'devices.pollIntervalMs',
      rule: 'range',
    },
    {
      name: 'vendor id too big',
      input: { devices: { models: [{ vendorId: 0x10000, productIds: [1], driver: 'd' }] } },
      key: 'devices.models[0].vendorId',
      rule: 'range',
    },
    {
      name: 'vendor id hex too big',
      input: { devices: { models: [{ vendorId: '0x10000', productIds: [1], driver: 'd' }] } },
      key: 'devices.models[0].vendorId',
      rule: 'range',
    },
    {
      name: 'product id not hex',
      input: { devices: { models: [{ vendorId: 1, productIds: ['056a'], driver: 'd' }] } },
      key: 'devices.models[0].productIds[0]',
      rule: 'type',
    },
    {
      name: 'no product ids',
      input: { devices: { models: [{ vendorId: 1, productIds: [], driver: 'd' }] } },
      key: 'devices.models[0].productIds',
      rule: 'range',
    },
    {
      name: 'driver missing',
      input: { devices: { models: [{ vendorId: 1, productIds: [1] }] } },
      key: 'devices.models[0].driver',
      rule: 'required',
    },
    {
      name: 'driver name',
      input: { devices: { models: [{ vendorId: 1, productIds: [1], driver: 'a b' }] } },
      key: 'devices.models[0].driver',
      rule: 'format',
    },
    {
      name: 'unknown model field',
      input: { devices: { models: [{ vendorId: 1, productIds: [1], driver: 'd', pid: 2 }] } },
      key: 'devices.models[0].pid',
      rule: 'unknown_key',
    },
    {
      name: 'log level',
      input: { logging: { level: 'trace' } },
      key: 'logging.level',
      rule: 'type',
    },
    { name: 'unknown section', input: { extra: {} }, key: 'extra', rule: 'unknown_key' },
    {
      name: 'unknown setting',
      input: { server: { listen: 8420 } },
      key: 'server.listen',
      rule: 'unknown_key',
    },
  ];

  it.each(cases)('$name → $key $rule', ({ input, key, rule }) => {
    const issue = onlyIssue(input);
    expect(issue.key).toBe(key);
    expect(issue.rule).toBe(rule);
    expect(issue.message.startsWith(key === '' ? 'the configuration ' : `${key} `)).toBe(true);
  });

  it('words the messages as sentences naming the key and the rule', () => {
    expect(onlyIssue({ server: { port: 0 } }).message).toBe(
      'server.port must be an integer from 1 to 65535',
    );
    expect(onlyIssue({ server: { host: '10.1.2.3' } }).message).toBe(
      'server.tls is required when server.host is not a loopback address (127.0.0.0/8, ::1 or localhost)',
    );
    expect(onlyIssue({ policies: { minimumAge: 18 } }).message).toBe(
      'policies.minimumAge must be less than policies.ageOfMajority',
    );
    expect(onlyIssue({ retention: { rules: { nope: {} } } }).message).toMatch(
      /^retention\.rules\.nope is not a known retention rule; the rules are biometrics\.one_off_decision, /,
    );
  });

  it('reports every unknown key separately', () => {
    const issues = issuesOf(parseConfig({ a: 1, server: { b: 2, c: 3 } }));
    expect(issues.map((issue) => [issue.key, issue.rule])).toEqual([
      ['server.b', 'unknown_key'],
      ['server.c', 'unknown_key'],
      ['a', 'unknown_key'],
    ]);
  });

  it('reports problems from several sections at once', () => {
    const issues = issuesOf(
      parseConfig({ server: { port: -1 }, logging: { level: 1 }, devices: { pollIntervalMs: 1 } }),
    );
    expect(issues.map((issue) => issue.key).sort()).toEqual([
      'devices.pollIntervalMs',
      'logging.level',
      'server.port',
    ]);
  });

  it('keeps odd unknown keys printable and short', () => {
    const issue = onlyIssue({ ['x\u0000\n'.repeat(40)]: 1 });
    expect(issue.rule).toBe('unknown_key');
    expect([...issue.key].some((char) => char.charCodeAt(0) < 0x20)).toBe(false);
    expect(issue.key.length).toBeLessThanOrEqual(65);
  });
});

describe('valid values', () => {
  it('accepts loopback hosts without TLS and other hosts with TLS', () => {
    for (const host of ['127.0.0.1', '127.8.9.10', '::1', 'localhost', 'LOCALHOST']) {
      expect(configOf(parseConfig({ server: { host } })).server.host).toBe(host);
    }
    const tls = { certFile: '/etc/verikiosk/cert.pem', keyFile: 'tls/key.pem' };
    for (const host of ['0.0.0.0', '::', '192.168.1.20', 'kiosk-01.branch.example']) {
      expect(configOf(parseConfig({ server: { host, tls } })).server.tls).toEqual(tls);
    }
  });

  it('knows loopback addresses in their other spellings', () => {
    expect(isLoopbackHost('0:0:0:0:0:0:0:1')).toBe(true);
    expect(isLoopbackHost('::ffff:127.0.0.1')).toBe(true);
    expect(isLoopbackHost('localhost.')).toBe(true);
    expect(isLoopbackHost('128.0.0.1')).toBe(false);
    expect(isLoopbackHost('localhost.example')).toBe(false);
    expect(isLoopbackHost('::2')).toBe(false);
  });

  it('accepts schedules whose runs are at least 5 minutes apart', () => {
    for (const schedule of ['*/5 * * * *', '0,5 * * * *', '0,55 * * * *', '0 0 29 2 *']) {
      expect(configOf(parseConfig({ retention: { schedule } })).retention.schedule).toBe(schedule);
    }
  });

  it('accepts 5- and 6-field cron schedules', () => {
    expect(configOf(parseConfig({ retention: { schedule: '0 3 * * *' } })).retention.schedule).toBe(
      '0 3 * * *',
    );
    expect(
      configOf(parseConfig({ retention: { schedule: '30 */5 * * * *' } })).retention.schedule,
    ).toBe('30 */5 * * * *');
  });

  it('reads USB ids as numbers or hex strings', () => {
    const config = configOf(
      parseConfig({
        devices: {
          models: [
            {
              vendorId: '0x056a',
              productIds: ['0x00A4', 165, '0xffff'],
              driver: 'wacom-stu',
              name: 'STU-540',
            },
            { vendorId: 0, productIds: [0], driver: 'topaz' },
          ],
        },
      }),
    );
    expect(config.devices.models).toEqual([
      { vendorId: 0x056a, productIds: [0xa4, 165, 0xffff], driver: 'wacom-stu', name: 'STU-540' },
      { vendorId: 0, productIds: [0], driver: 'topaz' },
    ]);
  });

  it('replaces the jurisdiction table as a whole', () => {
    const config = configOf(
      parseConfig({ policies: { ageOfMajorityByJurisdiction: { 'CA-BC': 19 } } }),
    );
    expect(config.policies.ageOfMajorityByJurisdiction).toEqual({ 'CA-BC': 19 });
  });

  it('accepts equal approve and review rates', () => {
    const face = { approveAtFmr: 1e-3, reviewAtFmr: 1e-3 };
    expect(configOf(parseConfig({ thresholds: { face } })).thresholds.face).toEqual(face);
  });
});

describe('submitted values are never echoed', () => {
  const secret = 'Zq7-SECRET-4242';

  const placements: unknown[] = [
    { server: { host: secret } },
    { server: { port: secret } },
    { server: { tls: secret } },
    { server: { tls: { certFile: 7, keyFile: secret } } },
    { server: { trustProxy: secret, bodyLimitBytes: secret } },
    { keys: { kdf: secret, keyFile: [secret] } },
    { retention: { schedule: secret } },
    { retention: { schedule: `${secret} * * * *` } },
    { retention: { rules: { 'audit.age': { after: secret, enabled: secret } } } },
    { retention: { rules: { 'audit.age': secret } } },
    { policies: { minimumAge: secret, ageOfMajorityByJurisdiction: { 'US-AL': secret } } },
    { policies: { ageOfMajorityByJurisdiction: secret } },
    { thresholds: { face: { approveAtFmr: secret } } },
    {
      devices: {
        simulate: secret,
        models: [{ vendorId: secret, productIds: [secret], driver: secret }],
      },
    },
    {
      devices: {
        models: [{ vendorId: 1, productIds: [1], driver: 'd', name: 7 }],
        pollIntervalMs: secret,
      },
    },
    { logging: { level: secret } },
    { logging: secret },
    secret,
    [secret],
  ];

  it.each(placements.map((input, index) => ({ index, input })))('placement $index', ({ input }) => {
    const issues = issuesOf(parseConfig(input));
    expect(issues.length).toBeGreaterThan(0);
    const text = JSON.stringify(issues);
    expect(text).not.toContain(secret);
    expect(text).not.toContain('SECRET');
  });

  it('does not echo the text around a JSON syntax error', () => {
    const text = `{\n  "server": {\n    "host": "127.0.0.1" ${secret}\n  }\n}\n`;
    const issues = issuesOf(parseConfigText(text, 'config.json'));
    expect(JSON.stringify(issues)).not.toContain('SECRET');
  });

  it('does not echo numbers either', () => {
    const issues = issuesOf(parseConfig({ server: { port: 987654321 } }));
    expect(JSON.stringify(issues)).not.toContain('987654321');
  });
});

describe('retention rules', () => {
  it('keeps the consent-withdrawal and deletion-request rules on and immediate', () => {
    for (const id of ['biometrics.consent_withdrawn', 'biometrics.deletion_request']) {
      for (const override of [{ enabled: false }, { after: 'P1D' }]) {
        const issue = onlyIssue({ retention: { rules: { [id]: override } } });
        expect(issue).toMatchObject({ key: `retention.rules.${id}`, rule: 'locked' });
      }
      expect(
        parseConfig({ retention: { rules: { [id]: { after: 'PT0S', enabled: true } } } }).ok,
      ).toBe(true);
    }
  });

  it('has the SPEC §4 defaults', () => {
    expect(DEFAULT_RETENTION_RULES.map((rule) => [rule.id, rule.basis, rule.after])).toEqual([
      ['biometrics.one_off_decision', 'final_decision', 'P30D'],
      ['biometrics.inactivity', 'last_interaction', 'P3Y'],
      ['biometrics.consent_withdrawn', 'consent_withdrawn', 'PT0S'],
      ['biometrics.deletion_request', 'deletion_request', 'PT0S'],
      ['document_images.after_decision', 'final_decision', 'P90D'],
      ['records.inactivity', 'last_interaction', 'P5Y'],
      ['audit.age', 'created', 'P7Y'],
      ['backups.age', 'created', 'P30D'],
    ]);
    const byId = new Map(DEFAULT_RETENTION_RULES.map((rule) => [rule.id, rule]));
    expect(byId.get('biometrics.one_off_decision')?.purpose).toBe('one_off');
    expect(byId.get('biometrics.inactivity')?.categories).toEqual([
      'biometric_templates',
      'biometric_samples',
    ]);
    expect(byId.get('records.inactivity')?.categories).toEqual(['extracted_data', 'decisions']);
    expect(byId.get('audit.age')?.categories).toEqual(['audit']);
    expect(byId.get('backups.age')?.categories).toEqual(['backups']);
    for (const rule of DEFAULT_RETENTION_RULES) expect(rule.description.length).toBeGreaterThan(20);
  });

  it('are frozen', () => {
    expect(Object.isFrozen(DEFAULT_RETENTION_RULES)).toBe(true);
    expect(Object.isFrozen(DEFAULT_RETENTION_RULES[0])).toBe(true);
    expect(Object.isFrozen(DEFAULT_RETENTION_RULES[0]?.categories)).toBe(true);
  });

  it('resolves to the defaults without overrides', () => {
    expect(resolveRetentionRules(defaultConfig())).toEqual(DEFAULT_RETENTION_RULES);
  });

  it('applies overrides and leaves out disabled rules', () => {
    const config = configOf(
      parseConfig({
        retention: {
          rules: {
            'document_images.after_decision': { after: 'P30D' },
            'records.inactivity': { enabled: false },
            'audit.age': { after: 'P10Y', enabled: true },
            'biometrics.inactivity': {},
          },
        },
      }),
    );
    const rules = resolveRetentionRules(config);
    expect(rules.map((rule) => rule.id)).toEqual([
      'biometrics.one_off_decision',
      'biometrics.inactivity',
      'biometrics.consent_withdrawn',
      'biometrics.deletion_request',
      'document_images.after_decision',
      'audit.age',
      'backups.age',
    ]);
    expect(rules.find((rule) => rule.id === 'document_images.after_decision')?.after).toBe('P30D');
    expect(rules.find((rule) => rule.id === 'audit.age')?.after).toBe('P10Y');
    expect(rules.find((rule) => rule.id === 'biometrics.inactivity')?.after).toBe('P3Y');
    // The defaults themselves are untouched.
    expect(DEFAULT_RETENTION_RULES.find((rule) => rule.id === 'audit.age')?.after).toBe('P7Y');
  });

  it('returns rules the caller may change', () => {
    const rules = resolveRetentionRules(defaultConfig());
    (rules[0]!.categories as string[]).push('audit');
    expect(DEFAULT_RETENTION_RULES[0]?.categories).toHaveLength(2);
  });
});

describe('JSON text', () => {
  it('parses a valid file, with or without a byte order mark', () => {
    const text = '{ "server": { "port": 8421 } }';
    expect(configOf(parseConfigText(text, 'config.json')).server.port).toBe(8421);
    expect(configOf(parseConfigText(`\uFEFF${text}`, 'config.json')).server.port).toBe(8421);
  });

  it('reports the line and column of a syntax error', () => {
    const text = '{\n  "server": {\n    "port": 8420,\n  }\n}\n';
    const [issue, ...rest] = issuesOf(parseConfigText(text, '/data/config.json'));
    expect(rest).toEqual([]);
    expect(issue).toEqual({
      key: '',
      rule: 'json_syntax',
      line: 4,
      column: 3,
      message:
        '/data/config.json is not valid JSON: expected a property name in double quotes at line 4, column 3',
    });
  });

  it('reports a file that ends too early', () => {
    const issue = issuesOf(parseConfigText('{\n  "server": {\n', 'config.json'))[0];
    expect(issue).toMatchObject({ rule: 'json_syntax', line: 3, column: 1 });
    expect(issue?.message).toContain('ends too early at line 3, column 1');
  });

  it('reports an empty file', () => {
    expect(issuesOf(parseConfigText('  \n', 'config.json'))).toEqual([
      {
        key: '',
        rule: 'json_syntax',
        line: 1,
        column: 1,
        message: 'config.json is empty; it must hold a JSON object',
      },
    ]);
  });

  it('counts columns after CRLF line ends', () => {
    const issue = issuesOf(parseConfigText('{\r\n  "a": 1\r\n  "b": 2\r\n}', 'config.json'))[0];
    expect(issue).toMatchObject({ line: 3, column: 3 });
  });

  it('rejects valid JSON that is not an object', () => {
    expect(issuesOf(parseConfigText('null', 'config.json'))).toEqual([
      { key: '', rule: 'type', message: 'the configuration must be a JSON object' },
    ]);
  });
});

describe('files', () => {
  let dataDir: string;

  beforeEach(() => {
    dataDir = mkdtempSync(path.join(tmpdir(), 'verikiosk-config-'));
  });

  afterEach(() => {
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('loads the defaults when there is no config file', () => {
    const loaded = loadConfig(dataDir);
    expect(loaded).toEqual({
      config: defaultConfig(),
      path: path.join(dataDir, CONFIG_FILE_NAME),
      source: 'defaults',
    });
  });

  it('loads config.json from the data dir', () => {
    writeFileSync(path.join(dataDir, 'config.json'), '{ "logging": { "level": "debug" } }');
    const loaded = loadConfig(dataDir);
    expect(loaded.source).toBe('file');
    expect(loaded.config.logging.level).toBe('debug');
  });

  it('throws a ConfigError listing the issues of an invalid file', () => {
    writeFileSync(path.join(dataDir, 'config.json'), '{ "server": { "port": 0 }, "x": 1 }');
    let caught: unknown;
    try {
      loadConfig(dataDir);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ConfigError);
    const error = caught as ConfigError;
    expect(error.name).toBe('ConfigError');
    expect(error.issues.map((issue) => issue.key)).toEqual(['server.port', 'x']);
    expect(error.message).toContain('2 problems');
    expect(error.message).toContain('server.port must be an integer from 1 to 65535');
  });

  it('throws a ConfigError for a config path that cannot be read', () => {
    mkdirSync(path.join(dataDir, 'config.json'));
    expect(() => loadConfig(dataDir)).toThrow(ConfigError);
    try {
      loadConfig(dataDir);
    } catch (error) {
      expect((error as ConfigError).issues).toEqual([
        expect.objectContaining({ key: '', rule: 'unreadable' }),
      ]);
    }
  });

  it('checks a file for `verikiosk config check`', () => {
    const file = path.join(dataDir, 'candidate.json');
    writeFileSync(file, '{ "policies": { "minimumAge": 18 } }');
    expect(checkConfigFile(file, dataDir)).toEqual({
      ok: false,
      errors: [
        {
          key: 'policies.minimumAge',
          rule: 'order',
          message: 'policies.minimumAge must be less than policies.ageOfMajority',
        },
      ],
    });
    writeFileSync(file, defaultConfigText());
    expect(checkConfigFile(file, dataDir).ok).toBe(true);
  });

  it('reports a missing or unreadable file without throwing', () => {
    const missing = checkConfigFile(path.join(dataDir, 'nope.json'), dataDir);
    expect(issuesOf(missing)).toEqual([
      expect.objectContaining({
        key: '',
        rule: 'unreadable',
        message: expect.stringContaining('does not exist'),
      }),
    ]);
    expect(issuesOf(checkConfigFile(dataDir, dataDir))).toEqual([
      expect.objectContaining({ key: '', rule: 'unreadable' }),
    ]);
  });

  it('resolves config paths against the data dir', () => {
    expect(resolveDataDirPath('/var/lib/verikiosk', 'master.key')).toBe(
      '/var/lib/verikiosk/master.key',
    );
    expect(resolveDataDirPath('/var/lib/verikiosk', '/run/credentials/master.key')).toBe(
      '/run/credentials/master.key',
    );
  });
});

describe('starter config', () => {
  it('is pretty JSON with every section', () => {
    const text = defaultConfigText();
    expect(text.endsWith('}\n')).toBe(true);
    expect(text).toContain('\n  "server": {\n    "host": "127.0.0.1",');
    const parsed = JSON.parse(text) as Record<string, unknown>;
    // every section the schema knows, so that a new section cannot be left out of the starter
    expect(Object.keys(parsed)).toEqual(Object.keys(configSchema.shape));
    expect(Object.keys(parsed)).toContain('face');
    expect(parsed.face).toMatchObject({ maxQueue: 8, warmUpAtStart: true });
  });

  it('parses to the defaults and spells out each retention period', () => {
    const config = configOf(parseConfigText(defaultConfigText(), 'config.json'));
    expect({ ...config, retention: { ...config.retention, rules: {} } }).toEqual(defaultConfig());
    expect(Object.keys(config.retention.rules)).toHaveLength(DEFAULT_RETENTION_RULES.length);
    expect(resolveRetentionRules(config)).toEqual(DEFAULT_RETENTION_RULES);
  });
});
