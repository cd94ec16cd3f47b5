/**
 * The policy floor (policy-floor.ts): a decision policy, signed or not, must require the checks
 * SPEC makes the point of a verification (the document, the face match, liveness; an
 * authentication's enrolment and biometric). Below it the schema refuses with `below_floor` and
 * the missing check's code: a local install writes nothing, a fleet push is refused as invalid
 * (counted, nothing installed), the hub refuses to push it. A seeded property checks the point:
 * under any policy the schema accepts, nothing is approved unless the floor's checks ran.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { CHECK_OUTCOMES } from '../../../contract/verifications.js';
import { FleetError } from '../../../server/fleet/engine.js';
import { pushPolicy, pushedDocuments } from '../../../server/fleet/policy-push.js';
import { applyPushedDocument } from '../../../server/fleet/pushed-apply.js';
import { managedDocument } from '../../../server/fleet/pushed-store.js';
import type { Vault } from '../../../server/vault/index.js';
import {
  DEFAULT_DECISION_POLICY,
  DecisionPolicySchema,
  POLICY_FLOOR,
  PolicyStoreError,
  decide,
  floorShortfalls,
  installDecisionPolicy,
  latestDecisionPolicy,
  parseDecisionPolicy,
  type DecisionPolicy,
  type VerificationCheck,
} from '../../../server/verification/index.js';
import { seedFromEnv } from '../../support/random.js';
import { runBin } from '../cli/bin-helpers.js';
import { cleanup, newVault, tempDir } from '../vault/helpers.js';

afterEach(cleanup);

type Required = DecisionPolicy['required'];

const withRequired = (
  kind: keyof Required,
  entries: Required[keyof Required],
  requiredWith: DecisionPolicy['requiredWith'] = DEFAULT_DECISION_POLICY.requiredWith,
): DecisionPolicy => ({
  ...DEFAULT_DECISION_POLICY,
  version: 'floor-test',
  required: { ...DEFAULT_DECISION_POLICY.required, [kind]: entries },
  requiredWith,
});

const without = (kind: keyof Required, check: string): DecisionPolicy =>
  withRequired(
    kind,
    DEFAULT_DECISION_POLICY.required[kind].filter((e) => e !== check),
  );

/** The refusal `parseDecisionPolicy` gives, or null when it accepts. */
function refusal(policy: unknown): { reason: string; check?: string; message: string } | null {
  try {
    parseDecisionPolicy(policy);
    return null;
  } catch (error) {
    if (!(error instanceof PolicyStoreError)) throw error;
    return { reason: error.reason, check: error.check, message: error.message };
  }
}

const LIVENESS_OFF = { face_match: ['known_fraud_face', 'duplicate_face'] };

const audits = (vault: Vault, action: string): number =>
  vault.read(
    (db) =>
      (
        db.prepare('SELECT count(*) AS n FROM audit_log WHERE action = ?').get(action) as {
          n: number;
        }
      ).n,
  );

describe('the policy floor', () => {
  it('the built-in default policy is at or above the floor', () => {
    expect(floorShortfalls(DEFAULT_DECISION_POLICY)).toEqual([]);
    expect(DecisionPolicySchema.safeParse(DEFAULT_DECISION_POLICY).success).toBe(true);
    expect(parseDecisionPolicy(DEFAULT_DECISION_POLICY)).toEqual(DEFAULT_DECISION_POLICY);
  });

  it('an identity policy without any one floor check is refused, naming that check', () => {
    for (const check of ['document_valid', 'document_expiry', 'age', 'face_match']) {
      expect(refusal(without('identity', check)), check).toEqual({
        reason: 'below_floor',
        check,
        message: `the decision policy is below the floor: required.identity must require ${check}`,
      });
    }
    // Liveness is required with every face match, so leaving it out of the list changes nothing;
    // taken out of both it is refused.
    expect(refusal(without('identity', 'liveness'))).toBeNull();
    const noLiveness = withRequired(
      'identity',
      DEFAULT_DECISION_POLICY.required.identity.filter((e) => e !== 'liveness'),
      LIVENESS_OFF,
    );
    expect(refusal(noLiveness)).toMatchObject({ reason: 'below_floor', check: 'liveness' });
    expect(floorShortfalls(noLiveness)).toEqual([
      { path: ['required', 'identity'], check: 'liveness' },
      { path: ['requiredWith', 'face_match'], check: 'liveness' },
    ]);
    // A floor check offered only as one choice among others is not required.
    expect(
      refusal(
        withRequired('identity', [
          'document_valid',
          'document_expiry',
          'age',
          ['face_match', 'age'],
        ]),
      ),
    ).toMatchObject({ reason: 'below_floor', check: 'face_match' });
  });

  it('an authentication without enrolment or without a biometric is refused, naming it', () => {
    expect(refusal(without('authentication', 'enrolment'))).toMatchObject({
      reason: 'below_floor',
      check: 'enrolment',
    });
    const biometric = 'face_match|signature_match';
    expect(refusal(withRequired('authentication', ['enrolment']))).toMatchObject({
      reason: 'below_floor',
      check: biometric,
    });
    // A choice that lets a check outside the floor's choice stand for the biometric.
    expect(
      refusal(withRequired('authentication', ['enrolment', ['face_match', 'document_valid']])),
    ).toMatchObject({ reason: 'below_floor', check: biometric });
    // Either biometric alone, plain or as a one-check choice, is enough.
    for (const need of ['face_match', 'signature_match', ['signature_match']])
      expect(refusal(withRequired('authentication', ['enrolment', need])), String(need)).toBeNull();
  });

  it('a face match without liveness beside it is refused even when identity lists liveness', () => {
    // Identity still requires liveness plainly: the hole would be an authentication by face.
    const policy = { ...DEFAULT_DECISION_POLICY, requiredWith: LIVENESS_OFF };
    expect(refusal(policy)).toEqual({
      reason: 'below_floor',
      check: 'liveness',
      message:
        'the decision policy is below the floor: requiredWith.face_match must require liveness',
    });
    // Asked for transitively is asked for.
    expect(
      refusal({
        ...DEFAULT_DECISION_POLICY,
        requiredWith: { face_match: ['duplicate_face'], duplicate_face: ['liveness'] },
      }),
    ).toBeNull();
  });

  it('a shape error is still reported as invalid_policy, before the floor', () => {
    expect(refusal({ ...DEFAULT_DECISION_POLICY, requiredWith: 5 })).toMatchObject({
      reason: 'invalid_policy',
    });
    expect(
      refusal({ ...DEFAULT_DECISION_POLICY, required: { identity: ['age'], authentication: [] } }),
    ).toMatchObject({ reason: 'invalid_policy' });
  });

  it('a local install below the floor is refused and writes nothing', async () => {
    const { vault } = await newVault();
    expect(() =>
      installDecisionPolicy(vault, without('identity', 'face_match'), { actor: 'admin' }),
    ).toThrow(expect.objectContaining({ reason: 'below_floor', check: 'face_match' }));
    expect(vault.read(latestDecisionPolicy)).toBeNull();
    expect(audits(vault, 'decision_policy.installed')).toBe(0);
    // The same install at the floor goes in.
    installDecisionPolicy(
      vault,
      { ...DEFAULT_DECISION_POLICY, version: 'ok-1' },
      { actor: 'admin' },
    );
    expect(vault.read(latestDecisionPolicy)?.policy.version).toBe('ok-1');
  });

  it('a signed fleet push below the floor is refused as invalid and installs nothing', async () => {
    const { vault } = await newVault();
    const entry = (id: string, hubVersion: number, policy: unknown) => ({
      type: 'policy',
      id,
      hubVersion,
      policy,
      signedAt: '2026-12-01T00:00:00.000Z',
    });
    const below = { ...DEFAULT_DECISION_POLICY, requiredWith: LIVENESS_OFF };
    expect(applyPushedDocument(vault, entry('fpo_00000000000000000001', 1, below))).toBe('invalid');
    expect(vault.read(latestDecisionPolicy)).toBeNull();
    expect(vault.read((db) => managedDocument(db, 'policy', ''))).toBeUndefined();
    expect(audits(vault, 'decision_policy.installed')).toBe(0);
    // The version was not taken: the hub's next version at the floor installs.
    const ok = { ...DEFAULT_DECISION_POLICY, version: 'bank-2' };
    expect(applyPushedDocument(vault, entry('fpo_00000000000000000002', 2, ok))).toBe('installed');
    expect(vault.read(latestDecisionPolicy)?.policy.version).toBe('bank-2');
  });

  it('fleet hub push-policy (a process) refuses a policy below the floor with exit 2', async () => {
    const dir = tempDir();
    const init = await runBin(['fleet', 'hub', 'init', '--dir', dir]);
    expect(init.code, init.stderr).toBe(0);
    const file = path.join(dir, 'policy.json');
    fs.writeFileSync(file, JSON.stringify(without('identity', 'document_valid')));
    const refused = await runBin(['fleet', 'hub', 'push-policy', '--dir', dir, '--file', file]);
    expect(refused.code, refused.stderr).toBe(2);
    expect(refused.stderr).toMatch(
      /below the floor: required\.identity must require document_valid/,
    );
    expect(refused.stderr).not.toMatch(/internal error/);
    expect(pushedDocuments(dir)).toEqual([]);
  });

  it('the hub refuses to push a policy below the floor, naming the check', () => {
    const below = without('authentication', 'enrolment');
    // Refused before the hub's directory is even read.
    expect(() => pushPolicy('/nonexistent-hub-dir', below)).toThrow(FleetError);
    expect(() => pushPolicy('/nonexistent-hub-dir', below)).toThrow(/must require enrolment/);
  });
});

// ---- property: under any accepted policy, no approval without the floor's checks -------------

const POOL = [
  'document_valid',
  'document_expiry',
  'age',
  'face_match',
  'liveness',
  'enrolment',
  'signature_match',
  'known_fraud_face',
  'duplicate_face',
] as const;
const name = fc.constantFrom(...POOL);
const entry = fc.oneof(
  { weight: 3, arbitrary: name },
  { weight: 1, arbitrary: fc.uniqueArray(name, { minLength: 1, maxLength: 3 }) },
);
/** Most of a list kept (each entry 9 times in 10), in any order, with up to 3 random entries. */
const mostOf = <T>(list: readonly T[], extra: fc.Arbitrary<T>) =>
  fc
    .tuple(
      fc.array(fc.integer({ min: 0, max: 9 }), { minLength: list.length, maxLength: list.length }),
      fc.array(extra, { maxLength: 3 }),
    )
    .map(([keep, more]) => [...list.filter((_, i) => keep[i]! > 0), ...more]);
const arbitraryPolicy = fc.record({
  identity: mostOf(DEFAULT_DECISION_POLICY.required.identity, entry),
  authentication: mostOf(DEFAULT_DECISION_POLICY.required.authentication, entry),
  requiredWith: fc
    .tuple(
      mostOf(DEFAULT_DECISION_POLICY.requiredWith.face_match!, name),
      fc.dictionary(name, fc.uniqueArray(name, { maxLength: 3 }), { maxKeys: 2 }),
    )
    .map(([withFace, more]) => ({ ...more, face_match: withFace })),
});
/** A result for every check of the pool, most of them passes (so approvals are common). */
const arbitraryChecks = fc.tuple(
  ...POOL.map((check) =>
    fc
      .oneof(
        { weight: 12, arbitrary: fc.constant('pass' as const) },
        { weight: 2, arbitrary: fc.constantFrom(...CHECK_OUTCOMES) },
      )
      .map((outcome): VerificationCheck => ({ check, outcome, reasonCode: null })),
  ),
);

/** Whether the floor's checks ran for `kind` (the reading of the floor this property tests). */
function floorRan(ran: Set<string>, kind: 'identity' | 'authentication'): boolean {
  for (const need of POLICY_FLOOR.required[kind]) {
    if (typeof need === 'string' ? !ran.has(need) : !need.some((n) => ran.has(n))) return false;
  }
  for (const [key, needs] of Object.entries(POLICY_FLOOR.requiredWith))
    if (ran.has(key) && needs.some((n) => !ran.has(n))) return false;
  return true;
}

describe('policy floor property', () => {
  it('under any policy the schema accepts, an approval means the floor checks ran', () => {
    const seed = seedFromEnv('POLICY_FLOOR_SEED');
    console.log(`policy floor property: seed ${seed} (replay with POLICY_FLOOR_SEED=${seed})`);
    let accepted = 0;
    let approved = 0;
    fc.assert(
      fc.property(
        arbitraryPolicy,
        arbitraryChecks,
        fc.constantFrom('identity' as const, 'authentication' as const),
        (shape, checks, kind) => {
          const parsed = DecisionPolicySchema.safeParse({
            ...DEFAULT_DECISION_POLICY,
            required: { identity: shape.identity, authentication: shape.authentication },
            requiredWith: shape.requiredWith,
          });
          if (!parsed.success) return;
          accepted++;
          const decision = decide(checks, kind, parsed.data);
          if (decision.decision !== 'approved') return;
          approved++;
          const ran = new Set(checks.filter((c) => c.outcome !== 'not_run').map((c) => c.check));
          expect(floorRan(ran, kind)).toBe(true);
        },
      ),
      { seed, numRuns: 3000 },
    );
    // The generator reaches accepted policies often enough for the property to mean something.
    expect(accepted).toBeGreaterThan(300);
    expect(approved).toBeGreaterThan(100);
  });
});
