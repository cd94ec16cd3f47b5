/**
 * The privacy desk's boundary: GET/POST /api/v1/privacy/requests… (data-subject requests:
 * deadlines, identity proof, export download, deletion). The shape is the privacy capability's
 * `PrivacyRequest`, declared here until its contract is on this branch; an appliance that does
 * not serve it answers 404 and the desk says so.
 */
import type { ApiClient } from '../../shared/api.js';

export interface PrivacyRequest {
  id: string;
  type: string;
  subjectId: string;
  regime: string;
  status: string;
  channel: string;
  identityMethod: string | null;
  receivedAt: string;
  dueAt: string;
  extendedAt: string | null;
  completedAt: string | null;
  overdue: boolean;
  outcome: string | null;
  progress: number | null;
  export: { bytes: number; items: number } | null;
}

export const EXTENSION_REASONS = [
  'complex_request',
  'number_of_requests',
  'awaiting_requester',
  'legal_review',
] as const;

export const listPrivacyRequests = (api: ApiClient, signal?: AbortSignal) =>
  api.get<{ items: PrivacyRequest[]; nextCursor: string | null; overdue: number }>(
    '/api/v1/privacy/requests',
    { signal, query: { limit: 100 } },
  );

export const extendPrivacyRequest = (api: ApiClient, id: string, reason: string) =>
  api.post<PrivacyRequest>(`/api/v1/privacy/requests/${encodeURIComponent(id)}/extend`, {
    reason,
  });

export const exportUrl = (id: string) =>
  `/api/v1/privacy/requests/${encodeURIComponent(id)}/export`;

export const REQUEST_TYPES = [
  'access',
  'portability',
  'deletion',
  'restriction',
  'objection',
  'consent_withdrawal',
] as const;

export type IdentityProof =
  | { method: 'authentication'; verificationId: string }
  | { method: 'document'; documentNumber: string }
  | { method: 'staff_evidence'; evidence: string };

export interface PrivacyRequestCreate {
  type: (typeof REQUEST_TYPES)[number];
  subjectId: string;
  identity: IdentityProof;
  purposes?: string[];
}

export const filePrivacyRequest = (api: ApiClient, input: PrivacyRequestCreate) =>
  api.post<PrivacyRequest>('/api/v1/privacy/requests', input);
