export { createLogger, silentLogger, errorFields, REDACTED } from './logger.js';
export type {
  Logger,
  LogLevel,
  LogFields,
  LogValue,
  LoggerOptions,
  TrustedText,
} from './logger.js';
