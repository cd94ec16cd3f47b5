/**
 * The endpoints the staff console calls, typed by the contract's DTOs. Reports and the privacy
 * desk are served by other capabilities (reports/, privacy/ in this folder own their endpoints):
 * where the appliance does not serve them, their screens say so.
 */
import type {
  Case,
  CaseDecisionInput,
  CaseDetail,
  CaseFilter,
  SavedCaseFilter,
  VerificationDto,
} from '../../contract/index.js';
import type { ApiClient } from '../shared/api.js';

export interface CaseList {
  items: Case[];
  nextCursor: string | null;
}

export interface ReasonCodeInfo {
  code: string;
  meaning: string;
  staff: string;
}

/** The queue's query: the filter fields, a page cursor. */
export function listCases(
  api: ApiClient,
  filter: CaseFilter,
  cursor: string | null,
  signal?: AbortSignal,
): Promise<CaseList> {
  return api.get('/api/v1/cases', {
    signal,
    query: {
      status: filter.status,
      assignee: filter.assignee,
      overdue: filter.overdue === undefined ? undefined : String(filter.overdue),
      reasonCode: filter.reasonCode,
      minAgeHours: filter.minAgeHours,
      cursor: cursor ?? undefined,
      limit: 50,
    },
  });
}

export const getCase = (api: ApiClient, id: string, signal?: AbortSignal) =>
  api.get<CaseDetail>(`/api/v1/cases/${encodeURIComponent(id)}`, { signal });

export const assignCase = (api: ApiClient, id: string, assignee: string) =>
  api.post<Case>(`/api/v1/cases/${encodeURIComponent(id)}/assign`, { assignee });

export const decideCase = (api: ApiClient, id: string, decision: CaseDecisionInput) =>
  api.post<Case>(`/api/v1/cases/${encodeURIComponent(id)}/decision`, decision);

export const listSavedFilters = (api: ApiClient, signal?: AbortSignal) =>
  api.get<{ items: SavedCaseFilter[] }>('/api/v1/case-filters', { signal });

export const saveFilter = (api: ApiClient, name: string, filter: CaseFilter) =>
  api.post<SavedCaseFilter>('/api/v1/case-filters', { name, filter });

export const deleteSavedFilter = (api: ApiClient, id: string) =>
  api.request<void>('DELETE', `/api/v1/case-filters/${encodeURIComponent(id)}`);

export const getVerification = (api: ApiClient, id: string, signal?: AbortSignal) =>
  api.get<VerificationDto>(`/api/v1/verifications/${encodeURIComponent(id)}`, { signal });

export const findVerificationsByReference = (
  api: ApiClient,
  reference: string,
  signal?: AbortSignal,
) =>
  api.get<{ items: VerificationDto[]; nextCursor: string | null }>('/api/v1/verifications', {
    signal,
    query: { reference, limit: 50 },
  });

/** The reason-code catalogue (meaning and staff guidance are English: shown as such). */
export async function reasonCodes(
  api: ApiClient,
  signal?: AbortSignal,
): Promise<Map<string, ReasonCodeInfo>> {
  const { data } = await api.get<{ data: ReasonCodeInfo[] }>('/api/v1/reason-codes', { signal });
  return new Map(data.map((entry) => [entry.code, entry]));
}

/** An image of a session as an object URL (revoke it when done), or null when there is none. */
export async function verificationImage(
  id: string,
  name: string,
  signal?: AbortSignal,
): Promise<string | null> {
  const response = await fetch(
    `/api/v1/verifications/${encodeURIComponent(id)}/images/${encodeURIComponent(name)}`,
    { credentials: 'same-origin', cache: 'no-store', signal },
  );
  if (!response.ok) return null;
  const type = response.headers.get('content-type') ?? '';
  if (!type.startsWith('image/')) return null;
  return URL.createObjectURL(await response.blob());
}
