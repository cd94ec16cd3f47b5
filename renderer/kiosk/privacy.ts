/**
 * What the End-User reads before the first capture: the published retention schedule
 * (`GET /privacy/retention-schedule`, JSON by content negotiation, PRIV-2) and the consent texts
 * (`GET /api/v1/consent-texts`, PRIV-1: versioned per language and purpose, each with its hash on
 * the core). Both are fetched here and only here. The consent is recorded as the written release:
 * the texts shown (purpose and version) and the End-User's signature.
 */
import type { ConsentCapture, ConsentPurpose, ConsentTextDto } from '../../contract/index.js';
import type { ApiClient } from '../shared/api.js';
import type { Language } from '../shared/i18n/index.js';
import type { KioskApi, Session } from './api.js';

export interface RetentionItem {
  /** What is kept (the category's title as the core publishes it). */
  label: string;
  /** How long, in whole days, when the rule is in days; null: see `period`. */
  days: number | null;
  /** The core's own wording of the period (e.g. "1 year"), shown when it is not in days. */
  period: string | null;
  description: string | null;
}

export interface RetentionSchedule {
  items: RetentionItem[];
  publishedAt: string | null;
  version: string | null;
  /** How long a backup can keep destroyed data (the core's statement). */
  backups: string | null;
}

/** The consent texts shown together: one per purpose the session needs, in one language. */
export interface ConsentText {
  /** The versions recorded with the consent, e.g. "biometric_processing 2026-12-07.1". */
  version: string;
  texts: { purpose: ConsentPurpose; version: string; title: string; body: string }[];
}

/** The purposes an identity session at the kiosk asks consent for. */
export const KIOSK_CONSENT_PURPOSES: readonly ConsentPurpose[] = [
  'biometric_processing',
  'data_sharing',
];

const str = (v: unknown): string | null => (typeof v === 'string' && v !== '' ? v : null);
const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

const DAYS = /^P(\d+)D$/;

/** Reads the core's published schedule: categories, each with its rules in force. */
function scheduleOf(body: unknown): RetentionSchedule | null {
  if (typeof body !== 'object' || body === null) return null;
  const record = body as Record<string, unknown>;
  if (!Array.isArray(record.categories)) return null;
  const items: RetentionItem[] = [];
  for (const raw of record.categories as unknown[]) {
    if (typeof raw !== 'object' || raw === null) continue;
    const category = raw as Record<string, unknown>;
    const label = str(category.title) ?? str(category.category);
    if (label === null || !Array.isArray(category.rules)) continue;
    for (const ruleRaw of category.rules as unknown[]) {
      if (typeof ruleRaw !== 'object' || ruleRaw === null) continue;
      const rule = ruleRaw as Record<string, unknown>;
      const days = DAYS.exec(str(rule.after) ?? '');
      items.push({
        label,
        days: days ? Number(days[1]) : null,
        period: str(rule.period),
        description: str(rule.description),
      });
    }
  }
  const backups = record.backups as Record<string, unknown> | undefined;
  const version = num(record.policyVersion);
  return {
    items,
    publishedAt: str(record.generatedAt),
    version: version === null ? null : String(version),
    backups: str(backups?.statement),
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

/** The current consent texts for this language and the purposes (null: unavailable). */
export async function loadConsentText(
  client: ApiClient,
  language: Language,
  purposes: readonly ConsentPurpose[] = KIOSK_CONSENT_PURPOSES,
): Promise<ConsentText | null> {
  try {
    const { data } = await client.get<{ data: ConsentTextDto[] }>('/api/v1/consent-texts', {
      query: { language },
    });
    const texts = purposes.map((purpose) => data.find((t) => t.purpose === purpose));
    if (texts.some((t) => t === undefined)) return null;
    const shown = texts.flatMap((t) =>
      t ? [{ purpose: t.purpose, version: t.version, title: t.title, body: t.body }] : [],
    );
    return { version: shown.map((t) => t.version).join(', '), texts: shown };
  } catch {
    return null;
  }
}

/**
 * Records the consent: the texts shown and the End-User's written release (verikiosk signature
 * JSON, with the pad's device id when signed on a pad).
 */
export function recordConsent(
  api: KioskApi,
  sessionId: string,
  text: ConsentText,
  language: Language,
  release: { signature: unknown; deviceId?: string | undefined },
): Promise<Session> {
  const body: ConsentCapture = {
    language,
    texts: text.texts.map(({ purpose, version }) => ({ purpose, version })),
    signature: release.signature as Record<string, unknown>,
    ...(release.deviceId === undefined ? {} : { deviceId: release.deviceId }),
  };
  return api.consent(sessionId, body);
}
