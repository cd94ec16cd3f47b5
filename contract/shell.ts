/**
 * What crosses between the kiosk shell (main/) and the core it supervises: the ready message
 * the core sends over the IPC channel of its fork once it listens. Pure TS, no Electron.
 */
export interface CoreReadyMessage {
  readonly type: 'verikiosk.core.ready';
  /** The URL the core serves on (http://127.0.0.1:port or https://host:port). */
  readonly url: string;
  /**
   * SHA-256 (lowercase hex) of the DER certificate the core serves with TLS, or null on plain
   * loopback HTTP: the shell pins it and refuses every other certificate.
   */
  readonly certificateSha256: string | null;
}

/** The message; `certificateSha256` is of the served certificate's DER bytes (null without TLS). */
export function coreReadyMessage(url: string, certificateSha256: string | null): CoreReadyMessage {
  return { type: 'verikiosk.core.ready', url, certificateSha256 };
}

export function isCoreReadyMessage(value: unknown): value is CoreReadyMessage {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return (
    v.type === 'verikiosk.core.ready' &&
    typeof v.url === 'string' &&
    URL.canParse(v.url) &&
    (v.certificateSha256 === null ||
      (typeof v.certificateSha256 === 'string' && /^[0-9a-f]{64}$/.test(v.certificateSha256)))
  );
}
