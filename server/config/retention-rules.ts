/** The retention schedule of SPEC §4 as data, and how config overrides apply to it. */

export type RetentionCategory =
  | 'biometric_templates'
  | 'biometric_samples'
  | 'document_images'
  | 'extracted_data'
  | 'decisions'
  | 'audit'
  /** Backup files and, in every copy of them, whatever of their subjects' data they hold. */
  | 'backups';

/** The event a retention period counts from. */
export type RetentionBasis =
  'final_decision' | 'last_interaction' | 'consent_withdrawn' | 'deletion_request' | 'created';

export type RetentionPurpose = 'one_off' | 'onboarding' | 'authentication';

export interface RetentionRule {
  readonly id: string;
  readonly categories: readonly RetentionCategory[];
  readonly basis: RetentionBasis;
  /** ISO-8601 duration counted from the basis event. */
  readonly after: string;
  /** When set, the rule only applies to records collected for this purpose. */
  readonly purpose?: RetentionPurpose;
  /** Plain English for the published retention schedule; the period itself is `after`. */
  readonly description: string;
}

/** An override from config.json: a new period, or the rule switched off. */
export interface RetentionRuleOverride {
  readonly after?: string | undefined;
  readonly enabled?: boolean | undefined;
}

const BIOMETRICS: readonly RetentionCategory[] = ['biometric_templates', 'biometric_samples'];

const defaults = [
  {
    id: 'biometrics.one_off_decision',
    categories: BIOMETRICS,
    basis: 'final_decision',
    after: 'P30D',
    purpose: 'one_off',
    description:
      'Biometric templates and samples from a one-off verification are destroyed after the final decision.',
  },
  {
    id: 'biometrics.inactivity',
    categories: BIOMETRICS,
    basis: 'last_interaction',
    after: 'P3Y',
    description:
      "Biometric templates and samples are destroyed after the subject's last interaction.",
  },
  {
    id: 'biometrics.consent_withdrawn',
    categories: BIOMETRICS,
    basis: 'consent_withdrawn',
    after: 'PT0S',
    description:
      'Biometric templates and samples are destroyed when consent to biometric processing is withdrawn.',
  },
  {
    id: 'biometrics.deletion_request',
    categories: BIOMETRICS,
    basis: 'deletion_request',
    after: 'PT0S',
    description:
      'Biometric templates and samples are destroyed when the subject asks for deletion.',
  },
  {
    id: 'document_images.after_decision',
    categories: ['document_images'],
    basis: 'final_decision',
    after: 'P90D',
    description: 'Images of identity documents are destroyed after the final decision.',
  },
  {
    id: 'records.inactivity',
    categories: ['extracted_data', 'decisions'],
    basis: 'last_interaction',
    after: 'P5Y',
    description:
      "Identity data read from documents and verification decisions are kept for record-keeping, then destroyed after the subject's last interaction.",
  },
  {
    id: 'audit.age',
    categories: ['audit'],
    basis: 'created',
    after: 'P7Y',
    description:
      'Audit log entries, which hold no personal data, are destroyed once they reach this age.',
  },
  {
    id: 'backups.age',
    categories: ['backups'],
    basis: 'created',
    after: 'P30D',
    description:
      "Backups are kept this long; then the backup's own key is destroyed, so nothing of any subject in any copy of it can be opened, and the file is deleted.",
  },
] as const satisfies readonly RetentionRule[];

export type RetentionRuleId = (typeof defaults)[number]['id'];

export const RETENTION_RULE_IDS: readonly RetentionRuleId[] = Object.freeze(
  defaults.map((rule) => rule.id),
);

/** The default retention rules (SPEC §4), in the order they are published. */
export const DEFAULT_RETENTION_RULES: readonly RetentionRule[] = Object.freeze(
  defaults.map((rule): RetentionRule =>
    Object.freeze({ ...rule, categories: Object.freeze([...rule.categories]) }),
  ),
);

/**
 * The retention rules in force: the defaults with the config's overrides applied, disabled
 * rules left out. Each rule is a fresh object, so callers may keep or change them freely.
 */
export function resolveRetentionRules(config: {
  readonly retention: {
    readonly rules: Readonly<Partial<Record<RetentionRuleId, RetentionRuleOverride>>>;
  };
}): RetentionRule[] {
  const overrides = config.retention.rules;
  const resolved: RetentionRule[] = [];
  for (const rule of DEFAULT_RETENTION_RULES) {
    const override: RetentionRuleOverride | undefined = Object.hasOwn(overrides, rule.id)
      ? overrides[rule.id as RetentionRuleId]
      : undefined;
    if (override?.enabled === false) continue;
    resolved.push({
      ...rule,
      categories: [...rule.categories],
      after: override?.after ?? rule.after,
    });
  }
  return resolved;
}
