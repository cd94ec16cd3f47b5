/**
 * Review cases (VER-4): one per verification a person must look at, opened from the event feed;
 * a queue with saved filters; assignment; a decision with a reason code and a sealed note; and
 * four-eyes: approving what the policy declined, or what carries a decline-class reason, needs a
 * second reviewer who is not the first. A final decision settles the verification through the
 * injected VerificationResolver in the same transaction, and emits case.decided.
 */
import {
  CASE_OPENING_DECLINE_REASONS,
  KIOSK_CASE_OPENING_DECLINE_REASONS,
  type Case,
  type CaseDecisionInput,
  type CaseDetail,
  type CaseFilter,
  type SavedCaseFilter,
} from '../../contract/index.js';
import {
  emitEvent,
  type EventPayloads,
  type StoredEvent,
  type Subscriber,
} from '../events/index.js';
import { DEFAULT_DECISION_POLICY, type VerificationResolver } from '../verification/index.js';
import { newId, type KeyOwner, type Vault } from '../vault/index.js';
import { RefusalError } from '../own-error.js';
import {
  activeStaffRole,
  assignCase,
  caseById,
  caseOfEvent,
  deleteFilter,
  filterById,
  insertCase,
  insertFilter,
  listCases,
  listFilters,
  recordFinalDecision,
  recordFirstDecision,
  verificationForCase,
  type CaseRow,
  type FilterRow,
} from './store.js';

/** A refused case operation: `reason` says which rule, `problem` how the API answers. */
export class CaseError extends RefusalError {
  override name = 'CaseError';
}

/** Who acts on a case: the audit actor, the staff user (null for an API key), supervisor rights. */
export interface Reviewer {
  readonly actor: string;
  readonly staffUserId: string | null;
  /** A supervisor or admin session, or an admin API key: may re-assign others' cases. */
  readonly supervisor: boolean;
}

export interface CaseSettings {
  /** config cases.slaHours */
  readonly slaHours: number;
}

export const CASE_SUBSCRIBER = 'cases';

const HOUR = 3_600_000;
const REVIEWER_ROLES = new Set(['staff', 'supervisor', 'admin']);
/** The verification states a case settles: in review, or declined by a match under review. */
const PENDING_STATES = new Set(['review', 'declined']);

/** Whether approving needs a second reviewer: the policy declined, or a reason declines on failure. */
export function needsSecondReviewer(
  decision: 'review' | 'declined',
  reasons: readonly string[],
): boolean {
  if (decision === 'declined') return true;
  const rules = DEFAULT_DECISION_POLICY.reasons as Readonly<Record<string, { onFail: string }>>;
  return reasons.some((r) => rules[r]?.onFail === 'decline');
}

/**
 * Whether a decision opens a case: `always` (review, or a fraud or duplicate decline), `on_kiosk`
 * (a decline whose only case-opening reasons open one when the session was started on a kiosk),
 * or `none`.
 */
export function caseOpening(
  decided: Pick<EventPayloads['verification.decided'], 'decision' | 'reasons'>,
): 'always' | 'on_kiosk' | 'none' {
  if (decided.decision === 'review') return 'always';
  if (decided.decision !== 'declined') return 'none';
  const among = (list: readonly string[]) => decided.reasons.some((r) => list.includes(r));
  if (among(CASE_OPENING_DECLINE_REASONS)) return 'always';
  if (among(KIOSK_CASE_OPENING_DECLINE_REASONS)) return 'on_kiosk';
  return 'none';
}

function parseList(text: string): string[] {
  try {
    const value: unknown = JSON.parse(text);
    return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
  } catch {
    return [];
  }
}

export class CaseService {
  constructor(
    readonly vault: Vault,
    readonly settings: CaseSettings,
    readonly resolver: VerificationResolver,
  ) {}

  /** The feed subscriber: opens a case for each decision that needs one (at-least-once safe). */
  subscriber(): Subscriber {
    return {
      name: CASE_SUBSCRIBER,
      start: 'oldest',
      handle: (event: StoredEvent) => {
        if (event.type === 'verification.decided') this.openFromDecision(event.id, event.payload);
      },
    };
  }

  /**
   * Opens a case for a `review` decision, a decline by a fraud or duplicate match, or a decline a
   * kiosk's staff check in person (KIOSK_CASE_OPENING_DECLINE_REASONS, on a kiosk session only);
   * null when none is needed or one exists (the same event delivered again, or a case still
   * pending).
   */
  openFromDecision(
    eventId: number | null,
    decided: EventPayloads['verification.decided'],
  ): string | null {
    if (decided.byCase) return null;
    const opens = caseOpening(decided);
    if (opens === 'none') return null;
    const policyDecision = decided.decision as 'review' | 'declined';
    return this.vault.write((db) => {
      if (eventId !== null && caseOfEvent(db, eventId) !== null) return null;
      const verification = verificationForCase(db, decided.verificationId);
      // Destroyed, or settled since (a late redelivery, a backlog replayed at first start):
      // nothing left to review.
      if (verification === undefined || !PENDING_STATES.has(verification.status)) return null;
      // A remote session's decline of this kind stays a decline: no one is at a counter.
      if (opens === 'on_kiosk' && verification.kiosk_id === null) return null;
      const now = this.vault.now;
      const id = newId('case', now.getTime());
      const inserted = insertCase(db, {
        id,
        verificationId: verification.id,
        subjectId: verification.subject_id,
        policyDecision,
        policyReasons: decided.reasons,
        needsSecond: needsSecondReviewer(policyDecision, decided.reasons),
        createdAt: now.toISOString(),
        dueAt: new Date(now.getTime() + this.settings.slaHours * HOUR).toISOString(),
        sourceEventId: eventId,
      });
      if (!inserted) return null;
      emitEvent(
        db,
        { type: 'case.opened', payload: { caseId: id, verificationId: verification.id } },
        now,
      );
      this.vault.audit({
        actor: 'system',
        action: 'case.opened',
        objectType: 'case',
        objectId: id,
        details: { verificationId: verification.id, policyDecision },
      });
      return id;
    });
  }

  /** The queue, a page at a time; a saved filter of the caller fills the fields not given. */
  list(
    query: CaseFilter & {
      savedFilter?: string | undefined;
      cursor?: string | undefined;
      limit?: number | undefined;
    },
    reviewer: Reviewer,
  ): { items: Case[]; nextCursor: string | null } {
    const now = this.vault.now;
    const { savedFilter, cursor, limit = 50, ...given } = query;
    let filter: CaseFilter = given;
    if (savedFilter !== undefined) {
      filter = { ...this.#savedFilter(savedFilter, reviewer).filter, ...given };
    }
    let assignee: { userId: string | null } | undefined;
    if (filter.assignee === 'me') assignee = { userId: this.#staffOnly(reviewer) };
    else if (filter.assignee === 'none') assignee = { userId: null };
    else if (filter.assignee !== undefined) assignee = { userId: filter.assignee };
    const rows = this.vault.read((db) =>
      listCases(db, {
        status: filter.status,
        assignee,
        overdue: filter.overdue,
        reasonCode: filter.reasonCode,
        createdBefore:
          filter.minAgeHours === undefined
            ? undefined
            : new Date(now.getTime() - filter.minAgeHours * HOUR).toISOString(),
        now: now.toISOString(),
        after: cursor,
        limit,
      }),
    );
    const page = rows.slice(0, limit);
    return {
      items: page.map((r) => this.#dto(r, now)),
      nextCursor: rows.length > limit ? (page[page.length - 1]?.id ?? null) : null,
    };
  }

  /** One case with its verification's checks, reasons and risk (no image, no personal data). */
  get(id: string): CaseDetail {
    return this.vault.read((db) => {
      const row = caseById(db, id);
      const verification = row && verificationForCase(db, row.verification_id);
      if (row === undefined || verification === undefined) throw unknownCase();
      let checks: CaseDetail['verification']['checks'] = [];
      try {
        const parsed: unknown = JSON.parse(verification.checks);
        if (Array.isArray(parsed)) {
          checks = parsed
            .filter(
              (c): c is Record<string, unknown> =>
                typeof c === 'object' &&
                c !== null &&
                typeof (c as { check?: unknown }).check === 'string',
            )
            .map((c) => ({
              check: c.check as string,
              outcome: typeof c.outcome === 'string' ? c.outcome : 'not_run',
              ...(typeof c.score === 'number' ? { score: c.score } : {}),
              reasonCode: typeof c.reasonCode === 'string' ? c.reasonCode : null,
            }));
        }
      } catch {
        checks = [];
      }
      return {
        case: this.#dto(row, this.vault.now),
        verification: {
          id: verification.id,
          status: verification.status,
          purpose: verification.purpose,
          riskScore: verification.risk_score,
          reasons: parseList(verification.reason_codes),
          checks,
          kiosk:
            verification.kiosk_id === null
              ? null
              : {
                  id: verification.kiosk_id,
                  name: verification.kiosk_name ?? '',
                  location: verification.kiosk_location,
                },
          simulated: verification.simulated === 1,
        },
      };
    });
  }

  /**
   * Assigns a case to the caller (`me`) or another active reviewer. Taking an unassigned case,
   * or handing on one's own, is anyone's; moving someone else's case is a supervisor's. The
   * first reviewer of an approval cannot be its second.
   */
  assign(id: string, assignee: string, reviewer: Reviewer): Case {
    const target = assignee === 'me' ? this.#staffOnly(reviewer) : assignee;
    return this.vault.write((db) => {
      const row = caseById(db, id);
      if (row === undefined) throw unknownCase();
      if (row.status === 'decided') throw decided();
      const role = activeStaffRole(db, target);
      if (role === null || !REVIEWER_ROLES.has(role)) {
        throw new CaseError(
          'assignee_not_reviewer',
          'rule_violation',
          'the assignee is not an active staff user who may review cases',
        );
      }
      if (
        row.assigned_to !== null &&
        row.assigned_to !== target &&
        row.assigned_to !== reviewer.staffUserId &&
        !reviewer.supervisor
      ) {
        throw new CaseError(
          'reassign_needs_supervisor',
          'forbidden',
          'the case is assigned to someone else: only a supervisor re-assigns it',
        );
      }
      if (row.status === 'awaiting_second' && row.first_actor === `staff:${target}`) {
        throw fourEyes();
      }
      if (row.assigned_to !== target) {
        const at = this.vault.now.toISOString();
        assignCase(db, id, target, at);
        this.vault.audit({
          actor: reviewer.actor,
          action: 'case.assigned',
          objectType: 'case',
          objectId: id,
          details: { assignee: target, previous: row.assigned_to },
        });
      }
      return this.#dto(caseById(db, id) as CaseRow, this.vault.now);
    });
  }

  /**
   * Decides a case. An approval that needs four eyes waits for a second reviewer (not the
   * first); the second one's decision is final (an approval confirms, anything else overrules).
   * A final decision settles the verification and emits case.decided, all in one transaction.
   */
  decide(id: string, input: CaseDecisionInput, reviewer: Reviewer): Case {
    return this.vault.write((db) => {
      const row = caseById(db, id);
      if (row === undefined) throw unknownCase();
      if (row.status === 'decided') throw decided();
      if (
        row.assigned_to !== null &&
        row.assigned_to !== reviewer.staffUserId &&
        !reviewer.supervisor
      ) {
        throw new CaseError(
          'not_assignee',
          'forbidden',
          'the case is assigned to someone else: only they or a supervisor decide it',
        );
      }
      const second = row.status === 'awaiting_second';
      if (second && row.first_actor === reviewer.actor) throw fourEyes();
      const verification = verificationForCase(db, row.verification_id);
      if (verification === undefined || !PENDING_STATES.has(verification.status)) {
        throw new CaseError(
          'verification_not_pending',
          'conflict',
          'the verification is no longer waiting for this case (expired, cancelled or settled)',
        );
      }
      const now = this.vault.now;
      const at = now.toISOString();
      const note =
        input.note !== undefined && input.note.length > 0
          ? this.vault.seal(
              row.subject_id === null
                ? ('system' satisfies KeyOwner)
                : { subjectId: row.subject_id },
              { table: 'reviews', column: second ? 'second_notes_enc' : 'notes_enc', rowId: id },
              input.note,
            )
          : null;
      const decision = {
        resolution: input.resolution,
        reasonCode: input.reasonCode,
        actor: reviewer.actor,
        staffUserId: reviewer.staffUserId,
        note,
        at,
      };
      if (!second && input.resolution === 'approved' && row.needs_second === 1) {
        recordFirstDecision(db, id, decision);
        this.vault.audit({
          actor: reviewer.actor,
          action: 'case.first_decision',
          objectType: 'case',
          objectId: id,
          details: {
            resolution: input.resolution,
            reasonCode: input.reasonCode,
            awaiting: 'second_reviewer',
          },
        });
        return this.#dto(caseById(db, id) as CaseRow, now);
      }
      recordFinalDecision(db, id, decision, second);
      this.resolver.resolve(row.verification_id, input.resolution, reviewer.actor);
      emitEvent(
        db,
        {
          type: 'case.decided',
          payload: {
            caseId: id,
            verificationId: row.verification_id,
            resolution: input.resolution,
            reasonCode: input.reasonCode,
          },
        },
        now,
      );
      this.vault.audit({
        actor: reviewer.actor,
        action: 'case.decided',
        objectType: 'case',
        objectId: id,
        details: {
          verificationId: row.verification_id,
          resolution: input.resolution,
          reasonCode: input.reasonCode,
          secondReviewer: second,
          ...(second ? { confirmed: input.resolution === row.first_decision } : {}),
        },
      });
      return this.#dto(caseById(db, id) as CaseRow, now);
    });
  }

  listFilters(reviewer: Reviewer): SavedCaseFilter[] {
    const userId = this.#staffOnly(reviewer);
    return this.vault.read((db) => listFilters(db, userId)).map(filterDto);
  }

  saveFilter(name: string, filter: CaseFilter, reviewer: Reviewer): SavedCaseFilter {
    const userId = this.#staffOnly(reviewer);
    return this.vault.write((db) => {
      const id = newId('cflt', this.vault.now.getTime());
      const at = this.vault.now.toISOString();
      if (!insertFilter(db, { id, userId, name, filter, at })) {
        throw new CaseError('filter_name_taken', 'conflict', 'a saved filter of that name exists');
      }
      // The name is the user's own text: not audited.
      this.vault.audit({
        actor: reviewer.actor,
        action: 'case_filter.saved',
        objectType: 'case_filter',
        objectId: id,
      });
      return filterDto(filterById(db, id, userId) as FilterRow);
    });
  }

  deleteFilter(id: string, reviewer: Reviewer): void {
    const userId = this.#staffOnly(reviewer);
    this.vault.write((db) => {
      if (!deleteFilter(db, id, userId)) throw unknownFilter();
      this.vault.audit({
        actor: reviewer.actor,
        action: 'case_filter.deleted',
        objectType: 'case_filter',
        objectId: id,
      });
    });
  }

  #savedFilter(id: string, reviewer: Reviewer): SavedCaseFilter {
    const userId = this.#staffOnly(reviewer);
    const row = this.vault.read((db) => filterById(db, id, userId));
    if (row === undefined) throw unknownFilter();
    return filterDto(row);
  }

  #staffOnly(reviewer: Reviewer): string {
    if (reviewer.staffUserId === null) {
      throw new CaseError(
        'staff_only',
        'rule_violation',
        '`me` and saved filters belong to a staff user: log in as one',
      );
    }
    return reviewer.staffUserId;
  }

  #dto(row: CaseRow, now: Date): Case {
    const created = Date.parse(row.created_at);
    const end = row.decided_at === null ? now.getTime() : Date.parse(row.decided_at);
    return {
      id: row.id,
      verificationId: row.verification_id,
      status: row.status,
      assignedTo: row.assigned_to,
      policyDecision: row.policy_decision,
      policyReasons: parseList(row.policy_reasons),
      needsSecondReviewer: row.needs_second === 1,
      createdAt: row.created_at,
      dueAt: row.due_at,
      overdue: row.status !== 'decided' && Date.parse(row.due_at) < now.getTime(),
      ageMinutes: Math.max(0, Math.floor((end - created) / 60_000)),
      firstDecision:
        row.first_decision !== null &&
        (row.status === 'awaiting_second' || row.second_actor !== null)
          ? {
              resolution: row.first_decision,
              reasonCode: row.first_reason_code ?? '',
              by: row.first_actor ?? '',
              at: row.first_decided_at ?? '',
            }
          : null,
      resolution: row.decision,
      reasonCode: row.reason_code,
      decidedBy: row.status === 'decided' ? (row.second_actor ?? row.first_actor) : null,
      secondReviewer: row.second_actor,
      decidedAt: row.decided_at,
    };
  }
}

function filterDto(row: FilterRow): SavedCaseFilter {
  return {
    id: row.id,
    name: row.name,
    filter: JSON.parse(row.filter) as CaseFilter,
    createdAt: row.created_at,
  };
}

const unknownCase = () => new CaseError('unknown_case', 'not_found', 'no such case');
const unknownFilter = () =>
  new CaseError('unknown_filter', 'not_found', 'no such saved filter of this user');
const decided = () => new CaseError('case_decided', 'conflict', 'the case is already decided');
const fourEyes = () =>
  new CaseError(
    'four_eyes',
    'conflict',
    'this approval needs a second reviewer who is not the first',
  );

/**
 * Stands in where no verification service is wired (a build without one): refuses to settle,
 * so a decision is never recorded without its verification moving with it.
 */
export const NO_RESOLVER: VerificationResolver = {
  resolve() {
    throw new CaseError(
      'resolver_unavailable',
      'unavailable',
      'verifications cannot be settled by this build (no verification service)',
    );
  },
};
