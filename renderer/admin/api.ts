/** The endpoints the admin pages call (admin scope; devices: captures:write), by contract DTO. */
import type {
  ApiKey,
  ApiKeyCreate,
  ApiKeyCreated,
  Device,
  DeviceList,
  DeviceTest,
  KioskCreate,
  RetentionPreviewDto,
  StaffRole,
  StaffUserDto,
  KioskDto,
  Webhook,
  WebhookCreate,
  WebhookDelivery,
  WebhookWithSecret,
} from '../../contract/index.js';
import type { ApiClient } from '../shared/api.js';

const id = (value: string) => encodeURIComponent(value);

export const listDevices = (api: ApiClient, signal?: AbortSignal) =>
  api.get<DeviceList>('/api/v1/devices', { signal });
export const testDevice = (api: ApiClient, deviceId: string) =>
  api.post<DeviceTest>(`/api/v1/devices/${id(deviceId)}/test`);
export const penStreamUrl = (deviceId: string) => `/api/v1/devices/${id(deviceId)}/pen`;
export type { Device };

export const listApiKeys = (api: ApiClient, signal?: AbortSignal) =>
  api.get<{ items: ApiKey[] }>('/api/v1/api-keys', { signal });
export const createApiKey = (api: ApiClient, input: ApiKeyCreate) =>
  api.post<ApiKeyCreated>('/api/v1/api-keys', input);
export const revokeApiKey = (api: ApiClient, keyId: string) =>
  api.request<unknown>('DELETE', `/api/v1/api-keys/${id(keyId)}`);

export const listWebhooks = (api: ApiClient, signal?: AbortSignal) =>
  api.get<{ items: Webhook[] }>('/api/v1/webhooks', { signal });
export const createWebhook = (api: ApiClient, input: WebhookCreate) =>
  api.post<WebhookWithSecret>('/api/v1/webhooks', input);
export const setWebhookEnabled = (api: ApiClient, webhookId: string, enabled: boolean) =>
  api.request<Webhook>('PATCH', `/api/v1/webhooks/${id(webhookId)}`, { json: { enabled } });
export const deleteWebhook = (api: ApiClient, webhookId: string) =>
  api.request<unknown>('DELETE', `/api/v1/webhooks/${id(webhookId)}`);
export const listDeliveries = (api: ApiClient, webhookId: string, signal?: AbortSignal) =>
  api.get<{ items: WebhookDelivery[]; nextBefore: number | null }>(
    `/api/v1/webhooks/${id(webhookId)}/deliveries`,
    { signal, query: { limit: 50 } },
  );
export const redeliver = (api: ApiClient, webhookId: string, deliveryId: number) =>
  api.post<unknown>(`/api/v1/webhooks/${id(webhookId)}/deliveries/${deliveryId}/redeliver`);

export const listKiosks = (api: ApiClient, signal?: AbortSignal) =>
  api.get<{ items: KioskDto[] }>('/api/v1/kiosks', { signal });
export const createKiosk = (api: ApiClient, input: KioskCreate) =>
  api.post<{ kiosk: KioskDto; token: string }>('/api/v1/kiosks', input);
export const revokeKiosk = (api: ApiClient, kioskId: string) =>
  api.request<unknown>('DELETE', `/api/v1/kiosks/${id(kioskId)}`);
export const rotateKioskToken = (api: ApiClient, kioskId: string) =>
  api.post<{ kiosk: KioskDto; token: string }>(`/api/v1/kiosks/${id(kioskId)}/rotate-token`);

export const listStaffUsers = (api: ApiClient, signal?: AbortSignal) =>
  api.get<{ items: StaffUserDto[] }>('/api/v1/staff-users', { signal });
export const createStaffUser = (api: ApiClient, username: string, role: StaffRole) =>
  api.post<{ user: StaffUserDto; password: string }>('/api/v1/staff-users', { username, role });
export const setStaffRole = (api: ApiClient, userId: string, role: StaffRole) =>
  api.request<StaffUserDto>('PATCH', `/api/v1/staff-users/${id(userId)}`, { json: { role } });
export const disableStaffUser = (api: ApiClient, userId: string) =>
  api.post<StaffUserDto>(`/api/v1/staff-users/${id(userId)}/disable`);
export const unlockStaffUser = (api: ApiClient, userId: string) =>
  api.post<StaffUserDto>(`/api/v1/staff-users/${id(userId)}/unlock`);

export const retentionPreview = (api: ApiClient, signal?: AbortSignal) =>
  api.get<RetentionPreviewDto>('/api/v1/retention/preview', { signal });
