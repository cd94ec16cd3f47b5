/**
 * Data-subject requests (PRIV-3): filed, identity verified, deadlines tracked, fulfilled.
 *
 * A request is accepted only with the requester's identity proven against the subject (an approved
 * authentication session of theirs, the same document presented again, or staff with evidence);
 * a refused request writes nothing. Accepted, it is acknowledged at once and fulfilled:
 * deletion, correction, restriction, objection and consent withdrawal in the same transaction;
 * access and portability by a background export job (progress on the request, the bundle sealed
 * under the subject's key, downloaded when ready). Each completion emits
 * `privacy_request.completed` in its transaction.
 */
import { Gauge, type Registry } from 'prom-client';
import type {
  IdentityUnverifiedRule,
  Correction,
  ExtensionReason,
  IdentityProof,
  PrivacyRequestCreate,
  PrivacyRequestDto,
  PrivacyRequestListQuery,
  RequestChannel,
  Requester,
  RetainedItem,
} from '../../../contract/index.js';
import { emitEvent } from '../../events/index.js';
import {
  newId,
  normaliseDocumentNumber,
  restrictSubject,
  subjectStatus,
  type Vault,
  type WritableDb,
} from '../../vault/index.js';
import {
  dueDate,
  extendedDueDate,
  regimeOf,
  twelveMonthsBefore,
  type RegimeSettings,
} from './deadlines.js';
import type { ConsentPurpose } from '../../../contract/consents.js';
import { withdrawConsentIn } from '../consent.js';
import { buildSubjectExport } from './export.js';
import * as store from './store.js';
import { RefusalError } from '../../own-error.js';

/** A refused request: `reason` names the rule, `problem` how the API answers. No value inside. */
export class PrivacyRequestError extends RefusalError {
  override name = 'PrivacyRequestError';
}

/** Who files or reads a request. */
export interface RequestCaller {
  readonly actor: string;
  readonly channel: RequestChannel;
  /** The kiosk filing or reading (it sees only the requests it filed). */
  readonly kioskId: string | null;
}

export interface PrivacyRequestSettings extends RegimeSettings {
  ccpaAccessRequestsPerYear: number;
}

export interface PrivacyRequestServiceOptions {
  /** Run export jobs (false: they wait, e.g. a test of deadlines on a queue that does not move). */
  runExports?: boolean;
  /** Prometheus registry for the overdue gauge. */
  registry?: Registry;
  /** Told when an export job fails (its request stays open, outcome `export_failed`). */
  onExportError?: (requestId: string, error: unknown) => void;
}

/** An authentication session proves identity only this long after its decision. */
const AUTHENTICATION_FRESH_MS = 30 * 60_000;
const PAGE_SIZE = 50;

export class PrivacyRequestService {
  readonly #jobs = new Map<string, Promise<void>>();
  readonly #runExports: boolean;
  readonly #onExportError: (requestId: string, error: unknown) => void;

  constructor(
    readonly vault: Vault,
    readonly settings: PrivacyRequestSettings,
    options: PrivacyRequestServiceOptions = {},
  ) {
    this.#runExports = options.runExports ?? true;
    this.#onExportError = options.onExportError ?? (() => undefined);
    if (options.registry !== undefined) {
      const gauge = new Gauge({
        name: 'verikiosk_privacy_requests_overdue',
        help: 'Data-subject requests open past their due time',
        registers: [options.registry],
        // Read at each scrape: the count moves with the clock, not only with writes.
        collect: () => {
          try {
            if (this.vault.isOpen) gauge.set(this.overdueCount());
          } catch {
            // the gauge keeps its last value; health reports the database problem
          }
        },
      });
    }
  }

  // ---- filing ---------------------------------------------------------------------------------

  file(input: PrivacyRequestCreate, caller: RequestCaller): PrivacyRequestDto {
    const vault = this.vault;
    const now = vault.now;
    const at = now.toISOString();
    const id = newId('prq');
    const regime = regimeOf(input.jurisdiction, this.settings);
    const subjectId = input.subjectId;
    const owner = { subjectId };
    let deletion = false;
    let withdrew = false;
    const requester = input.requester ?? null;
    // The kiosk files for the person in front of it, proven by their own face or document.
    if (caller.channel === 'kiosk' && requester !== null && requester.relation !== 'subject') {
      throw new PrivacyRequestError(
        'agent_not_at_kiosk',
        'rule_violation',
        'an agent or guardian files at the desk or through the branch system, not at a kiosk',
      );
    }
    vault.write((db) => {
      if (subjectStatus(db, subjectId) === null) {
        throw new PrivacyRequestError('unknown_subject', 'not_found', 'No such subject.');
      }
      const proof = this.#verifyIdentity(db, input.identity, subjectId, caller, now);
      if (
        regime === 'ccpa' &&
        (input.type === 'access' || input.type === 'portability') &&
        store.countAccessRequestsSince(db, subjectId, twelveMonthsBefore(now).toISOString()) >=
          this.settings.ccpaAccessRequestsPerYear
      ) {
        throw new PrivacyRequestError(
          'ccpa_access_limit',
          'privacy_request_limit',
          `under the CCPA a subject may make at most ${this.settings.ccpaAccessRequestsPerYear} access or portability requests in twelve months`,
        );
      }
      const purposes: string[] = 'purposes' in input ? [...new Set<string>(input.purposes)] : [];
      store.insertRequest(db, {
        id,
        type: input.type,
        subjectId,
        regime,
        channel: caller.channel,
        kioskId: caller.kioskId,
        filedBy: caller.actor,
        requester: requester?.relation ?? 'subject',
        identityMethod: input.identity.method,
        identityRef: proof.ref,
        purposes,
        receivedAt: at,
        dueAt: dueDate(regime, now).toISOString(),
      });
      if (input.identity.method === 'staff_evidence') {
        const ref = { table: 'privacy_request_data', column: 'evidence_enc', rowId: id };
        store.setRequestValue(
          db,
          id,
          subjectId,
          'evidence_enc',
          vault.seal(owner, ref, input.identity.evidence),
        );
      }
      if (requester !== null) {
        // Where the answer goes: the subject's data (their request), sealed under their key.
        const ref = { table: 'privacy_request_data', column: 'requester_enc', rowId: id };
        store.setRequestValue(
          db,
          id,
          subjectId,
          'requester_enc',
          vault.seal(owner, ref, JSON.stringify(requester)),
        );
      }
      vault.audit({
        actor: caller.actor,
        action: 'privacy_request.received',
        objectType: 'privacy_request',
        objectId: id,
        details: {
          type: input.type,
          subject: subjectId,
          regime,
          channel: caller.channel,
          requester: requester?.relation ?? 'subject',
          identityMethod: input.identity.method,
          identityRef: proof.ref,
        },
      });
      switch (input.type) {
        case 'access':
        case 'portability':
          return; // the export job completes it
        case 'deletion':
          deletion = this.#delete(db, id, subjectId, caller.actor);
          return;
        case 'correction':
          this.#correct(db, id, subjectId, input.correction, caller.actor);
          return;
        case 'restriction':
          restrictSubject(db, subjectId);
          this.#complete(db, id, subjectId, input.type, 'fulfilled', caller.actor, {});
          return;
        case 'objection':
          store.insertObjections(db, subjectId, purposes, id, at);
          this.#complete(db, id, subjectId, input.type, 'fulfilled', caller.actor, {
            purposes,
          });
          return;
        case 'consent_withdrawal':
          withdrew = this.#withdraw(db, id, subjectId, [...new Set(input.purposes)], caller);
          return;
      }
    });
    // The destruction reaches the files once this transaction has committed (see vault).
    if (deletion) vault.retryPendingDestructions();
    // The withdrawn biometrics' page images leave the WAL and the file.
    if (withdrew) vault.checkpoint();
    if (input.type === 'access' || input.type === 'portability') this.startExport(id);
    return this.get(id, caller);
  }

  #verifyIdentity(
    db: WritableDb,
    proof: IdentityProof,
    subjectId: string,
    caller: RequestCaller,
    now: Date,
  ): { ref: string | null } {
    const refuse: (reason: IdentityUnverifiedRule, message: string) => never = (
      reason,
      message,
    ) => {
      throw new PrivacyRequestError(reason, 'identity_unverified', message);
    };
    switch (proof.method) {
      case 'authentication': {
        const row = db
          .prepare(
            `SELECT subject_id, kind, status, decision, decided_at, kiosk_id FROM verifications WHERE id = ?`,
          )
          .get(proof.verificationId) as
          | {
              subject_id: string | null;
              kind: string;
              status: string;
              decision: string | null;
              decided_at: string | null;
              kiosk_id: string | null;
            }
          | undefined;
        if (row === undefined || row.subject_id !== subjectId || row.kind !== 'authentication') {
          refuse(
            'authentication_not_approved',
            'the verification is not an approved authentication of this subject',
          );
        }
        // The subject's own authentication still with staff may yet be approved: ask again.
        // Declined (by the policy or by staff) or cancelled, it never will: final.
        if (row.status === 'review') {
          refuse('authentication_in_review', 'the authentication is still being reviewed by staff');
        }
        if (!store.approvedAuthentication(db, proof.verificationId, subjectId)) {
          refuse(
            'authentication_not_approved',
            'the verification is not an approved authentication of this subject',
          );
        }
        if (
          row.decided_at === null ||
          now.getTime() - Date.parse(row.decided_at) > AUTHENTICATION_FRESH_MS
        ) {
          refuse('authentication_stale', 'the authentication is too old to prove identity now');
        }
        if (caller.kioskId !== null && row.kiosk_id !== caller.kioskId) {
          refuse('authentication_other_kiosk', 'the authentication was made at another kiosk');
        }
        return { ref: proof.verificationId };
      }
      case 'document': {
        const number = normaliseDocumentNumber(proof.documentNumber);
        const documentId =
          number === ''
            ? null
            : store.documentWithNumber(
                db,
                subjectId,
                this.vault.blindIndex('document_number', number),
              );
        if (documentId === null) {
          refuse('document_mismatch', "the document presented is not one of this subject's");
        }
        return { ref: documentId };
      }
      case 'staff_evidence':
        if (caller.channel !== 'staff') {
          refuse('evidence_staff_only', 'only staff may verify identity by recorded evidence');
        }
        return { ref: null };
    }
  }

  #complete(
    db: WritableDb,
    id: string,
    subjectId: string,
    type: string,
    outcome: string,
    actor: string,
    details: Record<string, string | number | boolean | null | readonly string[]>,
    retained: readonly RetainedItem[] = [],
  ): void {
    const now = this.vault.now;
    store.completeRequest(db, id, outcome, now.toISOString(), retained);
    emitEvent(
      db,
      { type: 'privacy_request.completed', payload: { requestId: id, subjectId, type, outcome } },
      now,
    );
    this.vault.audit({
      actor,
      action: 'privacy_request.completed',
      objectType: 'privacy_request',
      objectId: id,
      details: {
        type,
        outcome,
        subject: subjectId,
        ...details,
        retained: retained.map((r) => `${r.category}:${r.reason}:${r.count}`),
      },
    });
  }

  /** Crypto-shreds the subject unless a legal hold keeps them; true when something was destroyed. */
  #delete(db: WritableDb, id: string, subjectId: string, actor: string): boolean {
    const vault = this.vault;
    const holds = vault.activeLegalHolds(subjectId);
    if (holds > 0) {
      this.#complete(db, id, subjectId, 'deletion', 'retained_under_legal_hold', actor, {}, [
        { category: 'subject', reason: 'legal_hold', count: holds },
      ]);
      return false;
    }
    const fraud = store.fraudEntriesFromSubject(db, subjectId);
    const retained: RetainedItem[] =
      fraud > 0
        ? [{ category: 'fraud_list_entries', reason: 'legal_retention_duty', count: fraud }]
        : [];
    // Completed first: the destruction below sets the request's subject_id to NULL.
    this.#complete(db, id, subjectId, 'deletion', 'fulfilled', actor, {}, retained);
    const outcome = vault.destroySubject(subjectId, { actor, reason: 'deletion_request' });
    return outcome.destroyed > 0;
  }

  #correct(
    db: WritableDb,
    id: string,
    subjectId: string,
    correction: Correction,
    actor: string,
  ): void {
    const vault = this.vault;
    const doc = store.subjectDocument(db, subjectId, correction.documentId);
    if (doc === null) {
      throw new PrivacyRequestError(
        'unknown_document',
        'not_found',
        'No such document of this subject.',
      );
    }
    const owner = { subjectId };
    const ref = { table: 'documents', column: 'record_enc', rowId: doc.id };
    const fields = Object.keys(correction.fields) as (keyof Correction['fields'])[];
    const { sealedRecord, sealedChange } = vault.openSealed(
      {
        actor,
        action: 'pii.read',
        purpose: 'correction_request',
        objectType: 'document',
        objectId: doc.id,
        details: { request: id, fields: fields.length },
      },
      [{ owner, ref, sealed: doc.recordEnc }],
      ([plaintext]) => {
        const stored = JSON.parse(new TextDecoder().decode(plaintext)) as {
          record: Record<string, unknown>;
        };
        const old: Record<string, unknown> = {};
        for (const field of fields) {
          old[field] = stored.record[field] ?? null;
          stored.record[field] = correction.fields[field];
        }
        return {
          value: {
            sealedRecord: vault.seal(owner, ref, JSON.stringify(stored)),
            sealedChange: vault.seal(
              owner,
              { table: 'privacy_request_data', column: 'change_enc', rowId: id },
              JSON.stringify({ documentId: doc.id, old, new: correction.fields }),
            ),
          },
          outcome: 'corrected',
        };
      },
    );
    store.replaceDocumentRecord(db, doc.id, sealedRecord);
    store.setRequestValue(db, id, subjectId, 'change_enc', sealedChange);
    vault.audit({
      actor,
      action: 'document.corrected',
      objectType: 'document',
      objectId: doc.id,
      // The field names only: old and new values are sealed with the request (change_enc).
      details: { request: id, fields },
    });
    this.#complete(db, id, subjectId, 'correction', 'fulfilled', actor, { fields });
  }

  /**
   * Withdraws consent for the purposes through the one withdrawal mechanism (PRIV-1: the
   * capture gate stops, a biometric purpose destroys the templates and samples with destruction
   * certificates unless a legal hold keeps them, the face index drops them through the feed);
   * withdrawing data sharing is also recorded as an objection.
   */
  #withdraw(
    db: WritableDb,
    id: string,
    subjectId: string,
    purposes: readonly ConsentPurpose[],
    caller: RequestCaller,
  ): boolean {
    const vault = this.vault;
    const results = purposes.map((purpose) =>
      withdrawConsentIn(vault, db, {
        subjectId,
        purpose,
        channel: caller.channel,
        actor: caller.actor,
      }),
    );
    store.insertObjections(
      db,
      subjectId,
      purposes.filter((p) => p === 'data_sharing'),
      id,
      vault.now.toISOString(),
    );
    const destroyed = results.flatMap((r) => r.destroyed);
    const count = (category: string) =>
      destroyed.filter((d) => d.category === category).reduce((n, d) => n + d.count, 0);
    this.#complete(db, id, subjectId, 'consent_withdrawal', 'fulfilled', caller.actor, {
      purposes,
      consents: results.reduce((n, r) => n + r.withdrawn, 0),
      templates: count('biometric_templates'),
      samples: count('biometric_samples'),
      certificates: destroyed.map((d) => d.certificateId),
      heldByLegalHold: results.some((r) => r.heldByLegalHold),
    });
    return destroyed.length > 0;
  }

  // ---- exports --------------------------------------------------------------------------------

  /** Starts the export job of an access or portability request (once; never blocks the caller). */
  startExport(id: string): void {
    if (!this.#runExports || this.#jobs.has(id)) return;
    const job = new Promise<void>((resolve) => setImmediate(resolve))
      .then(() => this.#runExport(id))
      .catch((error: unknown) => {
        if (this.vault.isOpen) {
          this.vault.write((db) => store.failExport(db, id, 'export_failed'));
        }
        this.#onExportError(id, error);
      })
      .finally(() => this.#jobs.delete(id));
    this.#jobs.set(id, job);
  }

  /** Starts the jobs of exports not yet built (after a restart). */
  resumeExports(): number {
    const pending = this.vault.read((db) => store.pendingExports(db));
    for (const id of pending) this.startExport(id);
    return pending.length;
  }

  /** Resolves when every running export job has ended. */
  async idle(): Promise<void> {
    while (this.#jobs.size > 0) await Promise.all([...this.#jobs.values()]);
  }

  async #runExport(id: string): Promise<void> {
    const vault = this.vault;
    const row = vault.read((db) => store.getRequest(db, id));
    if (row === null || row.completedAt !== null || row.subjectId === null) return;
    const subjectId = row.subjectId;
    let last = -1;
    const built = await buildSubjectExport(
      vault,
      { subjectId, requestId: id, actor: 'system' },
      (fraction) => {
        const progress = Math.min(99, Math.floor(fraction * 100));
        if (progress !== last && vault.isOpen) {
          last = progress;
          vault.write((db) => store.setProgress(db, id, progress));
        }
      },
    );
    if (!vault.isOpen) return;
    try {
      vault.write((db) => {
        // The subject may have been destroyed while the job ran: nothing to hand out then.
        if (subjectStatus(db, subjectId) === null) {
          this.#complete(db, id, subjectId, row.type, 'subject_destroyed', 'system', {});
          return;
        }
        store.insertExport(db, {
          requestId: id,
          subjectId,
          bytes: built.zip.length,
          items: built.items,
          bundleEnc: vault.seal(
            { subjectId },
            { table: 'privacy_request_data', column: 'bundle_enc', rowId: id },
            built.zip,
          ),
          at: vault.now.toISOString(),
        });
        this.#complete(db, id, subjectId, row.type, 'fulfilled', 'system', {
          items: built.items,
          bytes: built.zip.length,
        });
      });
    } finally {
      built.zip.fill(0);
    }
  }

  /** The export bundle (a zip), opened as an audited read for the request's purpose. */
  exportBundle(id: string, caller: RequestCaller): Uint8Array {
    const row = this.#load(id, caller);
    const bundle = this.vault.read((db) => store.getExport(db, id));
    if (bundle === null) {
      throw new PrivacyRequestError(
        'export_not_ready',
        'conflict',
        row.type === 'access' || row.type === 'portability'
          ? 'the export is not ready yet (see the request’s progress)'
          : 'this request has no export',
      );
    }
    return this.vault.openSealed(
      {
        actor: caller.actor,
        action: 'pii.read',
        purpose: 'access_request',
        objectType: 'privacy_request',
        objectId: id,
        details: { download: true },
      },
      [
        {
          owner: { subjectId: bundle.subjectId },
          ref: { table: 'privacy_request_data', column: 'bundle_enc', rowId: id },
          sealed: bundle.bundleEnc,
        },
      ],
      ([zip]) => ({ value: new Uint8Array(zip!), outcome: 'downloaded' }),
    );
  }

  /**
   * The requester's contact, for privacy staff sending the answer: one audited read (purpose
   * `request_answer`). Not for kiosks; gone once the subject is shredded.
   */
  requester(id: string, caller: RequestCaller): Requester {
    if (caller.kioskId !== null) {
      throw new PrivacyRequestError('unknown_request', 'not_found', 'No such resource.');
    }
    const row = this.#load(id, caller);
    const contact = this.vault.read((db) => store.requesterContact(db, id));
    if (contact === null) {
      throw new PrivacyRequestError(
        'requester_not_on_file',
        'not_found',
        'no requester contact is on file for this request (none was given, or the subject was destroyed)',
      );
    }
    return this.vault.openSealed(
      {
        actor: caller.actor,
        action: 'pii.read',
        purpose: 'request_answer',
        objectType: 'privacy_request',
        objectId: id,
        details: { requester: row.requester },
      },
      [
        {
          owner: { subjectId: contact.subjectId },
          ref: { table: 'privacy_request_data', column: 'requester_enc', rowId: id },
          sealed: contact.requesterEnc,
        },
      ],
      ([plain]) => ({
        value: JSON.parse(new TextDecoder().decode(plain)) as Requester,
        outcome: 'shown',
      }),
    );
  }

  // ---- reading and deadlines --------------------------------------------------------------------

  get(id: string, caller: RequestCaller): PrivacyRequestDto {
    return this.#dto(this.#load(id, caller));
  }

  list(
    query: PrivacyRequestListQuery,
    caller: RequestCaller,
  ): { items: PrivacyRequestDto[]; nextCursor: string | null; overdue: number } {
    const limit = query.limit ?? PAGE_SIZE;
    const now = this.vault.now.toISOString();
    const rows = this.vault.read((db) =>
      store.listRequests(db, {
        status: query.status,
        type: query.type,
        subjectRef: query.subjectId,
        overdueAt: query.overdue === 'true' ? now : undefined,
        kioskId: caller.kioskId ?? undefined,
        after: query.after,
        limit: limit + 1,
      }),
    );
    const page = rows.slice(0, limit);
    return {
      items: page.map((r) => this.#dto(r)),
      nextCursor: rows.length > limit ? (page[page.length - 1]?.id ?? null) : null,
      overdue: this.overdueCount(caller.kioskId),
    };
  }

  /** Open requests past their due time (a kiosk's own only, when one is named). */
  overdueCount(kioskId: string | null = null): number {
    const now = this.vault.now.toISOString();
    return this.vault.read((db) => store.countOverdue(db, now, kioskId));
  }

  /** Extends the deadline once, with a reason code (GDPR: two more months; CCPA: 45 more days). */
  extend(id: string, reason: ExtensionReason, caller: RequestCaller): PrivacyRequestDto {
    this.vault.write((db) => {
      const row = this.#load(id, caller);
      if (row.completedAt !== null) {
        throw new PrivacyRequestError(
          'request_closed',
          'conflict',
          'the request is already closed',
        );
      }
      if (row.extendedAt !== null) {
        throw new PrivacyRequestError(
          'already_extended',
          'conflict',
          'a deadline may be extended once only',
        );
      }
      const dueAt = extendedDueDate(row.regime, new Date(row.dueAt)).toISOString();
      store.extendRequest(db, id, reason, dueAt, this.vault.now.toISOString());
      this.vault.audit({
        actor: caller.actor,
        action: 'privacy_request.extended',
        objectType: 'privacy_request',
        objectId: id,
        details: { reason, dueAt },
      });
    });
    return this.get(id, caller);
  }

  #load(id: string, caller: RequestCaller): store.RequestRow {
    const row = this.vault.read((db) => store.getRequest(db, id));
    // A kiosk sees only the requests it filed; anything else does not exist for it.
    if (row === null || (caller.kioskId !== null && row.kioskId !== caller.kioskId)) {
      throw new PrivacyRequestError('unknown_request', 'not_found', 'No such resource.');
    }
    return row;
  }

  #dto(row: store.RequestRow): PrivacyRequestDto {
    const now = this.vault.now.getTime();
    return {
      id: row.id,
      type: row.type,
      subjectId: row.subjectRef,
      regime: row.regime,
      status: row.status,
      channel: row.channel,
      filedBy: row.filedBy,
      requester: row.requester,
      requesterContact: row.requesterContact,
      identityMethod: row.identityMethod,
      receivedAt: row.receivedAt,
      acknowledgedAt: row.acknowledgedAt,
      dueAt: row.dueAt,
      extendedAt: row.extendedAt,
      extensionReason: row.extensionReason,
      completedAt: row.completedAt,
      overdue: row.completedAt === null && Date.parse(row.dueAt) < now,
      deadlineMet: row.completedAt === null ? null : row.completedAt <= row.dueAt,
      outcome: row.outcome,
      purposes: row.purposes,
      retained: row.retained,
      progress: row.progress,
      export:
        row.exportBytes === null ? null : { bytes: row.exportBytes, items: row.exportItems ?? 0 },
    };
  }
}
