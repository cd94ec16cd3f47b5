import { z } from 'zod';

/**
 * The reason codes a verification decision carries (VER-2), one catalogue for the API
 * (`GET /api/v1/reason-codes`), the staff console and the docs. A code says why, never what the
 * document or the person showed: no value from a capture ever goes into one.
 *
 * `endUser` is what the kiosk may say to the person in front of it (neutral: it never tells a
 * fraudster which check caught them); `staff` is what a reviewer should do.
 */
export interface ReasonCodeEntry {
  readonly meaning: string;
  readonly endUser: string;
  readonly staff: string;
}

const RETRY = 'We could not complete the check. Please try again.';
const SEE_STAFF = 'Please see a member of staff to complete your verification.';
const DOCUMENT_RETRY = 'We could not read your document. Please place it again.';

export const REASON_CODES = {
  // Document: reading and validity (DOC-1..4).
  check_digit_mismatch: {
    meaning:
      'A check digit of the machine-readable zone does not hold: misread, damaged or altered.',
    endUser: DOCUMENT_RETRY,
    staff: 'Compare the printed data with the document; rescan it; decline when it is altered.',
  },
  document_unreadable: {
    meaning:
      'The document could not be read into a record (no machine-readable zone or barcode, or invalid fields).',
    endUser: DOCUMENT_RETRY,
    staff: 'Check the document type is supported and rescan it on the reader.',
  },
  reading_corrected: {
    meaning:
      'The machine-readable zone holds only after OCR corrections of characters the recogniser was unsure of.',
    endUser: SEE_STAFF,
    staff: 'Compare the corrected fields (document number first) with the document itself.',
  },
  document_expired: {
    meaning: 'The document is past its expiry date.',
    endUser: 'Your document has expired. Please use a valid document.',
    staff: 'Ask for another, valid document.',
  },
  document_expiring_soon: {
    meaning: 'The document expires within the configured number of days.',
    endUser: 'Your document expires soon.',
    staff: 'No action needed for this verification; the customer may want to renew it.',
  },
  expiry_date_missing: {
    meaning: 'The document carries no expiry date.',
    endUser: SEE_STAFF,
    staff: 'Check whether this document type is issued without expiry.',
  },
  dates_missing: {
    meaning: 'Dates needed for the plausibility checks are missing.',
    endUser: SEE_STAFF,
    staff: 'Check the dates printed on the document.',
  },
  validity_period_implausible: {
    meaning:
      'Issue, birth and expiry dates do not fit together or exceed the longest validity of the document type.',
    endUser: SEE_STAFF,
    staff: 'Inspect the document for alteration; decline when the dates were changed.',
  },
  birth_date_in_future: {
    meaning: 'The birth date lies in the future.',
    endUser: SEE_STAFF,
    staff: 'Check the birth date on the document; decline when it was altered.',
  },
  issue_date_in_future: {
    meaning: 'The issue date lies in the future.',
    endUser: SEE_STAFF,
    staff: 'Check the issue date on the document; decline when it was altered.',
  },
  issued_before_birth: {
    meaning: 'The document was issued before its holder was born.',
    endUser: SEE_STAFF,
    staff: 'Inspect the document for alteration.',
  },
  expiry_before_birth: {
    meaning: 'The document expires before its holder was born.',
    endUser: SEE_STAFF,
    staff: 'Inspect the document for alteration.',
  },
  expiry_before_issue: {
    meaning: 'The document expires before it was issued.',
    endUser: SEE_STAFF,
    staff: 'Inspect the document for alteration.',
  },
  age_implausible: {
    meaning: 'The birth date gives an age no living holder can have.',
    endUser: SEE_STAFF,
    staff: 'Check the birth date on the document.',
  },
  birth_date_missing: {
    meaning: 'No birth date could be read, so the age cannot be checked.',
    endUser: SEE_STAFF,
    staff: 'Check the birth date on the document.',
  },
  under_minimum_age: {
    meaning: 'The holder is under the configured minimum age: nothing of theirs is kept.',
    endUser: 'We cannot complete this verification. Please see a member of staff.',
    staff: 'Follow the branch procedure for minors.',
  },
  minor_guardian_required: {
    meaning:
      'The holder is under the age of majority where the kiosk stands: a guardian must take part.',
    endUser: SEE_STAFF,
    staff: 'Start the guardian flow with the parent or guardian present.',
  },
  issuer_unknown: {
    meaning: 'The issuing state or jurisdiction is not a known code.',
    endUser: SEE_STAFF,
    staff: 'Inspect the document; the issuer code may be misread or invented.',
  },
  issuer_not_allowed: {
    meaning: 'The issuer is not on the list of accepted issuers.',
    endUser: 'This document cannot be used here. Please use another document.',
    staff: 'Ask for a document from an accepted issuer.',
  },
  document_number_mismatch: {
    meaning:
      'Two readings of the document (machine-readable zone, barcode, printed zone) disagree on the number.',
    endUser: SEE_STAFF,
    staff:
      'Compare the printed number with both machine readings; decline when they differ on the document.',
  },
  birth_date_mismatch: {
    meaning: 'Two readings of the document disagree on the birth date.',
    endUser: SEE_STAFF,
    staff: 'Compare the printed birth date with both machine readings.',
  },
  name_mismatch: {
    meaning:
      'Two readings of the document disagree on the name (beyond truncation and transliteration).',
    endUser: SEE_STAFF,
    staff: 'Compare the printed name with both machine readings.',
  },
  expiry_date_mismatch: {
    meaning: 'Two readings of the document disagree on the expiry date.',
    endUser: SEE_STAFF,
    staff: 'Compare the printed expiry date with both machine readings.',
  },
  sex_mismatch: {
    meaning: 'Two readings of the document disagree on the sex marker.',
    endUser: SEE_STAFF,
    staff: 'Compare the printed marker with both machine readings.',
  },
  issue_date_mismatch: {
    meaning: 'Two readings of the document disagree on the issue date.',
    endUser: SEE_STAFF,
    staff: 'Compare the printed issue date with both machine readings.',
  },
  specimen_document: {
    meaning: 'The document is a published specimen, not a real document.',
    endUser: 'This document cannot be used. Please use your own document.',
    staff: 'Decline; report it when it was presented in earnest.',
  },
  known_fraud_document: {
    meaning: 'The document number is on the known-fraud list.',
    endUser: SEE_STAFF,
    staff: 'Follow the fraud procedure; do not tell the customer which list matched.',
  },
  document_number_other_identity: {
    meaning: 'The document number was seen before under another identity (name and birth date).',
    endUser: SEE_STAFF,
    staff:
      'Open the earlier verification and compare; follow the fraud procedure when they differ.',
  },
  fleet_document_other_identity: {
    meaning:
      'Another branch saw this document number under another identity (fleet blind index) within the window.',
    endUser: SEE_STAFF,
    staff: 'Ask the fleet fraud team which branch saw it; compare the person with the document.',
  },
  // Capture quality.
  image_quality_low: {
    meaning:
      'A document image is blurred, glared, badly framed, badly exposed or of too low resolution.',
    endUser: 'Please hold your document still, flat and fully in view, away from reflections.',
    staff: 'Help the customer place the document; clean the reader glass.',
  },
  face_quality_low: {
    meaning:
      'The selfie or the document portrait is too small, blurred, turned or badly lit to compare reliably.',
    endUser: 'Please look straight at the camera in good light.',
    staff: 'Help the customer face the camera; check the lighting at the kiosk.',
  },
  no_face_found: {
    meaning: 'No face was found in the selfie or on the document.',
    endUser: 'Please look straight at the camera.',
    staff: 'Check the camera and that the document has a portrait.',
  },
  several_faces: {
    meaning: 'More than one face was in the selfie.',
    endUser: 'Please make sure only you are in front of the camera.',
    staff: 'Ask others to step out of the camera view.',
  },
  // Face and liveness (FACE-1..4).
  face_mismatch: {
    meaning:
      'The selfie does not match the document portrait (or the enrolled face) at the configured threshold.',
    endUser: SEE_STAFF,
    staff: 'Compare the person with the portrait; decline when they are not the holder.',
  },
  face_match_uncertain: {
    meaning:
      'The face similarity lies in the review band between the approve and decline thresholds.',
    endUser: SEE_STAFF,
    staff: 'Compare the person with the portrait side by side.',
  },
  liveness_failed: {
    meaning:
      'The liveness check saw a presentation attack (a photo, a screen, a mask) or the challenge was not performed.',
    endUser:
      'We could not confirm you are present. Please see a member of staff, or start again later.',
    staff:
      'A kiosk session opens a case: check the person in person (approving takes two reviewers); an attack: fraud procedure.',
  },
  liveness_inconclusive: {
    meaning: 'The liveness check could not decide (too few frames, face lost, poor light).',
    endUser: RETRY,
    staff: 'Let the customer retry; check the camera and lighting.',
  },
  known_fraud_face: {
    meaning: 'The face matches an entry of the known-fraud face list.',
    endUser: SEE_STAFF,
    staff: 'Follow the fraud procedure; do not tell the customer which list matched.',
  },
  duplicate_face: {
    meaning: 'The face matches another subject already enrolled under a different identity.',
    endUser: SEE_STAFF,
    staff: 'Open the other subject and compare; follow the fraud procedure for a second identity.',
  },
  identity_declined: {
    meaning:
      "The subject's identity verification was declined: their templates cannot authenticate anyone.",
    endUser: SEE_STAFF,
    staff:
      'Open the declined identity verification; the customer must verify their identity again.',
  },
  identity_not_approved: {
    meaning:
      "The subject's identity verification is not approved yet (open, in review or resubmitting).",
    endUser: SEE_STAFF,
    staff: 'Finish the identity verification first (its case or a new capture), then authenticate.',
  },
  // Signature (SIG-1..3).
  signature_mismatch: {
    meaning: 'The signature does not match the enrolled signatures at the configured threshold.',
    endUser: SEE_STAFF,
    staff: 'Compare the signature with the enrolled ones and the document signature.',
  },
  signature_uncertain: {
    meaning: 'The signature score lies in the review band.',
    endUser: SEE_STAFF,
    staff: 'Compare the signature with the enrolled ones side by side.',
  },
  signature_unusable: {
    meaning: 'The signature is too short, too simple or its samples are out of range.',
    endUser: 'Please sign again, as you usually sign.',
    staff: 'Let the customer sign again; check the pad.',
  },
  // Fraud signals (VER-3).
  velocity_document: {
    meaning: 'The same document was presented more often than allowed within the velocity window.',
    endUser: SEE_STAFF,
    staff: 'Look at the recent verifications of this document before deciding.',
  },
  velocity_face: {
    meaning: 'The same face was presented more often than allowed within the velocity window.',
    endUser: SEE_STAFF,
    staff: 'Look at the recent verifications of this face before deciding.',
  },
  simulated_device: {
    meaning:
      'A capture came from a simulated device: such a verification is never approved without staff.',
    endUser: SEE_STAFF,
    staff:
      'This appliance runs with simulated devices (a demonstration): do not rely on the result.',
  },
  // Session and process (VER-1).
  check_not_run: {
    meaning: 'A check the policy requires could not run (its input is missing or a lookup failed).',
    endUser: SEE_STAFF,
    staff: 'See which check did not run and complete it by hand.',
  },
  face_model_changed: {
    meaning:
      'Templates of another face recogniser (a model change) cannot be compared: a face match did not run, or a 1:N face search could not see them (evidence: counts).',
    endUser: SEE_STAFF,
    staff:
      'Check the document and earlier records by hand, capture faces again: verikiosk faces reenrol-plan lists who needs it.',
  },
  check_failed: {
    meaning: 'A check failed or warned without a reason this catalogue names.',
    endUser: SEE_STAFF,
    staff: 'See the check in the evidence and decide by hand.',
  },
  resubmission_limit_reached: {
    meaning: 'The verification asked for a new capture more often than the configured limit.',
    endUser: 'We could not complete your verification. Please see a member of staff.',
    staff: 'Verify the customer by the branch manual procedure.',
  },
  cancelled: {
    meaning: 'The verification was cancelled by the branch system or staff.',
    endUser: 'This verification was cancelled.',
    staff: 'No action needed.',
  },
  session_idle_timeout: {
    meaning: 'Nothing happened in the verification for longer than the idle timeout.',
    endUser: 'Your session has ended. Please start again.',
    staff: 'Start a new verification when the customer is ready.',
  },
  session_absolute_timeout: {
    meaning: 'The verification was open for longer than the absolute timeout.',
    endUser: 'Your session has ended. Please start again.',
    staff: 'Start a new verification when the customer is ready.',
  },
  // Privacy (PRIV-3).
  subject_restricted: {
    meaning:
      'The person asked for the processing of their data to be restricted: no verification runs for them.',
    endUser: 'Please see a member of staff.',
    staff:
      'Verify the customer by the branch manual procedure; the restriction stays until they lift it.',
  },
} as const satisfies Record<string, ReasonCodeEntry>;

export type ReasonCode = keyof typeof REASON_CODES;
export const REASON_CODE_LIST = Object.keys(REASON_CODES) as ReasonCode[];

export function isReasonCode(code: string): code is ReasonCode {
  return Object.hasOwn(REASON_CODES, code);
}

export const ReasonCodeSchema = z.enum(REASON_CODE_LIST as [ReasonCode, ...ReasonCode[]]).meta({
  id: 'ReasonCode',
  description:
    'Why a verification was decided as it was; the catalogue is at /api/v1/reason-codes.',
});

export const ReasonCodeEntrySchema = z
  .object({
    code: ReasonCodeSchema,
    meaning: z.string(),
    endUser: z.string().meta({ description: 'What the kiosk may tell the person.' }),
    staff: z.string().meta({ description: 'What a reviewer should do.' }),
  })
  .meta({ id: 'ReasonCodeEntry' });
export type ReasonCodeEntryDto = z.infer<typeof ReasonCodeEntrySchema>;
