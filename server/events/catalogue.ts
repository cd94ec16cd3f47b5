/**
 * The domain events: what happened to the data, as ids and codes only. A payload never holds
 * personal data (names, document numbers, free text): `checkEventPayload` refuses anything but
 * codes, ids, numbers, dates and flat lists of them, the same rule as the audit log's details.
 */
import { isRecordableKey, isRecordableScalar } from '../recordable.js';

/** Events the code emits today, each written in the transaction of the change it reports. */
export const EMITTED_EVENT_TYPES = [
  'subject.destroyed',
  'template.deleted',
  'retention.run',
  'vault.restored',
  'device.connected',
  'device.disconnected',
  'device.error',
  'verification.created',
  'verification.submitted',
  'verification.decided',
  'case.opened',
  'case.decided',
  'consent.granted',
  'consent.withdrawn',
  'privacy_request.completed',
] as const;

/**
 * Names reserved for the verification, case, consent, privacy and device work: declared so
 * subscribers and webhook configurations can name them, refused by `emitEvent` until their
 * payloads are defined with the code that emits them.
 */
export const RESERVED_EVENT_TYPES = ['privacy_request.received'] as const;

export const EVENT_TYPES = [...EMITTED_EVENT_TYPES, ...RESERVED_EVENT_TYPES] as const;

export type EmittedEventType = (typeof EMITTED_EVENT_TYPES)[number];
export type ReservedEventType = (typeof RESERVED_EVENT_TYPES)[number];
export type EventType = (typeof EVENT_TYPES)[number];

export interface RetentionRunCount {
  readonly ruleId: string;
  readonly category: string;
  readonly count: number;
}

/**
 * A device as events name it: the API's id (a digest of the manager's id, never a serial number)
 * and codes. `vendorId`/`productId` are USB ids (null for simulators and devices named by path).
 */
export interface DeviceRef {
  readonly deviceId: string;
  readonly kind: 'pad' | 'reader';
  readonly driver: string;
  readonly bus: 'hid' | 'serial';
  readonly source: 'table' | 'config' | 'simulator';
  readonly vendorId: number | null;
  readonly productId: number | null;
}

/** The payload of each emitted event. */
export interface EventPayloads {
  /** Subjects crypto-shredded (at most SUBJECTS_PER_EVENT ids per event). */
  'subject.destroyed': { readonly subjectIds: readonly string[]; readonly reason: string };
  /** One biometric template row deleted on its own (its subject remains). */
  'template.deleted': {
    readonly templateId: string;
    readonly subjectId: string;
    readonly modality: 'face' | 'signature';
  };
  /** A real retention run finished: what each rule destroyed, per category. */
  'retention.run': {
    readonly runId: string;
    readonly trigger: string;
    readonly asOf: string;
    readonly total: number;
    readonly counts: readonly RetentionRunCount[];
  };
  /** This database was restored from a backup; written into the restored copy. */
  'vault.restored': {
    readonly backupHeadSeq: number;
    readonly auditEntriesCarried: number;
    readonly reappliedDestructions: number;
  };
  /** The device manager opened a device (written when it reports it, see server/devices). */
  'device.connected': DeviceRef;
  /** A device went away (unplugged, or its transport closed); not written at shutdown. */
  'device.disconnected': DeviceRef;
  /** A device failed (could not be opened, or its transport reported an error): the code only. */
  'device.error': DeviceRef & { readonly errorCode: string };
  /** A verification session was created (its kind; the kiosk when started on one). */
  'verification.created': {
    readonly verificationId: string;
    readonly kind: 'identity' | 'authentication';
    readonly kioskId: string | null;
  };
  /** Its captures are complete and the checks run. */
  'verification.submitted': { readonly verificationId: string };
  /**
   * The policy decided (or a case resolved it, `byCase`): the decision, the risk score, the
   * ordered reason codes and the policy version. `review` opens a case.
   */
  'verification.decided': {
    readonly verificationId: string;
    readonly decision: 'approved' | 'declined' | 'review' | 'resubmission_requested';
    readonly riskScore: number;
    readonly reasons: readonly string[];
    readonly policyVersion: string;
    readonly byCase: boolean;
  };
  /** A review case was opened for a verification in review. */
  'case.opened': { readonly caseId: string; readonly verificationId: string };
  /** A case was resolved: the resolution and its reason code (never the reviewer's note). */
  'case.decided': {
    readonly caseId: string;
    readonly verificationId: string;
    readonly resolution: 'approved' | 'declined' | 'resubmission_requested';
    readonly reasonCode: string;
  };
  /** A written consent was recorded for these purposes (by the subject, or a minor's guardian). */
  'consent.granted': {
    readonly subjectId: string;
    readonly verificationId: string;
    readonly purposes: readonly string[];
    readonly givenBy: 'subject' | 'guardian';
  };
  /** A consent was withdrawn (kiosk, staff or API); `withdrawn` records were in force. */
  'consent.withdrawn': {
    readonly subjectId: string;
    readonly purpose: string;
    readonly channel: 'kiosk' | 'staff' | 'api';
    readonly withdrawn: number;
  };
  /** A data-subject request was fulfilled (or refused by a rule): its type and outcome code. */
  'privacy_request.completed': {
    readonly requestId: string;
    readonly subjectId: string;
    readonly type: string;
    readonly outcome: string;
  };
}

/** An event to emit: its type and payload. */
export type DomainEvent = {
  [K in EmittedEventType]: { readonly type: K; readonly payload: EventPayloads[K] };
}[EmittedEventType];

/** An event as stored in the outbox: its monotonic id and commit-side time added. */
export type StoredEvent = DomainEvent & { readonly id: number; readonly createdAt: string };

/** Subject ids per `subject.destroyed` event: a large destruction becomes several events. */
export const SUBJECTS_PER_EVENT = 1000;

const MAX_LIST = 10_000;

function isFlatRecord(value: unknown): boolean {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  return Object.entries(value).every(([k, v]) => isRecordableKey(k) && isRecordableScalar(v));
}

/**
 * Null when the payload holds only codes, ids, numbers, booleans, dates, lists of them and lists
 * of flat records of them; else the offending key (never the value).
 */
export function payloadProblem(payload: unknown): string | null {
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) return '(root)';
  for (const [key, value] of Object.entries(payload)) {
    if (!isRecordableKey(key)) return '(a key that is not a plain identifier)';
    if (isRecordableScalar(value)) continue;
    if (
      Array.isArray(value) &&
      value.length <= MAX_LIST &&
      value.every((v) => isRecordableScalar(v) || isFlatRecord(v))
    )
      continue;
    return key;
  }
  return null;
}

export function isEmittedEventType(type: string): type is EmittedEventType {
  return (EMITTED_EVENT_TYPES as readonly string[]).includes(type);
}
