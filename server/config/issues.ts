/**
 * Turns zod issues into ConfigIssues: a dotted key, a rule code and a sentence naming both.
 * Messages are built from the key and the schema's own wording, never from the input.
 */
import type * as z from 'zod';

import { RETENTION_RULE_IDS } from './retention-rules.js';

/** The rule codes a config problem is reported under. */
export const CONFIG_RULES = [
  'type',
  'range',
  'unknown_key',
  'required',
  'format',
  'tls_required',
  'locked',
  'order',
  'json_syntax',
  'unreadable',
  'file_missing',
  'file_unreadable',
  'tls_invalid',
  'too_frequent',
] as const;

export type ConfigRule = (typeof CONFIG_RULES)[number];

export interface ConfigIssue {
  /** Dotted path of the setting, e.g. "server.port" or "retention.rules.audit.age.after"; "" for the file as a whole. */
  readonly key: string;
  readonly rule: ConfigRule;
  /** A sentence naming the key and the rule; never contains the submitted value. */
  readonly message: string;
  /** Position in the file, for 'json_syntax' issues. */
  readonly line?: number;
  readonly column?: number;
}

type ZodIssue = z.core.$ZodIssue;

const RULES: ReadonlySet<string> = new Set(CONFIG_RULES);

const MAX_SEGMENT = 64;

/** Key segments come from the file, so keep them printable and short. */
function cleanSegment(segment: string): string {
  // eslint-disable-next-line no-control-regex
  const printable = segment.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, '?');
  return printable.length > MAX_SEGMENT ? `${printable.slice(0, MAX_SEGMENT)}…` : printable;
}

export function formatKey(path: readonly PropertyKey[]): string {
  let key = '';
  for (const segment of path) {
    if (typeof segment === 'number') key += `[${segment}]`;
    else key += `${key === '' ? '' : '.'}${cleanSegment(String(segment))}`;
  }
  return key;
}

function subject(key: string): string {
  return key === '' ? 'the configuration' : key;
}

function ruleOf(issue: ZodIssue): ConfigRule {
  switch (issue.code) {
    case 'invalid_type':
      return issue.input === undefined ? 'required' : 'type';
    case 'too_big':
    case 'too_small':
    case 'not_multiple_of':
      return 'range';
    case 'invalid_format':
    case 'invalid_key':
      return 'format';
    case 'unrecognized_keys':
      return 'unknown_key';
    case 'custom': {
      const rule: unknown = issue.params?.['rule'];
      return typeof rule === 'string' && RULES.has(rule) ? (rule as ConfigRule) : 'format';
    }
    case 'invalid_value':
    case 'invalid_union':
    case 'invalid_element':
      return 'type';
  }
}

/**
 * Wording for any issue a schema did not word itself. Passed to safeParse as the per-parse
 * error map so zod's default messages, which may quote the input, are never used.
 */
export function fallbackMessage(issue: z.core.$ZodRawIssue): string {
  switch (issue.code) {
    case 'invalid_type':
      return issue.expected === 'int'
        ? 'must be an integer'
        : `must be of type ${String(issue.expected)}`;
    case 'too_big':
      return `must be at most ${String(issue.maximum)}`;
    case 'too_small':
      return `must be at least ${String(issue.minimum)}`;
    case 'invalid_value':
      return `must be one of ${issue.values.map((value) => JSON.stringify(value)).join(', ')}`;
    default:
      return 'is not valid';
  }
}

export function toConfigIssues(issues: readonly ZodIssue[]): ConfigIssue[] {
  const result: ConfigIssue[] = [];
  for (const issue of issues) {
    if (issue.code === 'unrecognized_keys') {
      const inRetentionRules = formatKey(issue.path) === 'retention.rules';
      for (const unknown of issue.keys) {
        const key = formatKey([...issue.path, unknown]);
        result.push({
          key,
          rule: 'unknown_key',
          message: inRetentionRules
            ? `${key} is not a known retention rule; the rules are ${RETENTION_RULE_IDS.join(', ')}`
            : `${key} is not a known setting`,
        });
      }
      continue;
    }
    const key = formatKey(issue.path);
    const rule = ruleOf(issue);
    result.push({
      key,
      rule,
      message:
        rule === 'required' ? `${subject(key)} is required` : `${subject(key)} ${issue.message}`,
    });
  }
  return result;
}
