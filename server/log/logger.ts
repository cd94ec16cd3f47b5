/**
 * Structured logs, one JSON object a line on stderr (journald keeps them for the packaged
 * service). Personal data never reaches a log: field values are numbers, booleans and short
 * codes or ids without spaces; anything else is replaced by a marker, and errors are logged by
 * name and code, with messages only from verikiosk's own named errors, which never hold values.
 */

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
/** Text that verikiosk itself wrote (a named error's message): logged as is. */
export interface TrustedText {
  readonly trustedText: string;
}
export type LogValue = string | number | boolean | null | undefined | TrustedText;
export type LogFields = Readonly<Record<string, LogValue>>;

export interface Logger {
  debug(event: string, fields?: LogFields): void;
  info(event: string, fields?: LogFields): void;
  warn(event: string, fields?: LogFields): void;
  error(event: string, fields?: LogFields): void;
  child(bindings: LogFields): Logger;
}

const LEVELS: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };
// `*` for route patterns such as /api/*.
const SAFE_STRING = /^[A-Za-z0-9_.:@/+=*-]{0,120}$/;
export const REDACTED = '[redacted]';

type Written = string | number | boolean | null | undefined;

function safeValue(value: LogValue): Written {
  if (typeof value === 'object' && value !== null) return value.trustedText.slice(0, 400);
  if (typeof value === 'string') return SAFE_STRING.test(value) ? value : REDACTED;
  if (typeof value === 'number') return Number.isFinite(value) ? value : null;
  return value;
}

export interface LoggerOptions {
  level?: LogLevel;
  write?: (line: string) => void;
  clock?: () => Date;
}

export function createLogger(options: LoggerOptions = {}, bindings: LogFields = {}): Logger {
  const threshold = LEVELS[options.level ?? 'info'];
  const write = options.write ?? ((line: string) => process.stderr.write(`${line}\n`));
  const clock = options.clock ?? (() => new Date());
  const emit = (level: LogLevel, event: string, fields: LogFields = {}): void => {
    if (LEVELS[level] < threshold) return;
    const record: Record<string, Written> = {
      time: clock().toISOString(),
      level,
      event: safeValue(event),
    };
    for (const [key, value] of Object.entries({ ...bindings, ...fields })) {
      if (value !== undefined) record[key] = safeValue(value);
    }
    write(JSON.stringify(record));
  };
  return {
    debug: (event, fields) => emit('debug', event, fields),
    info: (event, fields) => emit('info', event, fields),
    warn: (event, fields) => emit('warn', event, fields),
    error: (event, fields) => emit('error', event, fields),
    child: (more) => createLogger(options, { ...bindings, ...more }),
  };
}

/** A logger that drops everything (for tools and tests that do not log). */
export const silentLogger: Logger = createLogger({ write: () => undefined });

/** Set (as a registry symbol, so no module must import this one) by verikiosk's named errors. */
const OWN_ERROR = Symbol.for('verikiosk.own-error');

function isOwnError(error: Error): boolean {
  return (error as unknown as Record<symbol, unknown>)[OWN_ERROR] === true;
}

/**
 * Fields that describe an error without its message unless the error is one of ours (whose
 * messages name files, rules and random ids only). A foreign error's message may quote data.
 */
export function errorFields(error: unknown): {
  errorName: string;
  errorCode?: string;
  errorMessage?: TrustedText;
} {
  if (!(error instanceof Error)) return { errorName: typeof error };
  const code = (error as { code?: unknown }).code;
  return {
    errorName: error.name,
    ...(typeof code === 'string' ? { errorCode: code } : {}),
    ...(isOwnError(error) ? { errorMessage: { trustedText: error.message } } : {}),
  };
}
