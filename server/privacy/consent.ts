/**
 * Consent (PRIV-1): the texts as versioned data, the written release, the capture gate and
 * withdrawal.
 *
 * Texts: `consent-texts/` holds a template per purpose and language; `publishConsentTexts`
 * (at every start) fills in the retention terms of the policy in force and the schedule's path,
 * hashes the exact wording (SHA-256 of title, blank line, body) and stores a new version row
 * when the wording differs from the newest one. A text is never updated: a changed text, whether
 * its template or the policy it names changed, is a new version, and every consent record keeps
 * the id, version and hash of the text agreed to.
 *
 * The written release: the End-User's signature on the pad (the signature capture's JSON
 * format) is stored sealed under the subject's key as a signature sample with its PNG render,
 * with time, kiosk, branch, text version and hash, in the session's consent transaction.
 *
 * Withdrawal stops processing for the purpose at once (the capture gate refuses) and, for a
 * biometric purpose, destroys the subject's templates and samples in the same transaction
 * (`template.deleted` events take them out of the running 1:N face index), with one destruction
 * certificate per category; then the files are checkpointed so no page image remains.
 */
import { createHash } from 'node:crypto';
import {
  CONSENT_PURPOSES,
  RETENTION_SCHEDULE_PATH,
  type ConsentCapture,
  type ConsentLanguage,
  type ConsentPurpose,
  type ConsentTextDto,
  type ConsentWithdrawalResult,
  type WithdrawalChannel,
} from '../../contract/consents.js';
import {
  deleteTemplateRows,
  renderSignaturePng,
  signatureFromJson,
  signatureToJson,
} from '../biometrics/index.js';
import { tryParseIsoDuration, type RetentionRule } from '../config/index.js';
import { emitEvent } from '../events/index.js';
import {
  newId,
  subjectExists,
  type ReadableDb,
  type Vault,
  type WritableDb,
} from '../vault/index.js';
import { CONSENT_TEMPLATES, type ConsentTemplate } from './consent-texts/index.js';
import * as store from './consent-store.js';

export type ConsentErrorReason =
  | 'consent_missing'
  | 'consent_incomplete'
  | 'consent_text_outdated'
  | 'unknown_subject'
  | 'unknown_verification'
  | 'guardian_not_approved'
  | 'guardian_required'
  | 'guardian_is_minor'
  | 'kiosk_window_closed';

/** A consent rule refused the request: `reason` is the client's `rule`; `kind` picks the status. */
export class ConsentError extends Error {
  override name = 'ConsentError';
  constructor(
    readonly reason: ConsentErrorReason,
    readonly kind: 'not_found' | 'refused' | 'conflict',
    message: string,
  ) {
    super(message);
  }
}

/** The purpose a session's captures need: its kind's. */
export function purposeOfSession(kind: 'identity' | 'authentication'): ConsentPurpose {
  return kind === 'identity' ? 'biometric_processing' : 'authentication';
}

/** Purposes whose withdrawal destroys the subject's biometric templates and samples. */
export const BIOMETRIC_PURPOSES: readonly ConsentPurpose[] = [
  'biometric_processing',
  'authentication',
];

// ---- texts --------------------------------------------------------------------------------------

const UNITS: Record<
  ConsentLanguage,
  Record<'years' | 'months' | 'weeks' | 'days' | 'hours' | 'minutes' | 'seconds', [string, string]>
> = {
  en: {
    years: ['year', 'years'],
    months: ['month', 'months'],
    weeks: ['week', 'weeks'],
    days: ['day', 'days'],
    hours: ['hour', 'hours'],
    minutes: ['minute', 'minutes'],
    seconds: ['second', 'seconds'],
  },
  es: {
    years: ['año', 'años'],
    months: ['mes', 'meses'],
    weeks: ['semana', 'semanas'],
    days: ['día', 'días'],
    hours: ['hora', 'horas'],
    minutes: ['minuto', 'minutos'],
    seconds: ['segundo', 'segundos'],
  },
  de: {
    years: ['Jahr', 'Jahre'],
    months: ['Monat', 'Monate'],
    weeks: ['Woche', 'Wochen'],
    days: ['Tag', 'Tage'],
    hours: ['Stunde', 'Stunden'],
    minutes: ['Minute', 'Minuten'],
    seconds: ['Sekunde', 'Sekunden'],
  },
};
const AND: Record<ConsentLanguage, string> = { en: 'and', es: 'y', de: 'und' };
const AT_ONCE: Record<ConsentLanguage, string> = {
  en: 'at once',
  es: 'de inmediato',
  de: 'sofort',
};
const NO_TERM: Record<ConsentLanguage, string> = {
  en: 'as the retention schedule states',
  es: 'según los plazos de conservación publicados',
  de: 'gemäß den veröffentlichten Aufbewahrungsfristen',
};

/** A period in the text's language: "3 years", "30 días", "1 Jahr und 6 Monate". */
export function localPeriod(after: string, language: ConsentLanguage): string {
  const parsed = tryParseIsoDuration(after);
  if (parsed === undefined) return NO_TERM[language];
  const units = UNITS[language];
  const parts = (Object.keys(units) as (keyof typeof units)[])
    .filter((u) => parsed[u] !== 0)
    .map((u) => `${parsed[u]} ${units[u][parsed[u] === 1 ? 0 : 1]}`);
  const last = parts.pop();
  if (last === undefined) return AT_ONCE[language];
  return parts.length === 0 ? last : `${parts.join(', ')} ${AND[language]} ${last}`;
}

/** The placeholders a template may use, each a retention rule's period (or the schedule). */
const TERM_RULES: Record<string, string> = {
  one_off: 'biometrics.one_off_decision',
  inactivity: 'biometrics.inactivity',
  document_images: 'document_images.after_decision',
  records: 'records.inactivity',
};

export interface RenderedText {
  title: string;
  body: string;
  hash: string;
}

export function textHash(title: string, body: string): string {
  return createHash('sha256').update(`${title}\n\n${body}`, 'utf8').digest('hex');
}

/** A template with the policy's terms and the schedule's path filled in, and its hash. */
export function renderConsentText(
  template: ConsentTemplate,
  rules: readonly RetentionRule[],
): RenderedText {
  const body = template.body.replace(/\{\{([a-z_]+)\}\}/g, (_, name: string) => {
    if (name === 'schedule') return RETENTION_SCHEDULE_PATH;
    const ruleId = TERM_RULES[name];
    if (ruleId === undefined) throw new Error(`consent template: unknown placeholder ${name}`);
    const rule = rules.find((r) => r.id === ruleId);
    return rule === undefined
      ? NO_TERM[template.language]
      : localPeriod(rule.after, template.language);
  });
  return { title: template.title, body, hash: textHash(template.title, body) };
}

/**
 * Stores a new version of every text whose wording (as rendered from the policy in force)
 * differs from its newest version; returns how many new versions were published.
 */
export function publishConsentTexts(
  vault: Vault,
  rules: readonly RetentionRule[],
  policyVersion: number | null,
  templates: readonly ConsentTemplate[] = CONSENT_TEMPLATES,
): number {
  return vault.write((db) => {
    let published = 0;
    for (const template of templates) {
      const rendered = renderConsentText(template, rules);
      const [current] = store.currentTexts(db, {
        language: template.language,
        purpose: template.purpose,
      });
      if (current !== undefined && current.textHash === rendered.hash) continue;
      // A text the fleet's hub pushed wins over the local template (see fleet/pushed-apply.ts).
      if (
        current !== undefined &&
        isFleetText(current.templateVersion) &&
        store.fleetManagesText(db, template.purpose, template.language)
      )
        continue;
      const n = store.textVersionCount(db, template.purpose, template.language) + 1;
      const id = newId('ctx');
      const version = `${template.version}.${n}`;
      store.insertText(db, {
        id,
        purpose: template.purpose,
        version,
        language: template.language,
        title: rendered.title,
        body: rendered.body,
        textHash: rendered.hash,
        templateVersion: template.version,
        policyVersion,
        publishedAt: vault.now.toISOString(),
      });
      vault.audit({
        actor: 'system',
        action: 'consent_text.published',
        objectType: 'consent_text',
        objectId: id,
        details: {
          purpose: template.purpose,
          language: template.language,
          version,
          hash: rendered.hash,
          policyVersion,
        },
      });
      published += 1;
    }
    return published;
  });
}

/** The template version a text pushed by the fleet's hub carries: its list entry id. */
export const fleetTextTemplate = (entryId: string): string => `${FLEET_TEXT_PREFIX}${entryId}`;
const FLEET_TEXT_PREFIX = 'fleet:';
const isFleetText = (templateVersion: string | null): boolean =>
  templateVersion?.startsWith(FLEET_TEXT_PREFIX) ?? false;

/**
 * Publishes a text pushed by the fleet's hub as the newest version of its purpose and language:
 * the same row and `consent_text.published` audit as a text published at start, with its
 * provenance (hub version, entry id). From then on the start's publication skips it.
 */
export function publishFleetConsentText(
  db: WritableDb,
  vault: Vault,
  text: {
    purpose: ConsentPurpose;
    language: ConsentLanguage;
    title: string;
    body: string;
    hubVersion: number;
    entryId: string;
  },
): string {
  const id = newId('ctx');
  const version = `fleet-${text.hubVersion}`;
  const hash = textHash(text.title, text.body);
  const policyVersion = store.latestPolicyVersion(db)?.version ?? null;
  store.insertText(db, {
    id,
    purpose: text.purpose,
    version,
    language: text.language,
    title: text.title,
    body: text.body,
    textHash: hash,
    templateVersion: fleetTextTemplate(text.entryId),
    policyVersion,
    publishedAt: vault.now.toISOString(),
  });
  vault.audit({
    actor: fleetTextTemplate(text.entryId),
    action: 'consent_text.published',
    objectType: 'consent_text',
    objectId: id,
    details: {
      purpose: text.purpose,
      language: text.language,
      version,
      hash,
      policyVersion,
      source: 'fleet',
      hubVersion: text.hubVersion,
      entryId: text.entryId,
    },
  });
  return id;
}

export function consentTexts(
  vault: Vault,
  filter: { language?: ConsentLanguage | undefined; purpose?: ConsentPurpose | undefined } = {},
): ConsentTextDto[] {
  return vault
    .read((db) => store.currentTexts(db, filter))
    .map((t) => ({
      purpose: t.purpose as ConsentPurpose,
      language: t.language as ConsentLanguage,
      version: t.version,
      hash: t.textHash,
      title: t.title,
      body: t.body,
      policyVersion: t.policyVersion,
      retentionScheduleUrl: RETENTION_SCHEDULE_PATH,
      publishedAt: t.publishedAt,
    }));
}

// ---- the capture gate -----------------------------------------------------------------------------

/** Throws `consent_missing` unless the subject's consent for the purpose is in force. */
export function requireConsent(db: ReadableDb, subjectId: string, purpose: ConsentPurpose): void {
  if (!store.hasConsent(db, subjectId, purpose)) {
    throw new ConsentError(
      'consent_missing',
      'refused',
      `no consent for ${purpose} is in force for this subject: nothing is captured for it`,
    );
  }
}

export function hasConsent(vault: Vault, subjectId: string, purpose: ConsentPurpose): boolean {
  return vault.read((db) => store.hasConsent(db, subjectId, purpose));
}

/**
 * Whether an event carrying a verification's result may go to the branch system (webhooks):
 * `verification.decided` and `case.decided` only while the subject's `data_sharing` consent is
 * in force. A session without a subject (stopped under the minimum age) holds nothing of anyone
 * and is shared; other events are not results.
 */
export function resultShareable(
  db: ReadableDb,
  event: { readonly type: string; readonly payload: unknown },
): boolean {
  if (event.type !== 'verification.decided' && event.type !== 'case.decided') return true;
  const verificationId = (event.payload as { verificationId?: unknown }).verificationId;
  if (typeof verificationId !== 'string') return true;
  const subjectId = db
    .prepare('SELECT subject_id FROM verifications WHERE id = ?')
    .pluck()
    .get(verificationId) as string | null | undefined;
  if (subjectId === undefined || subjectId === null) return true;
  return store.hasConsent(db, subjectId, 'data_sharing');
}

// ---- the written release ------------------------------------------------------------------------

/** The signature, parsed and rendered outside any transaction. */
export interface WrittenRelease {
  readonly json: Uint8Array;
  readonly png: Uint8Array;
}

/**
 * Parses the pad's signature (a SignatureFormatError, 422, for one out of range) and renders
 * it. The render's y axis points down, as a pad's and a screen's do.
 */
export function prepareWrittenRelease(input: ConsentCapture): WrittenRelease {
  const signature = signatureFromJson(input.signature);
  const encoder = new TextEncoder();
  return {
    json: encoder.encode(JSON.stringify(signatureToJson(signature))),
    png: renderSignaturePng(signature, { width: 600, yUp: false }),
  };
}

export const SIGNATURE_SAMPLE_MIME = 'application/vnd.verikiosk.signature+json';

/**
 * Records a written consent in the caller's transaction: every text named must be the current
 * version in that language; one consent row per purpose, all pointing at the one signature
 * sample and its render. `signerSubjectId` owns the samples (the guardian's own subject when a
 * guardian signs for a minor).
 */
export function recordWrittenConsent(
  vault: Vault,
  db: WritableDb,
  input: {
    subjectId: string;
    signerSubjectId: string;
    verificationId: string;
    kioskId: string | null;
    capture: ConsentCapture;
    release: WrittenRelease;
    givenBy: 'subject' | 'guardian';
    guardianVerificationId: string | null;
    actor: string;
  },
): { purposes: ConsentPurpose[]; consentIds: string[] } {
  const { capture } = input;
  const current = new Map(
    store.currentTexts(db, { language: capture.language }).map((t) => [t.purpose, t] as const),
  );
  const texts = capture.texts.map((shown) => {
    const text = current.get(shown.purpose);
    if (text === undefined || text.version !== shown.version) {
      throw new ConsentError(
        'consent_text_outdated',
        'conflict',
        `the ${shown.purpose} text shown is not the current version: show the current text and sign again`,
      );
    }
    return text;
  });
  const at = vault.now.toISOString();
  const owner = { subjectId: input.signerSubjectId };
  const sample = (mime: string, bytes: Uint8Array): string => {
    const id = newId('smp');
    const ref = { table: 'biometric_samples', column: 'sample_enc', rowId: id };
    db.prepare(
      `INSERT INTO biometric_samples (id, subject_id, verification_id, modality, mime, sample_enc, created_at)
       VALUES (?, ?, ?, 'signature', ?, ?, ?)`,
    ).run(id, input.signerSubjectId, input.verificationId, mime, vault.seal(owner, ref, bytes), at);
    return id;
  };
  const signatureSampleId = sample(SIGNATURE_SAMPLE_MIME, input.release.json);
  const renderSampleId = sample('image/png', input.release.png);
  const branch = input.kioskId === null ? null : store.kioskBranch(db, input.kioskId);
  const consentIds: string[] = [];
  for (const text of texts) {
    const id = newId('cns');
    store.insertConsent(db, {
      id,
      subjectId: input.subjectId,
      verificationId: input.verificationId,
      textId: text.id,
      purpose: text.purpose,
      version: text.version,
      textHash: text.textHash,
      language: capture.language,
      at,
      kioskId: input.kioskId,
      branch,
      givenBy: input.givenBy,
      guardianVerificationId: input.guardianVerificationId,
      signatureSampleId,
      renderSampleId,
    });
    consentIds.push(id);
  }
  const purposes = texts.map((t) => t.purpose as ConsentPurpose);
  vault.audit({
    actor: input.actor,
    action: 'consent.granted',
    objectType: 'subject',
    objectId: input.subjectId,
    details: {
      verification: input.verificationId,
      purposes,
      language: capture.language,
      versions: texts.map((t) => t.version),
      givenBy: input.givenBy,
    },
  });
  emitEvent(
    db,
    {
      type: 'consent.granted',
      payload: {
        subjectId: input.subjectId,
        verificationId: input.verificationId,
        purposes,
        givenBy: input.givenBy,
      },
    },
    vault.now,
  );
  return { purposes, consentIds };
}

// ---- withdrawal ---------------------------------------------------------------------------------

/**
 * Withdraws the subject's consent for a purpose: processing for it stops at once (the capture
 * gate reads `withdrawn_at`); for a biometric purpose the subject's templates and samples are
 * destroyed in the same transaction (unless a legal hold keeps them: the withdrawal still
 * stands), each category with a destruction certificate. Idempotent: a second withdrawal finds
 * nothing in force and destroys what (if anything) was collected since.
 */
export function withdrawConsent(vault: Vault, input: WithdrawalInput): ConsentWithdrawalResult {
  const result = vault.write((db) => withdrawConsentIn(vault, db, input));
  // The deleted rows' page images leave the WAL and the file (pending until then: see the vault).
  if (result.destroyed.length > 0) vault.checkpoint();
  return result;
}

export interface WithdrawalInput {
  subjectId: string;
  purpose: ConsentPurpose;
  channel: WithdrawalChannel;
  actor: string;
}

/**
 * The withdrawal inside the caller's transaction (a data-subject request's): the caller
 * checkpoints after its commit when `destroyed` is not empty.
 */
export function withdrawConsentIn(
  vault: Vault,
  db: WritableDb,
  input: WithdrawalInput,
): ConsentWithdrawalResult {
  const { subjectId, purpose, channel, actor } = input;
  if (!subjectExists(db, subjectId)) {
    throw new ConsentError('unknown_subject', 'not_found', 'No such resource.');
  }
  const now = vault.now;
  const at = now.toISOString();
  const withdrawn = store.markWithdrawn(db, { subjectId, purpose, at, actor, channel });
  const held = vault.activeLegalHolds(subjectId) > 0;
  const destroyed: ConsentWithdrawalResult['destroyed'] = [];
  if (BIOMETRIC_PURPOSES.includes(purpose) && !held) {
    const templates = deleteTemplateRows(db, store.templateIdsOf(db, subjectId), now);
    const samples = store.deleteSamplesOf(db, subjectId);
    vault.recordDestroyedRows(templates + samples);
    for (const [category, count] of [
      ['biometric_templates', templates],
      ['biometric_samples', samples],
    ] as const) {
      if (count === 0) continue;
      const certificateId = newId('dcert');
      const entry = vault.audit({
        actor,
        action: 'consent.destroyed',
        objectType: 'destruction_certificate',
        objectId: certificateId,
        details: { category, count, rule: 'biometrics.consent_withdrawn', purpose, channel },
      });
      store.insertCertificate(db, {
        id: certificateId,
        category,
        ruleId: 'biometrics.consent_withdrawn',
        count,
        at,
        auditSeq: entry.seq,
      });
      destroyed.push({ category, count, certificateId });
    }
  }
  vault.audit({
    actor,
    action: 'consent.withdrawn',
    objectType: 'subject',
    objectId: subjectId,
    details: { purpose, channel, withdrawn, held },
  });
  emitEvent(
    db,
    { type: 'consent.withdrawn', payload: { subjectId, purpose, channel, withdrawn } },
    now,
  );
  return {
    subjectId,
    purpose,
    channel,
    withdrawnAt: at,
    withdrawn,
    destroyed,
    heldByLegalHold: held,
  };
}

export function isConsentPurpose(value: string): value is ConsentPurpose {
  return (CONSENT_PURPOSES as readonly string[]).includes(value);
}
