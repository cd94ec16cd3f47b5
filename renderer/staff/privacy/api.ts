/**
 * The privacy desk's boundary: GET/POST /api/v1/privacy/requests… (data-subject requests:
 * deadlines, identity proof, export download, deletion, the requester's contact). The shapes are
 * the contract's (type imports only: nothing of zod reaches the bundle); an appliance that does
 * not serve the routes answers 404 and the desk says so.
 */
import type {
  CorrectableField,
  ExtensionReason,
  IdentityProof,
  ObjectionPurpose,
  PrivacyRequestCreate,
  PrivacyRequestDto,
  PrivacyRequestType,
  Requester,
  RequesterRelation,
} from '../../../contract/index.js';
import type { ConsentPurpose } from '../../../contract/consents.js';
import type { ApiClient } from '../../shared/api.js';

/**
 * `values`, checked by the compiler to name every member of `T` (a union of the contract): a
 * value the contract adds fails the renderer's type check until it is listed here.
 */
const every =
  <T extends string>() =>
  <const A extends readonly T[]>(
    ...values: A & ([Exclude<T, A[number]>] extends [never] ? unknown : never)
  ): readonly T[] =>
    values;

export type { IdentityProof, PrivacyRequestCreate, Requester, RequesterRelation };
export type PrivacyRequest = PrivacyRequestDto;

/**
 * contract EXTENSION_REASONS (the lists are repeated here: the contract module's values carry
 * zod; `every` keeps them whole).
 */
export const EXTENSION_REASONS = every<ExtensionReason>()(
  'complex_request',
  'number_of_requests',
  'awaiting_requester',
  'legal_review',
);

/** contract PRIVACY_REQUEST_TYPES. */
export const REQUEST_TYPES = every<PrivacyRequestType>()(
  'access',
  'portability',
  'deletion',
  'correction',
  'restriction',
  'objection',
  'consent_withdrawal',
);

/** contract REQUESTER_RELATIONS. */
export const REQUESTER_RELATIONS = every<RequesterRelation>()(
  'subject',
  'authorised_agent',
  'guardian',
);

/** contract OBJECTION_PURPOSES. */
export const OBJECTION_PURPOSES = every<ObjectionPurpose>()('data_sharing', 'service_improvement');

/** contract WITHDRAWABLE_PURPOSES (the consent purposes). */
export const WITHDRAWABLE_PURPOSES = every<ConsentPurpose>()(
  'biometric_processing',
  'authentication',
  'data_sharing',
);

/** contract CORRECTABLE_FIELDS. */
export const CORRECTABLE_FIELDS = every<CorrectableField>()(
  'surname',
  'givenNames',
  'birthDate',
  'nationality',
  'sex',
  'issueDate',
  'expiryDate',
  'personalNumber',
);

export interface PrivacyRequestPage {
  items: PrivacyRequest[];
  nextCursor: string | null;
  overdue: number;
}

export const PAGE_SIZE = 100;

/** The shape of a subject id (contract ID), checked by the browser before a filter is sent. */
export const SUBJECT_ID_PATTERN = 'sub_[0-9a-hjkmnp-tv-z]{26}';

export const listPrivacyRequests = (
  api: ApiClient,
  signal?: AbortSignal,
  query: { after?: string; overdue?: boolean; subjectId?: string } = {},
) =>
  api.get<PrivacyRequestPage>('/api/v1/privacy/requests', {
    signal,
    query: {
      limit: PAGE_SIZE,
      ...(query.after === undefined ? {} : { after: query.after }),
      ...(query.overdue ? { overdue: 'true' } : {}),
      ...(query.subjectId === undefined ? {} : { subjectId: query.subjectId }),
    },
  });

export const extendPrivacyRequest = (api: ApiClient, id: string, reason: string) =>
  api.post<PrivacyRequest>(`/api/v1/privacy/requests/${encodeURIComponent(id)}/extend`, {
    reason,
  });

export const exportUrl = (id: string) =>
  `/api/v1/privacy/requests/${encodeURIComponent(id)}/export`;

export const filePrivacyRequest = (api: ApiClient, input: PrivacyRequestCreate) =>
  api.post<PrivacyRequest>('/api/v1/privacy/requests', input);

/**
 * Who asked and how to reach them: an audited read of personal data on the core (purpose
 * `request_answer`), so the desk calls it only when a person asks to see it.
 */
export const requesterOf = (api: ApiClient, id: string, signal?: AbortSignal) =>
  api.get<Requester>(`/api/v1/privacy/requests/${encodeURIComponent(id)}/requester`, { signal });
