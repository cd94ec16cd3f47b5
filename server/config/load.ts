/** Reading config.json from the data dir, checking a candidate file, writing the starter file. */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';

import { checkConfigFiles } from './files.js';
import { fallbackMessage, toConfigIssues, type ConfigIssue } from './issues.js';
import { findJsonSyntaxProblem } from './json-syntax.js';
import { DEFAULT_RETENTION_RULES } from './retention-rules.js';
import { configSchema, type Config } from './schema.js';
import { OWN_ERROR } from '../own-error.js';

export const CONFIG_FILE_NAME = 'config.json';

/** The result of checking a config: the parsed config, or every problem found. */
export type ConfigOutcome =
  | { readonly ok: true; readonly config: Config }
  | { readonly ok: false; readonly errors: ConfigIssue[] };

export interface LoadedConfig {
  readonly config: Config;
  /** Absolute path of the config file, whether or not it exists. */
  readonly path: string;
  /** 'defaults' when there is no config file. */
  readonly source: 'file' | 'defaults';
}

/** config.json exists but cannot be used; `issues` says why, without repeating its values. */
export class ConfigError extends Error {
  override name = 'ConfigError';
  /** verikiosk's own error: its message names files, rules and ids, never values (see log/). */
  readonly [OWN_ERROR] = true;
  readonly issues: ConfigIssue[];
  readonly path: string;

  constructor(path: string, issues: ConfigIssue[]) {
    super(
      `${ConfigError.heading(path, issues)}: ${issues.map((issue) => issue.message).join('; ')}`,
    );
    this.issues = issues;
    this.path = path;
  }

  /** "<path> is not a valid configuration (N problems)". */
  static heading(path: string, issues: readonly ConfigIssue[]): string {
    const count = issues.length === 1 ? '1 problem' : `${issues.length} problems`;
    return `${path} is not a valid configuration (${count})`;
  }
}

/** Validates an already-parsed JSON value against the config schema. */
export function parseConfig(value: unknown): ConfigOutcome {
  const result = configSchema.safeParse(value, { reportInput: true, error: fallbackMessage });
  return result.success
    ? { ok: true, config: result.data }
    : { ok: false, errors: toConfigIssues(result.error.issues) };
}

/** Parses the text of a config file; `path` only names the file in messages. Never throws. */
export function parseConfigText(text: string, path: string): ConfigOutcome {
  // Editors on Windows may save UTF-8 with a byte order mark, which JSON.parse refuses.
  const json = text.startsWith('\uFEFF') ? text.slice(1) : text;
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch {
    return { ok: false, errors: [jsonSyntaxIssue(json, path)] };
  }
  return parseConfig(value);
}

function jsonSyntaxIssue(json: string, path: string): ConfigIssue {
  if (json.trim() === '') {
    return {
      key: '',
      rule: 'json_syntax',
      message: `${path} is empty; it must hold a JSON object`,
      line: 1,
      column: 1,
    };
  }
  const problem = findJsonSyntaxProblem(json);
  if (problem === undefined) {
    // JSON.parse and the locator disagree; report the failure without a position.
    return { key: '', rule: 'json_syntax', message: `${path} is not valid JSON` };
  }
  const where = `line ${problem.line}, column ${problem.column}`;
  return {
    key: '',
    rule: 'json_syntax',
    message: problem.endOfInput
      ? `${path} is not valid JSON: it ends too early at ${where} (expected ${problem.expected})`
      : `${path} is not valid JSON: expected ${problem.expected} at ${where}`,
    line: problem.line,
    column: problem.column,
  };
}

type ReadResult =
  { readonly text: string } | { readonly missing: true } | { readonly issue: ConfigIssue };

function readConfigFile(path: string): ReadResult {
  try {
    return { text: readFileSync(path, 'utf8') };
  } catch (error) {
    const code = (error as NodeJS.ErrnoException | undefined)?.code;
    if (code === 'ENOENT') return { missing: true };
    const reason = code === undefined ? '' : ` (${code})`;
    return { issue: { key: '', rule: 'unreadable', message: `${path} cannot be read${reason}` } };
  }
}

/**
 * For `verikiosk config check <file>`: reads and validates a config file, and the files it names
 * (relative paths against `dataDir`, the data dir it is meant for). Never throws.
 */
export function checkConfigFile(path: string, dataDir: string): ConfigOutcome {
  const read = readConfigFile(path);
  if ('text' in read) return withFileIssues(parseConfigText(read.text, path), dataDir);
  if ('issue' in read) return { ok: false, errors: [read.issue] };
  return {
    ok: false,
    errors: [{ key: '', rule: 'unreadable', message: `${path} does not exist` }],
  };
}

function withFileIssues(outcome: ConfigOutcome, dataDir: string): ConfigOutcome {
  if (!outcome.ok) return outcome;
  const errors = checkConfigFiles(outcome.config, dataDir);
  return errors.length === 0 ? outcome : { ok: false, errors };
}

/** The defaults, as `{}` parses. */
export function defaultConfig(): Config {
  return configSchema.parse({});
}

/**
 * Loads `<dataDir>/config.json`. No file means the defaults; a file that cannot be read, is not
 * a valid configuration or names files that are missing or unusable throws a ConfigError, so a
 * command refuses before it does anything.
 */
export function loadConfig(dataDir: string): LoadedConfig {
  const path = resolve(dataDir, CONFIG_FILE_NAME);
  const read = readConfigFile(path);
  if ('missing' in read) return { config: defaultConfig(), path, source: 'defaults' };
  if ('issue' in read) throw new ConfigError(path, [read.issue]);
  const outcome = withFileIssues(parseConfigText(read.text, path), dataDir);
  if (!outcome.ok) throw new ConfigError(path, outcome.errors);
  return { config: outcome.config, path, source: 'file' };
}

export { checkConfigFiles, resolveDataDirPath } from './files.js';

/**
 * The starter config.json written by `verikiosk init`: every section with its defaults, and
 * each retention rule's period spelled out so an admin sees what can be changed.
 */
export function defaultConfigText(): string {
  const defaults = defaultConfig();
  const starter: Config = {
    ...defaults,
    retention: {
      ...defaults.retention,
      rules: Object.fromEntries(
        DEFAULT_RETENTION_RULES.map((rule) => [rule.id, { after: rule.after }]),
      ),
    },
  };
  return `${JSON.stringify(starter, null, 2)}\n`;
}
