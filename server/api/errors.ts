import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { PROBLEMS, problemCodeForStatus, type ProblemCode } from '../../contract/index.js';
import {
  FaceEngineError,
  FaceIndexError,
  FaceTemplateError,
  SignatureFormatError,
  SignatureTemplateError,
} from '../biometrics/index.js';
import {
  BackupError,
  DataDirError,
  IntegrityError,
  KeyError,
  SchemaVersionError,
  VaultRuleError,
} from '../vault/index.js';

/**
 * The one HTTP error type: a status, a problem code from the catalogue (contract/problems.ts),
 * and a message without personal data.
 */
export class HttpError extends Error {
  override name = 'HttpError';
  constructor(
    readonly status: ContentfulStatusCode,
    readonly type: ProblemCode,
    message: string,
    readonly extra: Record<string, unknown> = {},
    /** Response headers that belong to the problem (e.g. WWW-Authenticate on a 401). */
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(message);
  }
}

/** What the client is told about a known error. */
export interface ClassifiedError {
  status: ContentfulStatusCode;
  type: ProblemCode;
  detail: string;
  extra: Record<string, unknown>;
  headers: Readonly<Record<string, string>>;
}

interface DomainErrorRow {
  /** The error class, by name (shown in the catalogue). */
  readonly error: string;
  /** The problems it may become (for the catalogue). */
  readonly types: readonly ProblemCode[];
  readonly matches: (error: Error) => boolean;
  readonly map: (error: Error) => Omit<ClassifiedError, 'headers'>;
}

const refused = (
  type: ProblemCode,
  rule: string,
  detail: string,
): Omit<ClassifiedError, 'headers'> => ({
  status: PROBLEMS[type].status,
  type,
  detail,
  extra: { rule },
});

const fixed = (type: ProblemCode, detail: string): Omit<ClassifiedError, 'headers'> => ({
  status: PROBLEMS[type].status,
  type,
  detail,
  extra: {},
});

/** A service's refusal (server/own-error.ts RefusalError): its problem, with its rule. */
const fromRefusal = (error: Error): Omit<ClassifiedError, 'headers'> => {
  const { reason, problem } = error as Error & { reason: string; problem: ProblemCode };
  return refused(problem, reason, error.message);
};

/** A class the capability does not export: recognised by its name (STYLE: small predicates). */
const named = (name: string) => (error: Error) => error.name === name;

/**
 * The one table from the named errors of server/ to their status and problem. Vault errors carry
 * messages written for people (names of rules, never values), so a rule violation passes its
 * message on; the others get a fixed detail, since their messages may name files or internals.
 * ConfigError, UsageError, ListenError and DryRunRollback never reach a request and are absent:
 * should one escape, it is an unknown error (a bare 500).
 */
export const DOMAIN_ERRORS: readonly DomainErrorRow[] = [
  {
    error: 'VaultRuleError',
    types: ['rule_violation', 'not_found'],
    matches: (e) => e instanceof VaultRuleError,
    map: (e) => {
      const { rule, message } = e as VaultRuleError;
      // `unknown_client`, `unknown_subject`, …: the thing named does not exist (for this caller).
      return rule.startsWith('unknown_')
        ? refused('not_found', rule, message)
        : refused('rule_violation', rule, message);
    },
  },
  {
    error: 'BackupError',
    types: ['rule_violation'],
    matches: (e) => e instanceof BackupError,
    map: (e) => refused('rule_violation', (e as BackupError).reason, e.message),
  },
  {
    error: 'KeyError',
    types: ['unavailable'],
    matches: (e) => e instanceof KeyError,
    map: () => fixed('unavailable', "the installation's keys are not available"),
  },
  {
    error: 'SchemaVersionError',
    types: ['unavailable'],
    matches: (e) => e instanceof SchemaVersionError,
    map: () => fixed('unavailable', 'the database is not usable by this version'),
  },
  {
    error: 'DataDirError',
    types: ['unavailable'],
    matches: (e) => e instanceof DataDirError,
    map: () => fixed('unavailable', 'the data directory is not usable'),
  },
  {
    error: 'IntegrityError',
    types: ['integrity_failure'],
    matches: (e) => e instanceof IntegrityError,
    map: () => fixed('integrity_failure', 'stored data failed its integrity check'),
  },
  {
    error: 'FaceEngineError',
    types: ['unavailable'],
    matches: (e) => e instanceof FaceEngineError,
    map: () => fixed('unavailable', 'the face engine is not available'),
  },
  {
    error: 'FaceIndexError',
    types: ['unavailable', 'invalid_media'],
    matches: (e) => e instanceof FaceIndexError,
    map: (e) => {
      const { reason } = e as FaceIndexError;
      return reason === 'loading' || reason === 'closed' || reason === 'load_failed'
        ? fixed('unavailable', 'the face index is not ready')
        : refused('invalid_media', reason, 'the face template cannot be searched');
    },
  },
  {
    error: 'FaceTemplateError',
    types: ['invalid_media'],
    matches: (e) => e instanceof FaceTemplateError,
    map: (e) =>
      refused('invalid_media', (e as FaceTemplateError).code, 'the face template cannot be read'),
  },
  {
    error: 'SignatureTemplateError',
    types: ['invalid_media'],
    matches: (e) => e instanceof SignatureTemplateError,
    map: (e) =>
      refused(
        'invalid_media',
        (e as SignatureTemplateError).problem,
        'the signature template cannot be used',
      ),
  },
  {
    error: 'SignatureFormatError',
    types: ['invalid_media'],
    matches: (e) => e instanceof SignatureFormatError,
    map: () => refused('invalid_media', 'signature_format', 'the signature cannot be read'),
  },
  {
    error: 'ImageInputError',
    types: ['invalid_media'],
    matches: named('ImageInputError'),
    map: (e) =>
      refused(
        'invalid_media',
        String((e as Error & { field?: unknown }).field),
        'the image cannot be read',
      ),
  },
  {
    error: 'CaseError',
    types: ['not_found', 'forbidden', 'conflict', 'rule_violation', 'unavailable'],
    matches: named('CaseError'),
    map: fromRefusal,
  },
  {
    error: 'ConsentError',
    types: ['not_found', 'conflict', 'rule_violation'],
    matches: named('ConsentError'),
    map: (e) => {
      const { kind, reason } = e as Error & { kind: string; reason: string };
      const type: ProblemCode =
        kind === 'not_found' ? 'not_found' : kind === 'conflict' ? 'conflict' : 'rule_violation';
      return { status: PROBLEMS[type].status, type, detail: e.message, extra: { rule: reason } };
    },
  },
  {
    error: 'VerificationError',
    types: ['not_found', 'conflict', 'rule_violation', 'invalid_media', 'unavailable'],
    matches: named('VerificationError'),
    map: (e) => {
      const { kind, rule, missing } = e as Error & {
        kind: string;
        rule: string;
        missing: string[];
      };
      const type: ProblemCode =
        kind === 'not_found'
          ? 'not_found'
          : kind === 'conflict'
            ? 'conflict'
            : kind === 'busy'
              ? 'unavailable'
              : kind === 'invalid_media'
                ? 'invalid_media'
                : 'rule_violation';
      const extra = missing.length > 0 ? { rule, missing } : { rule };
      return { status: PROBLEMS[type].status, type, detail: e.message, extra };
    },
  },
  {
    error: 'PrivacyRequestError',
    types: [
      'not_found',
      'conflict',
      'identity_unverified',
      'privacy_request_limit',
      'rule_violation',
    ],
    matches: named('PrivacyRequestError'),
    map: fromRefusal,
  },
  {
    error: 'FraudListError',
    types: ['rule_violation', 'unavailable'],
    matches: named('FraudListError'),
    map: (e) => {
      const field = String((e as Error & { field?: unknown }).field);
      // The message names the rule and at most an image's rejection code, never a value.
      return field === 'engine_busy'
        ? fixed('unavailable', 'the face engine is busy; try again')
        : refused('rule_violation', field, e.message);
    },
  },
];

/**
 * The problem for a known error: an HttpError as thrown, a Hono exception by its status (never
 * its message, which may quote the request), a domain error by the table. Null: unknown.
 */
export function classifyError(error: Error): ClassifiedError | null {
  if (error instanceof HttpError) {
    return {
      status: error.status,
      type: error.type,
      detail: error.message,
      extra: error.extra,
      headers: error.headers,
    };
  }
  if (error instanceof HTTPException) {
    // Hono's JSON validator: the body did not parse.
    if (error.status === 400 && error.message.startsWith('Malformed JSON')) {
      return { ...fixed('malformed_body', 'the body is not valid JSON'), headers: {} };
    }
    const type = problemCodeForStatus(error.status);
    return {
      status: error.status,
      type,
      detail: PROBLEMS[type].title,
      extra: {},
      headers: {},
    };
  }
  const row = DOMAIN_ERRORS.find((r) => r.matches(error));
  return row ? { ...row.map(error), headers: {} } : null;
}
