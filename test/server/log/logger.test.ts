import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { UsageError } from '../../../server/cli/index.js';
import { ConfigError } from '../../../server/config/index.js';
import { REDACTED, createLogger, errorFields, type LogLevel } from '../../../server/log/index.js';
import {
  BackupError,
  DataDirError,
  IntegrityError,
  KeyError,
  SchemaVersionError,
  VaultRuleError,
} from '../../../server/vault/index.js';

function collectingLogger(level?: LogLevel) {
  const lines: string[] = [];
  const logger = createLogger({
    ...(level ? { level } : {}),
    write: (line) => lines.push(line),
    clock: () => new Date('2030-01-02T03:04:05.678Z'),
  });
  return {
    logger,
    lines,
    records: () => lines.map((l) => JSON.parse(l) as Record<string, unknown>),
  };
}

describe('createLogger', () => {
  it('writes one JSON object a line with time, level and event', () => {
    const { logger, lines, records } = collectingLogger();
    logger.info('appliance.started', {
      version: '0.1.0',
      url: 'http://127.0.0.1:8420',
      port: 8420,
      tls: false,
      none: null,
    });
    expect(lines).toHaveLength(1);
    expect(lines[0]).not.toContain('\n');
    expect(records()[0]).toEqual({
      time: '2030-01-02T03:04:05.678Z',
      level: 'info',
      event: 'appliance.started',
      version: '0.1.0',
      url: 'http://127.0.0.1:8420',
      port: 8420,
      tls: false,
      none: null,
    });
  });

  it('replaces strings with spaces or other free text by [redacted]', () => {
    const { logger, lines, records } = collectingLogger();
    logger.warn('subject.lookup', {
      name: 'ZZTEST SURNAME',
      email: 'zztest surname@example.com',
      quoted: '"ZZTEST"',
      newline: 'ZZTEST\nSURNAME',
      long: 'Z'.repeat(121),
      id: 'sub_01abcdef',
      code: 'doc.expired',
    });
    const record = records()[0]!;
    expect(record).toMatchObject({
      name: REDACTED,
      email: REDACTED,
      quoted: REDACTED,
      newline: REDACTED,
      long: REDACTED,
      id: 'sub_01abcdef',
      code: 'doc.expired',
    });
    expect(REDACTED).toBe('[redacted]');
    expect(lines.join('')).not.toMatch(/ZZTEST/);
    // the event name is a field like any other
    logger.error('ZZTEST SURNAME failed');
    expect(records()[1]!.event).toBe(REDACTED);
  });

  it('drops undefined fields, turns non-finite numbers into null, and passes trusted text through', () => {
    const { logger, records } = collectingLogger();
    logger.info('x', {
      gone: undefined,
      nan: Number.NaN,
      inf: Number.POSITIVE_INFINITY,
      note: { trustedText: 'the key file is missing' },
    });
    const record = records()[0]!;
    expect(record).not.toHaveProperty('gone');
    expect(record).toMatchObject({ nan: null, inf: null, note: 'the key file is missing' });
    logger.info('y', { note: { trustedText: 'x'.repeat(1000) } });
    expect((records()[1]!.note as string).length).toBe(400);
  });

  it('filters by level: info by default, and the configured threshold', () => {
    const info = collectingLogger();
    info.logger.debug('d');
    info.logger.info('i');
    info.logger.warn('w');
    info.logger.error('e');
    expect(info.records().map((r) => r.level)).toEqual(['info', 'warn', 'error']);

    const warn = collectingLogger('warn');
    warn.logger.debug('d');
    warn.logger.info('i');
    warn.logger.warn('w');
    warn.logger.error('e');
    expect(warn.records().map((r) => r.event)).toEqual(['w', 'e']);

    const debug = collectingLogger('debug');
    debug.logger.debug('d');
    expect(debug.records()).toHaveLength(1);

    const error = collectingLogger('error');
    error.logger.warn('w');
    error.logger.error('e');
    expect(error.records().map((r) => r.event)).toEqual(['e']);
  });

  it('child loggers carry their bindings, redacted like any field, and keep the level', () => {
    const { logger, records } = collectingLogger('warn');
    const child = logger.child({ component: 'retention', who: 'ZZTEST SURNAME' });
    child.info('ignored');
    child.warn('retention.slow', { ms: 1200 });
    child.child({ run: 'ret_01' }).error('retention.failed', { component: 'override' });
    expect(records()).toEqual([
      expect.objectContaining({
        event: 'retention.slow',
        component: 'retention',
        who: REDACTED,
        ms: 1200,
      }),
      expect.objectContaining({
        event: 'retention.failed',
        component: 'override',
        run: 'ret_01',
        who: REDACTED,
      }),
    ]);
  });

  it('never writes a string value with whitespace (property)', () => {
    const { logger, lines } = collectingLogger();
    fc.assert(
      fc.property(fc.string(), fc.string(), (a, b) => {
        const value = `${a} ${b}`;
        lines.length = 0;
        logger.info('prop', { value });
        expect((JSON.parse(lines[0]!) as { value: string }).value).toBe(REDACTED);
      }),
      { numRuns: 200 },
    );
  });
});

describe('errorFields', () => {
  it('gives the message only for our own named errors', () => {
    const own: Error[] = [
      new KeyError('wrong_passphrase', 'the passphrase does not unlock this installation'),
      new SchemaVersionError(99, 1),
      new IntegrityError('subjects.name', 'a value failed authentication'),
      new DataDirError('locked', 'another verikiosk is serving'),
      new BackupError('corrupt', 'the backup is damaged'),
      new VaultRuleError('scope', 'unknown scope'),
      new ConfigError('/etc/config.json', [
        { key: 'server.port', rule: 'range', message: 'server.port must be in range' },
      ]),
      new UsageError('--port must be an integer'),
    ];
    for (const error of own) {
      const fields = errorFields(error);
      expect(fields.errorName).toBe(error.name);
      expect(fields.errorMessage).toEqual({ trustedText: error.message });
    }
  });

  it('gives name and code only for foreign errors, whatever their message holds', () => {
    const plain = errorFields(new Error('ZZTEST SURNAME born 1900-01-01'));
    expect(plain).toEqual({ errorName: 'Error' });
    const typeError = errorFields(new TypeError('ZZTEST'));
    expect(typeError).toEqual({ errorName: 'TypeError' });
    const sys = Object.assign(new Error('ENOENT: no such file, open /home/ZZTEST/x'), {
      code: 'ENOENT',
    });
    expect(errorFields(sys)).toEqual({ errorName: 'Error', errorCode: 'ENOENT' });
    expect(errorFields('ZZTEST string thrown')).toEqual({ errorName: 'string' });
    expect(errorFields(undefined)).toEqual({ errorName: 'undefined' });
    expect(errorFields({ message: 'ZZTEST' })).toEqual({ errorName: 'object' });
    // A foreign error that happens to share a name with one of ours is still foreign.
    const lookalike = new Error('ZZTEST SURNAME');
    lookalike.name = 'KeyError';
    expect(errorFields(lookalike)).toEqual({ errorName: 'KeyError' });
  });

  it('logged through a logger, a foreign error leaves no message behind', () => {
    const { logger, lines } = collectingLogger();
    logger.error('http.unhandled_error', {
      route: '/api/v1/x',
      ...errorFields(new Error('SECRET-VALUE-ZZTEST')),
    });
    logger.error(
      'vault.failed',
      errorFields(
        new KeyError('wrong_passphrase', 'the passphrase does not unlock this installation'),
      ),
    );
    expect(lines.join('\n')).not.toContain('SECRET-VALUE-ZZTEST');
    expect(JSON.parse(lines[1]!)).toMatchObject({
      errorName: 'KeyError',
      errorMessage: 'the passphrase does not unlock this installation',
    });
  });
});
