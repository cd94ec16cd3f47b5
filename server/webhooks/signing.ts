/**
 * Webhook signatures: `Verikiosk-Signature: t=<unix seconds>,v1=<hex>[,v1=<hex>]` where each v1 is
 * HMAC-SHA256 keyed with an endpoint secret (the whole `whsec_…` string, as UTF-8) over
 * `<t>.<raw body>`. During a secret rotation's overlap there is one v1 per valid secret.
 *
 * `verifyWebhookSignature` is written to be copied by integrators: Node's crypto only, no
 * throwing, constant-time comparison.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

/** The header carrying the signature. */
export const SIGNATURE_HEADER = 'Verikiosk-Signature';
export const EVENT_ID_HEADER = 'Verikiosk-Event-Id';
export const EVENT_TYPE_HEADER = 'Verikiosk-Event-Type';

/** How far the signed time may be from the receiver's clock, either way (seconds). */
export const DEFAULT_TOLERANCE_SECONDS = 300;

const MAX_HEADER_LENGTH = 4096;

function hmacHex(secret: string, t: number, body: string | Uint8Array): string {
  const mac = createHmac('sha256', secret);
  mac.update(`${t}.`);
  mac.update(body);
  return mac.digest('hex');
}

/** The header value for `body` signed at `t` (unix seconds) with each secret, newest first. */
export function signatureHeader(
  secrets: readonly string[],
  body: string | Uint8Array,
  t: number,
): string {
  return [`t=${t}`, ...secrets.map((s) => `v1=${hmacHex(s, t, body)}`)].join(',');
}

/**
 * True when `header` carries a `t` within `toleranceSeconds` of `nowSeconds` and a `v1` that is
 * the HMAC of `t + "." + body` under one of `secrets`. Anything else (a missing, malformed,
 * stale or future header, a body or secret that does not match) is false; it never throws.
 * `body` must be the raw bytes received, before any JSON parsing.
 *
 * A replay of a captured request inside the window passes this check: deduplicate on the
 * `Verikiosk-Event-Id` header (deliveries are at least once, so the receiver must anyway).
 */
export function verifyWebhookSignature(
  header: unknown,
  body: string | Uint8Array,
  secrets: readonly string[],
  toleranceSeconds: number = DEFAULT_TOLERANCE_SECONDS,
  nowSeconds: number = Math.floor(Date.now() / 1000),
): boolean {
  try {
    if (typeof header !== 'string' || header.length > MAX_HEADER_LENGTH) return false;
    if (typeof body !== 'string' && !(body instanceof Uint8Array)) return false;
    if (!Array.isArray(secrets) || !Number.isFinite(toleranceSeconds) || toleranceSeconds < 0)
      return false;
    let t: number | null = null;
    const candidates: Buffer[] = [];
    for (const part of header.split(',')) {
      const eq = part.indexOf('=');
      if (eq < 0) continue;
      const key = part.slice(0, eq).trim();
      const value = part.slice(eq + 1).trim();
      if (key === 't') {
        if (t !== null || !/^\d{1,12}$/.test(value)) return false;
        t = Number(value);
      } else if (key === 'v1' && /^[0-9a-f]{64}$/.test(value)) {
        candidates.push(Buffer.from(value, 'hex'));
      }
    }
    if (t === null || candidates.length === 0) return false;
    if (Math.abs(nowSeconds - t) > toleranceSeconds) return false;
    for (const secret of secrets) {
      if (typeof secret !== 'string' || secret.length === 0) continue;
      const expected = Buffer.from(hmacHex(secret, t, body), 'hex');
      if (candidates.some((c) => timingSafeEqual(c, expected))) return true;
    }
    return false;
  } catch {
    return false;
  }
}
