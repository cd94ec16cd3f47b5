/**
 * Every call the kiosk makes to the core, with the contract's types. The kiosk holds its token
 * only (captures:write): it starts sessions on itself, feeds their captures and submits them.
 */
import type {
  ConsentCapture,
  DeviceList,
  FrameGuidanceDto,
  LivenessChallengeDto,
  SelfieCapture,
  SimulateDevice,
  VerificationDto,
} from '../../contract/index.js';
import { createApiClient, type ApiClient } from '../shared/api.js';

export type Session = VerificationDto;

export interface KioskApi {
  readonly client: ApiClient;
  devices(): Promise<DeviceList>;
  start(): Promise<Session>;
  consent(id: string, body: ConsentCapture): Promise<Session>;
  /** The reader's next document into the session; null when nothing was presented in time. */
  documentFromReader(id: string, deviceId: string, signal?: AbortSignal): Promise<Session | null>;
  /** The core draws the session's liveness challenge; the selfie names it. */
  livenessChallenge(id: string): Promise<LivenessChallengeDto>;
  selfie(id: string, body: SelfieCapture): Promise<Session>;
  /** Where the core's face detector sees faces in a downscaled live frame (advisory; not kept). */
  frameGuidance(
    id: string,
    jpeg: Blob,
    signal?: AbortSignal,
    target?: 'face' | 'document',
  ): Promise<FrameGuidanceDto>;
  /** A photo of the document page, read by the core (MRZ/barcode OCR) into the session. */
  documentImage(id: string, jpeg: Blob): Promise<Session>;
  signatures(id: string, signatures: unknown[], deviceId?: string): Promise<Session>;
  submit(id: string): Promise<Session>;
  simulate(deviceId: string, body: SimulateDevice): Promise<void>;
}

export function kioskApi(token: () => string): KioskApi {
  const client = createApiClient(() => ({ kind: 'kiosk', token: token() }));
  const session = (id: string) => `/api/v1/verifications/${encodeURIComponent(id)}`;
  return {
    client,
    devices: () => client.get<DeviceList>('/api/v1/devices'),
    start: () => client.post<Session>('/api/v1/verifications', { kind: 'identity' }),
    consent: (id, body) => client.post<Session>(`${session(id)}/consent`, body),
    async documentFromReader(id, deviceId, signal) {
      const answer = await client.request<Session | undefined>(
        'POST',
        `${session(id)}/document/from-reader`,
        { json: { deviceId }, signal },
      );
      return answer ?? null;
    },
    livenessChallenge: (id) =>
      client.post<LivenessChallengeDto>(`${session(id)}/liveness-challenge`),
    selfie: (id, body) => client.post<Session>(`${session(id)}/selfie`, body),
    frameGuidance: (id, jpeg, signal, target = 'face') =>
      client.request<FrameGuidanceDto>('POST', `${session(id)}/frame-guidance?target=${target}`, {
        body: jpeg,
        contentType: 'image/jpeg',
        signal,
      }),
    documentImage: (id, jpeg) =>
      client.request<Session>('POST', `${session(id)}/document`, {
        body: jpeg,
        contentType: 'image/jpeg',
      }),
    signatures: (id, signatures, deviceId) =>
      client.post<Session>(`${session(id)}/signature`, {
        signatures,
        ...(deviceId === undefined ? {} : { deviceId }),
      }),
    submit: (id) => client.post<Session>(`${session(id)}/submit`),
    async simulate(deviceId, body) {
      await client.post<unknown>(`/api/v1/devices/${encodeURIComponent(deviceId)}/simulate`, body);
    },
  };
}
