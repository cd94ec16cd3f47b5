/**
 * What the audit log's details and the domain events' payloads may hold: values that can carry no
 * personal data. Shared by both so the rule is written once.
 */

// Codes, ids, ISO dates, versions: no spaces, so free text (and names) cannot be recorded.
const RECORDABLE_STRING = /^[A-Za-z0-9_.:@/+-]{0,80}$/;
const RECORDABLE_KEY = /^[A-Za-z][A-Za-z0-9_]{0,40}$/;

/** Null, a boolean, a finite number, or a code, id, date or version (no spaces, ≤ 80 characters). */
export function isRecordableScalar(v: unknown): v is string | number | boolean | null {
  return (
    v === null ||
    typeof v === 'boolean' ||
    (typeof v === 'number' && Number.isFinite(v)) ||
    (typeof v === 'string' && RECORDABLE_STRING.test(v))
  );
}

/** A key of recorded details or payloads: a plain identifier. */
export function isRecordableKey(key: string): boolean {
  return RECORDABLE_KEY.test(key);
}
