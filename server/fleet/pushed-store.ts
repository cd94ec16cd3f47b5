/**
 * The SQL of the documents the fleet's hub pushes down (migration 020): which hub version of each
 * fleet-managed document (the decision policy, a consent text per purpose and language) this
 * appliance installed. Db-first functions; callers hold the transaction.
 */
import { cachedStatement as sql, type ReadableDb, type WritableDb } from '../vault/index.js';

export type PushedKind = 'policy' | 'consent_text';

export interface ManagedRow {
  readonly hubVersion: number;
  readonly entryId: string;
  readonly localRef: string;
  readonly installedAt: string;
}

/** The hub version installed for this document, undefined when it is not fleet-managed. */
export function managedDocument(
  db: ReadableDb,
  kind: PushedKind,
  scope: string,
): ManagedRow | undefined {
  return sql(
    db,
    `SELECT hub_version AS hubVersion, entry_id AS entryId, local_ref AS localRef,
       installed_at AS installedAt FROM fleet_managed WHERE kind = ? AND scope = ?`,
  ).get(kind, scope) as ManagedRow | undefined;
}

export function setManagedDocument(
  db: WritableDb,
  row: ManagedRow & { readonly kind: PushedKind; readonly scope: string },
): void {
  sql(
    db,
    `INSERT INTO fleet_managed (kind, scope, hub_version, entry_id, local_ref, installed_at)
     VALUES (@kind, @scope, @hubVersion, @entryId, @localRef, @installedAt)
     ON CONFLICT (kind, scope) DO UPDATE SET hub_version = excluded.hub_version,
       entry_id = excluded.entry_id, local_ref = excluded.local_ref,
       installed_at = excluded.installed_at`,
  ).run(row);
}

/** The scope of a consent text: its purpose and language. */
export const consentScope = (purpose: string, language: string): string => `${purpose}:${language}`;

/** Every fleet-managed document (for `fleet status`). */
export function managedDocuments(
  db: ReadableDb,
): { kind: PushedKind; scope: string; hubVersion: number; entryId: string }[] {
  return sql(
    db,
    `SELECT kind, scope, hub_version AS hubVersion, entry_id AS entryId FROM fleet_managed
     ORDER BY kind, scope`,
  ).all() as { kind: PushedKind; scope: string; hubVersion: number; entryId: string }[];
}

/**
 * Leaving the fleet releases its documents: they stay in force (nothing is rolled back) but are
 * local from then on, so a local change is accepted again.
 */
export function releaseManagedDocuments(db: WritableDb): number {
  return sql(db, 'DELETE FROM fleet_managed').run().changes;
}
