import type { RetentionBasis, RetentionCategory, RetentionRule } from '../config/index.js';
import { notUnderLegalHold } from '../vault/index.js';

/**
 * Which rows a rule reaches, as SQL. Each selector yields `id` (and for subject-level categories
 * the subject id itself) for rows whose basis event is at or before `:cutoff`, leaving out
 * subjects under an active legal hold. Parameters: `:cutoff` (ISO time), `:purpose` (or null).
 */

/** The vault's one legal-hold predicate (a NULL subject is never held). */
const NOT_HELD = notUnderLegalHold;

const PURPOSE = `(:purpose IS NULL OR v.purpose = :purpose)`;

interface RecordTable {
  table: string;
  /** How to reach the verification that collected the record, as a join clause onto `v`. */
  verificationJoin: string;
  consentPurpose: 'biometric_processing' | 'identity_verification';
}

const RECORD_TABLES: Partial<Record<RetentionCategory, RecordTable>> = {
  biometric_templates: {
    table: 'biometric_templates',
    verificationJoin: 'JOIN verifications v ON v.id = x.verification_id',
    consentPurpose: 'biometric_processing',
  },
  biometric_samples: {
    table: 'biometric_samples',
    verificationJoin: 'JOIN verifications v ON v.id = x.verification_id',
    consentPurpose: 'biometric_processing',
  },
  document_images: {
    table: 'document_images',
    verificationJoin:
      'JOIN documents d ON d.id = x.document_id JOIN verifications v ON v.id = d.verification_id',
    consentPurpose: 'identity_verification',
  },
};

/** A request the subject made and staff accepted (identity verified, in progress or done). */
const ACCEPTED_DELETION = `p.type = 'deletion' AND p.status IN ('in_progress', 'completed', 'extended')`;

function recordSelector(t: RecordTable, basis: RetentionBasis): string {
  const base = `FROM ${t.table} x`;
  const held = NOT_HELD('x.subject_id');
  switch (basis) {
    case 'final_decision':
      return `SELECT x.id ${base} ${t.verificationJoin}
        WHERE v.decided_at IS NOT NULL AND v.decided_at <= :cutoff AND ${PURPOSE} AND ${held}`;
    case 'last_interaction':
      return `SELECT x.id ${base} JOIN subjects s ON s.id = x.subject_id
        WHERE s.last_interaction_at <= :cutoff AND ${held}`;
    case 'consent_withdrawn':
      // Only what was collected before the withdrawal: a later fresh consent covers later data.
      return `SELECT x.id ${base}
        WHERE EXISTS (SELECT 1 FROM consents c WHERE c.subject_id = x.subject_id
          AND c.purpose = '${t.consentPurpose}' AND c.withdrawn_at IS NOT NULL
          AND c.withdrawn_at <= :cutoff AND x.created_at <= c.withdrawn_at) AND ${held}`;
    case 'deletion_request':
      return `SELECT x.id ${base}
        WHERE EXISTS (SELECT 1 FROM privacy_requests p WHERE p.subject_id = x.subject_id
          AND ${ACCEPTED_DELETION} AND p.received_at <= :cutoff AND x.created_at <= p.received_at) AND ${held}`;
    case 'created':
      return `SELECT x.id ${base} WHERE x.created_at <= :cutoff AND ${held}`;
  }
}

function subjectSelector(basis: RetentionBasis): string {
  const held = NOT_HELD('s.id');
  switch (basis) {
    case 'last_interaction':
      return `SELECT s.id FROM subjects s WHERE s.last_interaction_at <= :cutoff AND ${held}`;
    case 'created':
      return `SELECT s.id FROM subjects s WHERE s.created_at <= :cutoff AND ${held}`;
    case 'final_decision':
      // Every verification of theirs is decided, the last one long enough ago.
      return `SELECT s.id FROM subjects s
        WHERE NOT EXISTS (SELECT 1 FROM verifications v WHERE v.subject_id = s.id AND v.decided_at IS NULL)
          AND (SELECT MAX(v.decided_at) FROM verifications v WHERE v.subject_id = s.id AND ${PURPOSE}) <= :cutoff
          AND ${held}`;
    case 'consent_withdrawn':
      return `SELECT s.id FROM subjects s
        WHERE EXISTS (SELECT 1 FROM consents c WHERE c.subject_id = s.id AND c.purpose = 'identity_verification'
          AND c.withdrawn_at IS NOT NULL AND c.withdrawn_at <= :cutoff)
          AND NOT EXISTS (SELECT 1 FROM consents c WHERE c.subject_id = s.id AND c.purpose = 'identity_verification'
          AND c.withdrawn_at IS NULL) AND ${held}`;
    case 'deletion_request':
      return `SELECT s.id FROM subjects s
        WHERE EXISTS (SELECT 1 FROM privacy_requests p WHERE p.subject_id = s.id AND ${ACCEPTED_DELETION}
          AND p.received_at <= :cutoff) AND ${held}`;
  }
}

function decisionSelector(basis: RetentionBasis): string {
  const held = NOT_HELD('v.subject_id');
  switch (basis) {
    case 'last_interaction':
      // A verification never tied to a subject counts from its own last change.
      return `SELECT v.id FROM verifications v LEFT JOIN subjects s ON s.id = v.subject_id
        WHERE COALESCE(s.last_interaction_at, v.updated_at) <= :cutoff AND ${PURPOSE} AND ${held}`;
    case 'final_decision':
      return `SELECT v.id FROM verifications v
        WHERE v.decided_at IS NOT NULL AND v.decided_at <= :cutoff AND ${PURPOSE} AND ${held}`;
    case 'created':
      return `SELECT v.id FROM verifications v WHERE v.created_at <= :cutoff AND ${PURPOSE} AND ${held}`;
    case 'deletion_request':
      return `SELECT v.id FROM verifications v
        WHERE EXISTS (SELECT 1 FROM privacy_requests p WHERE p.subject_id = v.subject_id AND ${ACCEPTED_DELETION}
          AND p.received_at <= :cutoff) AND ${held}`;
    case 'consent_withdrawn':
      return `SELECT v.id FROM verifications v
        WHERE EXISTS (SELECT 1 FROM consents c WHERE c.subject_id = v.subject_id AND c.purpose = 'identity_verification'
          AND c.withdrawn_at IS NOT NULL AND c.withdrawn_at <= :cutoff AND v.created_at <= c.withdrawn_at) AND ${held}`;
  }
}

export type Target =
  | { kind: 'rows'; table: string; select: string }
  | { kind: 'subjects'; select: string }
  | { kind: 'audit' }
  | { kind: 'backups' };

/** What a rule destroys in one category. */
export function retentionTarget(rule: RetentionRule, category: RetentionCategory): Target {
  if (category === 'audit') {
    if (rule.basis !== 'created') {
      throw new Error(`rule ${rule.id}: the audit log can only be kept by age (basis 'created')`);
    }
    return { kind: 'audit' };
  }
  if (category === 'backups') {
    if (rule.basis !== 'created') {
      throw new Error(`rule ${rule.id}: backups can only be kept by age (basis 'created')`);
    }
    return { kind: 'backups' };
  }
  if (category === 'extracted_data')
    return { kind: 'subjects', select: subjectSelector(rule.basis) };
  if (category === 'decisions') {
    return { kind: 'rows', table: 'verifications', select: decisionSelector(rule.basis) };
  }
  const table = RECORD_TABLES[category];
  if (!table) throw new Error(`no retention target for category ${category}`);
  return { kind: 'rows', table: table.table, select: recordSelector(table, rule.basis) };
}
