/**
 * What crosses between the kiosk shell (main/) and the core it supervises: the ready message
 * the core sends over the IPC channel of its fork once it listens. Pure TS, no Electron.
 */
export interface CoreReadyMessage {
  readonly type: 'verikiosk.core.ready';
  /** The URL the core serves on (http://127.0.0.1:port or https://host:port). */
  readonly url: string;
}

export function coreReadyMessage(url: string): CoreReadyMessage {
  return { type: 'verikiosk.core.ready', url };
}

export function isCoreReadyMessage(value: unknown): value is CoreReadyMessage {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return v.type === 'verikiosk.core.ready' && typeof v.url === 'string' && URL.canParse(v.url);
}
