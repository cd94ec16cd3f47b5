import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import {
  CONFIG_RULES,
  parseConfig,
  parseConfigText,
  type ConfigOutcome,
} from '../../../server/config/index.js';
import { findJsonSyntaxProblem } from '../../../server/config/json-syntax.js';

const RULES: ReadonlySet<string> = new Set(CONFIG_RULES);

function expectWellFormed(outcome: ConfigOutcome): void {
  if (outcome.ok) return;
  expect(outcome.errors.length).toBeGreaterThan(0);
  for (const issue of outcome.errors) {
    expect(RULES.has(issue.rule)).toBe(true);
    expect(typeof issue.key).toBe('string');
    expect(issue.message.length).toBeGreaterThan(0);
  }
}

/** JSON values shaped a little like config.json, so the schema is reached past its first level. */
const configLike = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    fc.jsonValue(),
    fc.constantFrom(
      0,
      1,
      -1,
      0.5,
      1e-4,
      65535,
      65536,
      '0x056a',
      'P30D',
      '17 * * * *',
      '::1',
      null,
      true,
    ),
    fc.array(tie('value'), { maxLength: 3 }),
    fc.dictionary(
      fc.constantFrom(
        'server',
        'keys',
        'retention',
        'policies',
        'thresholds',
        'devices',
        'logging',
        'host',
        'port',
        'tls',
        'certFile',
        'keyFile',
        'rules',
        'audit.age',
        'after',
        'enabled',
        'models',
        'vendorId',
        'productIds',
        'driver',
        'minimumAge',
        'ageOfMajorityByJurisdiction',
        'US-AL',
        'face',
        'approveAtFmr',
        'schedule',
        '__proto__',
        'constructor',
      ),
      tie('value'),
      { maxKeys: 4 },
    ),
  ),
})).value;

describe('parseConfigText never throws', () => {
  it('for arbitrary strings', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 200 }), (text) => {
        expectWellFormed(parseConfigText(text, 'config.json'));
      }),
      { numRuns: 500 },
    );
  });

  it('for arbitrary JSON values', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        expectWellFormed(parseConfigText(JSON.stringify(value) ?? 'null', 'config.json'));
      }),
      { numRuns: 500 },
    );
  });

  it('for config-shaped JSON values, and never echoes a string value', () => {
    fc.assert(
      fc.property(
        configLike,
        fc.constantFrom('server', 'retention', 'devices', 'policies'),
        (value, section) => {
          const marker = 'QQ-MARKER-QQ';
          const text = JSON.stringify({ [section]: value, logging: { level: marker } });
          const outcome = parseConfigText(text, 'config.json');
          expectWellFormed(outcome);
          expect(JSON.stringify(outcome.ok ? [] : outcome.errors)).not.toContain(marker);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('for mutated valid files', () => {
    const valid = JSON.stringify({
      server: { host: '127.0.0.1', port: 8420 },
      retention: { rules: { 'audit.age': { after: 'P7Y' } } },
      devices: { models: [{ vendorId: '0x056a', productIds: [1], driver: 'wacom' }] },
    });
    fc.assert(
      fc.property(
        fc.nat(valid.length - 1),
        fc.nat(valid.length),
        fc.string({ maxLength: 3 }),
        (at, cut, insert) => {
          const end = Math.min(valid.length, at + (cut % 4));
          expectWellFormed(
            parseConfigText(valid.slice(0, at) + insert + valid.slice(end), 'config.json'),
          );
        },
      ),
      { numRuns: 500 },
    );
  });

  it('for deeply nested input', () => {
    expectWellFormed(parseConfigText('['.repeat(100_000), 'config.json'));
    expectWellFormed(parseConfigText(`${'['.repeat(5000)}${']'.repeat(5000)}`, 'config.json'));
    expectWellFormed(
      parseConfig({ server: JSON.parse(`${'['.repeat(5000)}${']'.repeat(5000)}`) as unknown }),
    );
  });
});

describe('the JSON syntax locator agrees with JSON.parse', () => {
  const accepts = (text: string): boolean => {
    try {
      JSON.parse(text);
      return true;
    } catch {
      return false;
    }
  };

  const jsonish = fc
    .array(
      fc.constantFrom(
        '{',
        '}',
        '[',
        ']',
        ',',
        ':',
        '"',
        '\\',
        'u',
        '0',
        '1',
        '-',
        '.',
        'e',
        'true',
        'null',
        ' ',
        '\n',
        'a',
        '\t',
        '\u0001',
      ),
      { maxLength: 20 },
    )
    .map((parts) => parts.join(''));

  it('on arbitrary and JSON-like strings', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string(),
          jsonish,
          fc.jsonValue().map((v) => JSON.stringify(v, null, 1) ?? ''),
        ),
        (text) => {
          const problem = findJsonSyntaxProblem(text);
          expect(problem === undefined).toBe(accepts(text));
          if (problem !== undefined) {
            expect(problem.offset).toBeGreaterThanOrEqual(0);
            expect(problem.offset).toBeLessThanOrEqual(text.length);
            expect(problem.line).toBeGreaterThanOrEqual(1);
            expect(problem.column).toBeGreaterThanOrEqual(1);
          }
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('on truncated valid JSON', () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.nat(), (value, at) => {
        const text = JSON.stringify(value) ?? 'null';
        const truncated = text.slice(0, at % (text.length + 1));
        expect(findJsonSyntaxProblem(truncated) === undefined).toBe(accepts(truncated));
      }),
    );
  });
});
