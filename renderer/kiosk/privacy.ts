/**
 * What the End-User reads before the first capture: the published retention schedule
 * (`GET /privacy/retention-schedule`, JSON by content negotiation, PRIV-2) and the consent text
 * (PRIV-1). Both are fetched here and only here, so the privacy work can change their shapes in
 * one place. Until the core publishes them, the kiosk shows what it can: the schedule's absence
 * is said plainly, and the consent text comes from the kiosk's catalogue with its own version.
 */
import type { ConsentCapture } from '../../contract/index.js';
import type { ApiClient } from '../shared/api.js';
import type { Language } from '../shared/i18n/index.js';
import type { KioskApi, Session } from './api.js';

export interface RetentionItem {
  /** What is kept (a category name, already in the reader's language when the core gives one). */
  label: string;
  /** How long, in days; null: until deletion is asked for. */
  days: number | null;
  description: string | null;
}

export interface RetentionSchedule {
  items: RetentionItem[];
  publishedAt: string | null;
  version: string | null;
}

export interface ConsentText {
  /** The version recorded with the consent. */
  version: string;
  /** Null: use the kiosk catalogue's `kiosk.privacy.consentText`. */
  text: string | null;
  purposes: ConsentCapture['purposes'];
}

/** The version of the catalogue's own consent text (used until the core serves texts). */
export const CATALOGUE_CONSENT_VERSION = 'kiosk-1';

const str = (v: unknown): string | null => (typeof v === 'string' && v !== '' ? v : null);
const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

/** Reads a schedule tolerantly: `items` or `rules` of {category|name|label, days|retentionDays}. */
function scheduleOf(body: unknown): RetentionSchedule | null {
  if (typeof body !== 'object' || body === null) return null;
  const record = body as Record<string, unknown>;
  const list = Array.isArray(record.items)
    ? record.items
    : Array.isArray(record.rules)
      ? record.rules
      : null;
  if (list === null) return null;
  const items: RetentionItem[] = [];
  for (const raw of list as unknown[]) {
    if (typeof raw !== 'object' || raw === null) continue;
    const r = raw as Record<string, unknown>;
    const label = str(r.label) ?? str(r.title) ?? str(r.name) ?? str(r.category);
    if (label === null) continue;
    items.push({
      label,
      days: num(r.days) ?? num(r.retentionDays) ?? num(r.keepDays),
      description: str(r.description) ?? str(r.purpose),
    });
  }
  return {
    items,
    publishedAt: str(record.publishedAt) ?? str(record.generatedAt),
    version: str(record.version),
  };
}

/** The published schedule, or null when the core does not serve one (yet). */
export async function loadRetentionSchedule(
  client: ApiClient,
  language: Language,
): Promise<RetentionSchedule | null> {
  try {
    const body = await client.get<unknown>('/privacy/retention-schedule', {
      query: { language },
    });
    return scheduleOf(body);
  } catch {
    return null;
  }
}

/** The consent text for this language: the catalogue's until the core publishes texts. */
export function loadConsentText(_client: ApiClient, _language: Language): Promise<ConsentText> {
  return Promise.resolve({
    version: CATALOGUE_CONSENT_VERSION,
    text: null,
    purposes: ['biometric_processing', 'identity_verification'],
  });
}

/**
 * Records the consent. `signature` is the End-User's written release (verikiosk signature
 * JSON, with the pad's device id when signed on a pad); the consent route does not take it yet,
 * so it stays in memory only and is dropped with the session.
 */
export function recordConsent(
  api: KioskApi,
  sessionId: string,
  text: ConsentText,
  language: Language,
  _signature: { signature: unknown; deviceId?: string | undefined },
): Promise<Session> {
  return api.consent(sessionId, { version: text.version, language, purposes: text.purposes });
}
