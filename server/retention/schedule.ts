import {
  formatIsoDuration,
  type RetentionBasis,
  type RetentionCategory,
  type RetentionRule,
} from '../config/index.js';

/** The published retention schedule (PRIV-2), generated from the live policy. */
export interface PublishedSchedule {
  generatedAt: string;
  categories: {
    category: RetentionCategory;
    title: string;
    rules: { ruleId: string; after: string; period: string; when: string; description: string }[];
  }[];
  legalHold: string;
}

const CATEGORY_TITLES: Record<RetentionCategory, string> = {
  biometric_templates: 'Biometric templates (face and signature)',
  biometric_samples: 'Biometric samples (selfies, liveness frames, signature captures)',
  document_images: 'Images of identity documents',
  extracted_data: 'Identity data read from documents',
  decisions: 'Verification decisions and their check results',
  audit: 'Audit log (holds no personal data)',
  backups: 'Backups (every copy of what is listed above)',
};

const CATEGORY_ORDER: readonly RetentionCategory[] = [
  'biometric_templates',
  'biometric_samples',
  'document_images',
  'extracted_data',
  'decisions',
  'audit',
  'backups',
];

const PURPOSES: Record<string, string> = {
  one_off: 'a one-off verification',
  onboarding: 'onboarding',
  authentication: 'authentication',
};

function basisPhrase(basis: RetentionBasis, purpose: string | undefined): string {
  const forPurpose = purpose ? ` when they were collected for ${PURPOSES[purpose] ?? purpose}` : '';
  switch (basis) {
    case 'final_decision':
      return `after the verification's final decision${forPurpose}`;
    case 'last_interaction':
      return `after the person's last interaction with us${forPurpose}`;
    case 'consent_withdrawn':
      return 'after consent is withdrawn';
    case 'deletion_request':
      return 'after a deletion request is accepted';
    case 'created':
      return 'after they are recorded';
  }
}

function when(rule: RetentionRule): string {
  const period = formatIsoDuration(rule.after);
  const phrase = basisPhrase(rule.basis, rule.purpose);
  return period === 'immediately'
    ? `immediately ${phrase.replace(/^after /, 'when ')}`
    : `${period} ${phrase}`;
}

export function publishedSchedule(
  rules: readonly RetentionRule[],
  now: Date = new Date(),
): PublishedSchedule {
  return {
    generatedAt: now.toISOString(),
    categories: CATEGORY_ORDER.map((category) => ({
      category,
      title: CATEGORY_TITLES[category],
      rules: rules
        .filter((r) => r.categories.includes(category))
        .map((r) => ({
          ruleId: r.id,
          after: r.after,
          period: formatIsoDuration(r.after),
          when: when(r),
          description: r.description,
        })),
    })).filter((c) => c.rules.length > 0),
    legalHold:
      'Data under a legal hold (a court order or an investigation) is kept until the hold is released, then destroyed on this schedule.',
  };
}

/** The schedule as text: each category, and the earliest of its rules applies. */
export function renderSchedule(schedule: PublishedSchedule): string {
  const lines = [
    'Retention schedule',
    '',
    'Each kind of data is destroyed at the earliest of the times listed for it.',
    '',
  ];
  for (const c of schedule.categories) {
    lines.push(`${c.title}:`);
    for (const r of c.rules) lines.push(`  - ${r.when}  [${r.ruleId}]`);
    lines.push('');
  }
  lines.push(schedule.legalHold, '', `Generated ${schedule.generatedAt} from the policy in force.`);
  return lines.join('\n');
}
