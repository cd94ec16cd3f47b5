/**
 * The one door to personal data at rest: a sealed value is opened only together with the audit
 * entry that records the read (actor, action from the catalogue below, object, purpose, and codes
 * or counts the caller adds; never a value). See `Vault.openSealed` and `Vault.sealedReader`.
 */
import type { AuditDetails } from './audit.js';
import type { FieldRef } from './crypto.js';
import type { KeyOwner } from './key-hierarchy.js';

/** What a read of personal data is recorded as. */
export const PERSONAL_DATA_ACTIONS = [
  /** A subject's biometric templates opened to compare a probe with them. */
  'biometric_template.compared',
  /** A subject's biometric template opened to build a new one from it (adaptation). */
  'biometric_template.read',
  /** The in-memory 1:N face index loaded: every face template and fraud-list face, once. */
  'face_index.loaded',
  /** Any other sealed field of a subject opened (names, document data). */
  'pii.read',
] as const;
export type PersonalDataAction = (typeof PERSONAL_DATA_ACTIONS)[number];

/**
 * Why it is read: a subject's own process, the appliance itself (`system`), or a data-subject
 * request of theirs (an access or portability export; a correction reading the values it changes).
 */
export const ACCESS_PURPOSES = [
  'verification',
  'adaptation',
  'system',
  'access_request',
  'correction_request',
  /** A request's requester contact, read by privacy staff to send the answer. */
  'request_answer',
] as const;
export type AccessPurpose = (typeof ACCESS_PURPOSES)[number];

export interface PersonalDataAccess {
  /** Who reads ("kiosk:…", "user:…", "cli", "system"). */
  readonly actor: string;
  readonly action: PersonalDataAction;
  readonly purpose: AccessPurpose;
  readonly objectType: string | null;
  readonly objectId: string | null;
  /** Codes and counts only (see server/recordable.ts). */
  readonly details?: AuditDetails;
}

/** One sealed value and what it was sealed to. */
export interface SealedField {
  readonly owner: KeyOwner;
  readonly ref: FieldRef;
  readonly sealed: Uint8Array;
}

/**
 * What the function given the plaintexts returns: the value for the caller (never the plaintext
 * itself: it is zeroed when the function returns) and the outcome code for the audit entry.
 */
export interface SealedUse<T> {
  readonly value: T;
  readonly outcome: string;
  /** More codes or counts for the audit entry. */
  readonly details?: AuditDetails;
}

/** A bulk reader for the appliance's own use; audited once, when it is made. */
export interface SealedReader {
  /** Opens one value (a copy the caller zeroes when done with it). */
  open(field: SealedField): Uint8Array;
  /** Ends the read; `open` refuses after it. */
  close(): void;
}

export type SystemAccess = PersonalDataAccess & { readonly purpose: 'system' };
