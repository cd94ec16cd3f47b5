/**
 * The appliance configuration: config.json in the data dir, its schema and defaults, and the
 * retention schedule it can change (SPEC §4).
 */
export {
  configSchema,
  isLoopbackHost,
  KDF_PROFILES,
  RETENTION_MINIMUM_GAP_MS,
  TELEMETRY_ACCESS,
} from './schema.js';
export type { Config, ConfigInput, TelemetryAccess } from './schema.js';
export { CONFIG_RULES } from './issues.js';
export type { ConfigIssue, ConfigRule } from './issues.js';
export {
  CONFIG_FILE_NAME,
  ConfigError,
  checkConfigFile,
  checkConfigFiles,
  defaultConfig,
  defaultConfigText,
  loadConfig,
  parseConfig,
  parseConfigText,
  resolveDataDirPath,
} from './load.js';
export type { ConfigOutcome, LoadedConfig } from './load.js';
export {
  DEFAULT_RETENTION_RULES,
  RETENTION_RULE_IDS,
  resolveRetentionRules,
} from './retention-rules.js';
export type {
  RetentionBasis,
  RetentionCategory,
  RetentionPurpose,
  RetentionRule,
  RetentionRuleId,
  RetentionRuleOverride,
} from './retention-rules.js';
export {
  addIsoDuration,
  formatIsoDuration,
  parseIsoDuration,
  subtractIsoDuration,
  tryParseIsoDuration,
} from './duration.js';
export type { IsoDuration } from './duration.js';
