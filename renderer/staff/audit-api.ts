/** The audit viewer's endpoints (audit:read). */
import type { AuditEntryDto, AuditStatusDto } from '../../contract/index.js';
import type { ApiClient } from '../shared/api.js';

export type { AuditEntryDto, AuditStatusDto };

export const auditStatus = (api: ApiClient, signal?: AbortSignal) =>
  api.get<AuditStatusDto>('/api/v1/audit/status', { signal });

export const auditPage = (api: ApiClient, before: number | null, signal?: AbortSignal) =>
  api.get<{ items: AuditEntryDto[]; nextBefore: number | null }>('/api/v1/audit', {
    signal,
    query: { before: before ?? undefined, limit: 50 },
  });
