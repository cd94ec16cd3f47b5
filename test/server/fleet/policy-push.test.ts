/**
 * Policy versions and consent texts pushed by the bank (issue 19, "Down"), on a real hub and
 * three branch leaf nodes: a pushed decision policy is what every branch's next verification
 * decides with; a consent text replaces the local template's; a forged entry, a signed one the
 * appliance's schema refuses, and an old version replayed are ignored and counted; a local policy
 * change on a fleet-managed appliance is refused. The CLI commands run as processes.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { newSigningKeyPair, signEntry } from '../../../server/fleet/keys.js';
import { fleetStatus, leaveFleet } from '../../../server/fleet/membership.js';
import { pushConsentText, pushPolicy, pushedDocuments } from '../../../server/fleet/policy-push.js';
import { POLICY_SUBJECT } from '../../../server/fleet/pushed-apply.js';
import { hubPaths, readHub } from '../../../server/fleet/hub.js';
import {
  DEFAULT_DECISION_POLICY,
  decide,
  type DecisionPolicy,
  type VerificationCheck,
} from '../../../server/verification/policy.js';
import {
  PolicyStoreError,
  decisionPolicyInForce,
  installDecisionPolicy,
} from '../../../server/verification/policy-store.js';
import { consentTexts, publishConsentTexts } from '../../../server/privacy/consent.js';
import type { Vault } from '../../../server/vault/index.js';
import { runBin } from '../cli/bin-helpers.js';
import { natsAvailable, startFleet, stopFleet, type Branch, type Fleet } from './harness.js';

/** A session whose only finding is the fleet's reuse code (every required check passed). */
const CHECKS: VerificationCheck[] = [
  ...['document_valid', 'document_expiry', 'age', 'face_match', 'liveness'],
  ...['known_fraud_face', 'duplicate_face'],
]
  .map((check): VerificationCheck => ({ check, outcome: 'pass', reasonCode: null }))
  .concat([{ check: 'fleet_reuse', outcome: 'fail', reasonCode: 'fleet_document_other_identity' }]);

const bankPolicy = (version: string, onFail: 'decline' | 'resubmit'): DecisionPolicy => ({
  ...DEFAULT_DECISION_POLICY,
  version,
  reasons: {
    ...DEFAULT_DECISION_POLICY.reasons,
    fleet_document_other_identity: { onFail, onWarn: 'review', weight: 90 },
  },
});

/** What the branch's next verification decides (the call VerificationService#submit makes). */
const nextDecision = (b: Branch) =>
  decide(CHECKS, 'identity', decisionPolicyInForce(b.vault, DEFAULT_DECISION_POLICY));

const rejected = (b: Branch): number => fleetStatus(b.vault).downlinkRejected ?? 0;

const audits = (vault: Vault, action: string) =>
  vault.read(
    (db) =>
      db
        .prepare('SELECT actor, object_id AS objectId, details FROM audit_log WHERE action = ?')
        .all(action) as { actor: string; objectId: string; details: string }[],
  );

let fleet: Fleet;

beforeAll(async () => {
  if (natsAvailable) fleet = await startFleet(['b1', 'b2', 'b3']);
}, 120_000);

afterAll(async () => {
  if (natsAvailable) await stopFleet(fleet);
});

describe.skipIf(!natsAvailable)('policies and consent texts pushed by the hub', () => {
  it("a pushed policy is what every branch's next verification decides with", async () => {
    for (const b of fleet.branches) expect(nextDecision(b).decision).toBe('review');
    const pushed = await pushPolicy(fleet.hubDir, bankPolicy('bank-1', 'decline'));
    expect(pushed.hubVersion).toBe(1);
    for (const b of fleet.branches) {
      await b.node!.waitForSeq(pushed.seq);
      expect(nextDecision(b)).toMatchObject({ decision: 'declined', policyVersion: 'bank-1' });
      // Installed through the appliance's own store, audited with its provenance.
      const [audit] = audits(b.vault, 'decision_policy.installed');
      expect(audit).toMatchObject({ actor: `fleet:${pushed.id}`, objectId: 'bank-1' });
      expect(JSON.parse(audit!.details)).toMatchObject({
        source: 'fleet',
        hubVersion: 1,
        entryId: pushed.id,
      });
    }
    for (const b of fleet.branches)
      expect(fleetStatus(b.vault).managed).toEqual([
        { kind: 'policy', scope: '', hubVersion: 1, entryId: pushed.id },
      ]);
    // Fleet-managed: a local change is refused, the fleet's version stays in force.
    const b1 = fleet.branches[0]!;
    expect(() =>
      installDecisionPolicy(b1.vault, bankPolicy('local-1', 'resubmit'), { actor: 'admin' }),
    ).toThrow(PolicyStoreError);
    expect(nextDecision(b1).policyVersion).toBe('bank-1');
  });

  it('a forged entry and a signed one the schema refuses are ignored and counted', async () => {
    const js = jetstream(fleet.hub!.nc);
    const before = fleet.branches.map(rejected);
    const forged = {
      type: 'policy',
      id: 'fpo_0000000000000000000f',
      hubVersion: 99,
      policy: bankPolicy('forged-1', 'resubmit'),
      signedAt: new Date().toISOString(),
    };
    await js.publish(POLICY_SUBJECT, JSON.stringify(signEntry(forged, newSigningKeyPair())));
    // Signed by the hub's key, but no required check for a kind: nothing could be approved
    // unseen, so the appliance's schema refuses it.
    const state = readHub(fleet.hubDir);
    const hubKey = {
      publicKey: Buffer.from(state.signing.publicKey, 'base64'),
      privateKey: Buffer.from(state.signing.privateKey, 'base64'),
    };
    const invalid = {
      ...forged,
      id: 'fpo_0000000000000000000e',
      // Newer than the installed version, so only the schema can refuse it. The hub numbers its
      // next push above it (the stream's last signed version counts).
      hubVersion: 2,
      policy: {
        ...bankPolicy('bad-1', 'resubmit'),
        required: { identity: [], authentication: [] },
      },
    };
    const last = await js.publish(POLICY_SUBJECT, JSON.stringify(signEntry(invalid, hubKey)));
    for (const [i, b] of fleet.branches.entries()) {
      await b.node!.waitForSeq(last.seq);
      expect(rejected(b)).toBe(before[i]! + 2);
      expect(nextDecision(b).policyVersion).toBe('bank-1');
    }
  });

  it('an older version replayed is not applied (no rollback)', async () => {
    const jsm = await jetstreamManager(fleet.hub!.nc);
    const v1 = pushedDocuments(fleet.hubDir).find(
      (d) => d.kind === 'policy' && d.hubVersion === 1,
    )!;
    const v2 = await pushPolicy(fleet.hubDir, bankPolicy('bank-2', 'resubmit'));
    expect(v2.hubVersion).toBe(3);
    for (const b of fleet.branches) await b.node!.waitForSeq(v2.seq);
    for (const b of fleet.branches)
      expect(nextDecision(b)).toMatchObject({
        decision: 'resubmission_requested',
        policyVersion: 'bank-2',
      });
    const before = fleet.branches.map(rejected);
    // The genuine, hub-signed version 1 published again (a replay by anyone who can write the
    // down stream): the branches keep version 2.
    const stored = await jsm.streams.getMessage('FLEET_DOWN', { last_by_subj: POLICY_SUBJECT });
    expect(stored).not.toBeNull();
    const all = [];
    for (let seq = 1; seq <= stored!.seq; seq += 1) {
      const m = await jsm.streams.getMessage('FLEET_DOWN', { seq }).catch(() => null);
      if (m?.subject === POLICY_SUBJECT) all.push(m);
    }
    const original = all.find((m) => m.string().includes(v1.id))!;
    const replay = await jetstream(fleet.hub!.nc).publish(POLICY_SUBJECT, original.data, {
      msgID: 'replay-of-v1',
    });
    for (const [i, b] of fleet.branches.entries()) {
      await b.node!.waitForSeq(replay.seq);
      expect(rejected(b)).toBe(before[i]! + 1);
      expect(nextDecision(b).policyVersion).toBe('bank-2');
      expect(audits(b.vault, 'decision_policy.installed')).toHaveLength(2);
    }
  });

  it('a pushed consent text is the current one; the local template no longer replaces it', async () => {
    const pushed = await pushConsentText(fleet.hubDir, {
      purpose: 'data_sharing',
      language: 'en',
      title: 'Sharing your result with the bank',
      body: 'The bank receives the outcome of this check, never your images.',
    });
    for (const b of fleet.branches) {
      await b.node!.waitForSeq(pushed.seq);
      const [text] = consentTexts(b.vault, { purpose: 'data_sharing', language: 'en' });
      expect(text).toMatchObject({
        version: 'fleet-1',
        title: 'Sharing your result with the bank',
      });
      // The publication at each start renders the local templates: it skips a fleet text.
      publishConsentTexts(b.vault, [], null);
      expect(consentTexts(b.vault, { purpose: 'data_sharing', language: 'en' })[0]?.version).toBe(
        'fleet-1',
      );
      const published = audits(b.vault, 'consent_text.published').filter(
        (a) => a.actor === `fleet:${pushed.id}`,
      );
      expect(published).toHaveLength(1);
    }
  });

  it('push-policy and push-consent as processes; a refused document publishes nothing', async () => {
    const dir = fleet.hubDir;
    const file = path.join(fleet.root, 'policy.json');
    fs.writeFileSync(file, JSON.stringify({ ...bankPolicy('bank-3', 'decline'), extra: 1 }));
    const refused = await runBin(['fleet', 'hub', 'push-policy', '--dir', dir, '--file', file]);
    expect(refused.code, refused.stderr).toBe(2);
    expect(refused.stderr).toMatch(/decision policy is not valid/);
    expect(refused.stderr).not.toMatch(/internal error/);
    expect(pushedDocuments(dir).filter((d) => d.kind === 'policy')).toHaveLength(2);

    fs.writeFileSync(file, JSON.stringify(bankPolicy('bank-3', 'decline')));
    const ok = await runBin([
      'fleet',
      'hub',
      'push-policy',
      '--dir',
      dir,
      '--file',
      file,
      '--json',
    ]);
    expect(ok.code, ok.stderr).toBe(0);
    const pushed = JSON.parse(ok.stdout) as { hubVersion: number; seq: number };
    expect(pushed.hubVersion).toBe(4);

    const text = path.join(fleet.root, 'consent.md');
    fs.writeFileSync(text, '# Datenweitergabe\n\nDie Bank erhält nur das Ergebnis.\n');
    const args = ['fleet', 'hub', 'push-consent', '--dir', dir, '--file', text];
    const badLanguage = await runBin([...args, '--language', 'xx', '--purpose', 'data_sharing']);
    expect(badLanguage.code, badLanguage.stderr).toBe(2);
    expect(badLanguage.stderr).toMatch(/consent text is not valid: language/);
    const consent = await runBin([
      ...args,
      '--language',
      'de',
      '--purpose',
      'data_sharing',
      '--json',
    ]);
    expect(consent.code, consent.stderr).toBe(0);
    const seq = (JSON.parse(consent.stdout) as { seq: number }).seq;
    for (const b of fleet.branches) {
      await b.node!.waitForSeq(seq);
      expect(nextDecision(b).policyVersion).toBe('bank-3');
      expect(consentTexts(b.vault, { purpose: 'data_sharing', language: 'de' })[0]).toMatchObject({
        version: 'fleet-1',
        title: 'Datenweitergabe',
        body: 'Die Bank erhält nur das Ergebnis.',
      });
    }
  }, 60_000);

  it('leaving the fleet releases its documents: they stay in force, a local change is accepted again', async () => {
    const b3 = fleet.branches[2]!;
    await b3.node!.stop();
    b3.node = null;
    leaveFleet(b3.vault, 'test');
    expect(nextDecision(b3).policyVersion).toBe('bank-3');
    installDecisionPolicy(b3.vault, bankPolicy('local-1', 'resubmit'), { actor: 'admin' });
    expect(nextDecision(b3).policyVersion).toBe('local-1');
    expect(publishConsentTexts(b3.vault, [], null)).toBeGreaterThan(0);
    expect(
      consentTexts(b3.vault, { purpose: 'data_sharing', language: 'en' })[0]?.version,
    ).not.toMatch(/^fleet-/);
  });

  it("a hub that lost its record of pushes still numbers above the stream's last version", async () => {
    const db = new Database(hubPaths(fleet.hubDir).db);
    db.prepare("DELETE FROM pushed_documents WHERE kind = 'policy'").run();
    db.close();
    const pushed = await pushPolicy(fleet.hubDir, bankPolicy('bank-4', 'decline'));
    expect(pushed.hubVersion).toBe(5);
    for (const b of fleet.branches.slice(0, 2)) {
      await b.node!.waitForSeq(pushed.seq);
      expect(nextDecision(b).policyVersion).toBe('bank-4');
    }
  });
});
