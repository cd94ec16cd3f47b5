/**
 * The branch side of the documents the hub pushes (see policy-push.ts): the entry schemas and
 * `applyPushedDocument`, which node.ts's downlink calls after the hub's signature was verified.
 */
import { z } from 'zod';
import { CONSENT_LANGUAGES, CONSENT_PURPOSES } from '../../contract/consents.js';
import { publishFleetConsentText } from '../privacy/index.js';
import { PolicyStoreError, installDecisionPolicy } from '../verification/index.js';
import type { Vault } from '../vault/index.js';
import { consentScope, managedDocument, setManagedDocument } from './pushed-store.js';

export const POLICY_SUBJECT = 'fleet.down.policy';
export const CONSENT_SUBJECT = 'fleet.down.consent';
/** Each document on its own subject, so the hub finds its last version in the stream. */
export const pushedSubject = (kind: 'policy' | 'consent_text', scope: string): string =>
  kind === 'policy' ? POLICY_SUBJECT : `${CONSENT_SUBJECT}.${scope.replace(':', '.')}`;

const ISO = z.string().refine((v) => !Number.isNaN(Date.parse(v)));
const HUB_VERSION = z.number().int().min(1).max(Number.MAX_SAFE_INTEGER);

/** A consent text as the hub sends it: the wording as shown (title, body). */
export const PushedConsentTextSchema = z.strictObject({
  purpose: z.enum(CONSENT_PURPOSES),
  language: z.enum(CONSENT_LANGUAGES),
  title: z.string().trim().min(1).max(200),
  body: z.string().trim().min(1).max(50_000),
});
export type PushedConsentText = z.infer<typeof PushedConsentTextSchema>;

export const PolicyEntrySchema = z.strictObject({
  type: z.literal('policy'),
  id: z.string().regex(/^fpo_[0-9a-f]{20}$/),
  hubVersion: HUB_VERSION,
  policy: z.unknown(),
  signedAt: ISO,
});

export const ConsentEntrySchema = z.strictObject({
  type: z.literal('consent_text'),
  id: z.string().regex(/^fct_[0-9a-f]{20}$/),
  hubVersion: HUB_VERSION,
  text: PushedConsentTextSchema,
  signedAt: ISO,
});

// ---- branch ---------------------------------------------------------------------------------------

/** The entry types this module applies (node.ts hands them over after the signature check). */
export const isPushedDocumentEntry = (e: { type?: unknown }): boolean =>
  e.type === 'policy' || e.type === 'consent_text';

/**
 * What became of a pushed document at the branch: installed; a redelivery of the version
 * installed; refused as older than (or a different document under) the installed version; or
 * invalid (shape or the appliance's schema).
 */
export type PushOutcome = 'installed' | 'redelivered' | 'stale' | 'invalid';

/** Applies a verified pushed document (see the module comment). */
export function applyPushedDocument(vault: Vault, entry: unknown): PushOutcome {
  const e = entry as { type?: unknown };
  if (e?.type === 'policy') {
    const parsed = PolicyEntrySchema.safeParse(entry);
    if (!parsed.success) return 'invalid';
    const p = parsed.data;
    return vault.write((db) => {
      const gate = versionGate(managedDocument(db, 'policy', ''), p.hubVersion, p.id);
      if (gate !== null) return gate;
      let installed;
      try {
        installed = installDecisionPolicy(vault, p.policy, {
          actor: `fleet:${p.id}`,
          fleet: { version: p.hubVersion, entryId: p.id },
        });
      } catch (error) {
        if (error instanceof PolicyStoreError) return 'invalid';
        throw error;
      }
      setManagedDocument(db, {
        kind: 'policy',
        scope: '',
        hubVersion: p.hubVersion,
        entryId: p.id,
        localRef: String(installed.seq),
        installedAt: vault.now.toISOString(),
      });
      return 'installed';
    });
  }
  if (e?.type === 'consent_text') {
    const parsed = ConsentEntrySchema.safeParse(entry);
    if (!parsed.success) return 'invalid';
    const c = parsed.data;
    const scope = consentScope(c.text.purpose, c.text.language);
    return vault.write((db) => {
      const gate = versionGate(managedDocument(db, 'consent_text', scope), c.hubVersion, c.id);
      if (gate !== null) return gate;
      const id = publishFleetConsentText(db, vault, {
        ...c.text,
        hubVersion: c.hubVersion,
        entryId: c.id,
      });
      setManagedDocument(db, {
        kind: 'consent_text',
        scope,
        hubVersion: c.hubVersion,
        entryId: c.id,
        localRef: id,
        installedAt: vault.now.toISOString(),
      });
      return 'installed';
    });
  }
  return 'invalid';
}

/** Null when `hubVersion` is newer than the installed one; else what the entry is. */
function versionGate(
  installed: { hubVersion: number; entryId: string } | undefined,
  hubVersion: number,
  entryId: string,
): PushOutcome | null {
  if (installed === undefined || hubVersion > installed.hubVersion) return null;
  return hubVersion === installed.hubVersion && entryId === installed.entryId
    ? 'redelivered'
    : 'stale';
}
