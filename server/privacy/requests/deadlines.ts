/**
 * Deadlines of data-subject requests: the regime follows the subject's jurisdiction (config
 * privacyRequests), the due time follows the regime. GDPR Art. 12(3): one month from receipt,
 * extendable once by two further months; CCPA §1798.130: 45 days, extendable once by 45 more.
 * Any other regime is held to the GDPR's (the stricter) terms.
 */
import type { PrivacyRegime } from '../../../contract/privacy-requests.js';

export interface RegimeSettings {
  jurisdiction: string;
  regimeByJurisdiction: Readonly<Record<string, PrivacyRegime>>;
  defaultRegime: PrivacyRegime;
}

/** The regime of a jurisdiction: its own entry, else its country's, else the default. */
export function regimeOf(
  jurisdiction: string | undefined,
  settings: RegimeSettings,
): PrivacyRegime {
  const code = jurisdiction ?? settings.jurisdiction;
  const country = code.split('-')[0] ?? code;
  return (
    settings.regimeByJurisdiction[code] ??
    settings.regimeByJurisdiction[country] ??
    settings.defaultRegime
  );
}

const DAY = 86_400_000;

/** Adds calendar months in UTC, clamping to the month's last day (31 Jan + 1 month = 28/29 Feb). */
export function addMonths(at: Date, months: number): Date {
  const target = new Date(at.getTime());
  const day = target.getUTCDate();
  target.setUTCDate(1);
  target.setUTCMonth(target.getUTCMonth() + months);
  const last = new Date(
    Date.UTC(target.getUTCFullYear(), target.getUTCMonth() + 1, 0),
  ).getUTCDate();
  target.setUTCDate(Math.min(day, last));
  return target;
}

/** When a request received at `receivedAt` is due. */
export function dueDate(regime: PrivacyRegime, receivedAt: Date): Date {
  return regime === 'ccpa' ? new Date(receivedAt.getTime() + 45 * DAY) : addMonths(receivedAt, 1);
}

/** The due time after the one extension the law allows. */
export function extendedDueDate(regime: PrivacyRegime, dueAt: Date): Date {
  return regime === 'ccpa' ? new Date(dueAt.getTime() + 45 * DAY) : addMonths(dueAt, 2);
}

/** The start of the CCPA's twelve-month window ending at `at`. */
export function twelveMonthsBefore(at: Date): Date {
  return addMonths(at, -12);
}
