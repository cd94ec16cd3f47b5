import type { DocumentRecord, Sex } from '../record.js';

/** SPEC VER-2: what a check concluded; the verification policy turns these into a decision. */
export type CheckOutcome = 'pass' | 'warn' | 'fail' | 'not_run';

export interface CheckResult {
  check: string;
  outcome: CheckOutcome;
  /** 0–1 where a check measures agreement (the cross-check); absent otherwise. */
  score?: number;
  /** Machine code saying why (never a value from the document); null on a plain pass. */
  reasonCode: string | null;
}

/** The part of `Config.policies` the document checks read, plus the optional issuer list. */
export interface DocumentCheckPolicy {
  minimumAge: number;
  ageOfMajority: number;
  /** ISO 3166 country or subdivision ('US', 'US-AL') to the age of majority there. */
  ageOfMajorityByJurisdiction: Readonly<Record<string, number>>;
  /** Issuing states / AAMVA jurisdictions accepted; null or absent accepts every issuer. */
  allowedIssuers?: readonly string[] | null;
  /** Days before expiry at which a document warns (default 30). */
  expiringSoonDays?: number;
}

/** Fields read from the printed (visual inspection) zone, when an OCR step supplies them. */
export interface VisualZoneFields {
  surname?: string | null;
  givenNames?: string | null;
  documentNumber?: string | null;
  birthDate?: string | null;
  expiryDate?: string | null;
  issueDate?: string | null;
  sex?: Sex | null;
}

/** Who is presenting the document, for the "number seen under another identity" lookup. */
export interface DocumentIdentity {
  /** The subject this verification belongs to, when already known. */
  subjectId: string | null;
  /** `normaliseNameAndBirthDate(name, birthDate)` of the holder, when known. */
  nameAndBirthDate: string | null;
}

/**
 * Lookups the checks need from storage, injected so the checks stay pure. `vaultDocumentLookups`
 * implements them over the vault's blind indexes; tests pass plain functions.
 */
export interface DocumentLookups {
  isKnownFraudDocument(documentNumberNormalised: string, issuingState: string | null): boolean;
  documentNumberSeenUnderOtherIdentity(
    documentNumberNormalised: string,
    issuingState: string | null,
    identity: DocumentIdentity,
  ): boolean;
}

export interface DocumentCheckContext {
  now: Date;
  policy: DocumentCheckPolicy;
  /**
   * Where the age of majority applies (ISO 3166, e.g. the kiosk's location 'US-AL'). Absent: the
   * AAMVA issuing jurisdiction, else the default `ageOfMajority`.
   */
  jurisdiction?: string | null;
  /** Other machine readings of the same document (MRZ and AAMVA records) for the cross-check. */
  otherReadings?: readonly DocumentRecord[];
  visualZone?: VisualZoneFields | null;
  /** The subject already attached to the verification, if any. */
  subjectId?: string | null;
  lookups?: DocumentLookups | null;
}
