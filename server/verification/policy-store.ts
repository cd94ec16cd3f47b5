/**
 * The decision policy as stored data: each version installed on this appliance (from the fleet's
 * hub, or locally), newest last. Before the first row the built-in default (or the one the
 * composition root passes) decides. A document is accepted only through `DecisionPolicySchema`,
 * stored as its canonical JSON with a SHA-256, audited (`decision_policy.installed`).
 *
 * Fleet-managed: once the fleet installed a policy, a local install is refused (`fleet_managed`)
 * until the appliance leaves the fleet (`fleet leave` releases the documents; the policy in force
 * stays until a new one is installed).
 *
 * Signed is not enough: a policy below the floor (policy-floor.ts: the checks each kind must
 * always require) is refused by the schema itself (`below_floor`, naming the missing check), so
 * neither a local install nor a fleet push can make an identity approvable without, say, liveness.
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { REASON_CODE_LIST, type ReasonCode } from '../../contract/reason-codes.js';
import { OWN_ERROR } from '../own-error.js';
import { cachedStatement as sql, type ReadableDb, type Vault } from '../vault/index.js';
import type { DecisionPolicy } from './policy.js';
import { floorShortfalls } from './policy-floor.js';

const CHECK = z.string().regex(/^[a-z][a-z0-9_]{0,63}$/);
/** Each kind's required checks (a list inside is a choice); never empty: nothing approves unseen. */
const REQUIRED = z.array(z.union([CHECK, z.array(CHECK).min(1)])).min(1);
const ACTION = z.enum(['decline', 'resubmit', 'review', 'none']);

/**
 * A decision policy document (policy.json): the shape `decide` takes, nothing more, at or above
 * the floor (each floor check it does not require is an issue at `required.<kind>` or
 * `requiredWith.<check>` with `params.floorCheck`, the missing check's code).
 */
export const DecisionPolicySchema = z
  .strictObject({
    version: z.string().regex(/^[A-Za-z0-9._-]{1,32}$/),
    required: z.strictObject({ identity: REQUIRED, authentication: REQUIRED }),
    requiredWith: z.record(CHECK, z.array(CHECK)),
    reasons: z.partialRecord(
      z.enum(REASON_CODE_LIST as [ReasonCode, ...ReasonCode[]]),
      z.strictObject({ onFail: ACTION, onWarn: ACTION, weight: z.number().min(0).max(100) }),
    ),
  })
  .superRefine((policy, ctx) => {
    for (const { path, check } of floorShortfalls(policy))
      ctx.addIssue({
        code: 'custom',
        path: [...path],
        message: `the policy floor requires ${check}`,
        params: { floorCheck: check },
      });
  });

export class PolicyStoreError extends Error {
  override name = 'PolicyStoreError';
  readonly [OWN_ERROR] = true;
  constructor(
    readonly reason: 'invalid_policy' | 'below_floor' | 'fleet_managed',
    message: string,
    /** With `below_floor`: the code of the check the policy must require (a choice as `a|b`). */
    readonly check?: string,
  ) {
    super(message);
  }
}

/**
 * The policy as `decide` takes it, or a typed error naming the first wrong field (no values):
 * `invalid_policy` for its shape, `below_floor` with the first floor check it does not require.
 */
export function parseDecisionPolicy(input: unknown): DecisionPolicy {
  const parsed = DecisionPolicySchema.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const floorCheck =
      issue?.code === 'custom' ? (issue.params as { floorCheck?: unknown })?.floorCheck : undefined;
    if (typeof floorCheck === 'string')
      throw new PolicyStoreError(
        'below_floor',
        `the decision policy is below the floor: ${issue!.path.join('.')} must require ${floorCheck}`,
        floorCheck,
      );
    throw new PolicyStoreError(
      'invalid_policy',
      `the decision policy is not valid: ${issue?.path.join('.') || '(root)'}: ${issue?.code ?? 'invalid'}`,
    );
  }
  return parsed.data;
}

export function policyHash(policy: DecisionPolicy): string {
  return createHash('sha256').update(JSON.stringify(policy), 'utf8').digest('hex');
}

export interface StoredDecisionPolicy {
  readonly seq: number;
  readonly policy: DecisionPolicy;
  readonly hash: string;
  readonly source: 'local' | 'fleet';
  readonly fleetVersion: number | null;
  readonly fleetEntry: string | null;
  readonly installedBy: string;
  readonly installedAt: string;
}

/** The newest installed policy, or null (the built-in default decides). */
export function latestDecisionPolicy(db: ReadableDb): StoredDecisionPolicy | null {
  const row = sql(
    db,
    `SELECT seq, policy, policy_hash AS hash, source, fleet_version AS fleetVersion,
       fleet_entry AS fleetEntry, installed_by AS installedBy, installed_at AS installedAt
     FROM decision_policies ORDER BY seq DESC LIMIT 1`,
  ).get() as (Omit<StoredDecisionPolicy, 'policy'> & { policy: string }) | undefined;
  return row === undefined ? null : { ...row, policy: JSON.parse(row.policy) as DecisionPolicy };
}

/** The policy a verification decided now uses: the newest installed, else `fallback`. */
export function decisionPolicyInForce(vault: Vault, fallback: DecisionPolicy): DecisionPolicy {
  return vault.read(latestDecisionPolicy)?.policy ?? fallback;
}

/** The fleet's hub manages the policy (its row in `fleet_managed`, migration 020; gone at leave). */
function fleetManagesPolicy(db: ReadableDb): boolean {
  return sql(db, "SELECT 1 FROM fleet_managed WHERE kind = 'policy'").get() !== undefined;
}

export interface PolicyInstall {
  readonly actor: string;
  /** Set when the hub sent it: its version and list entry (provenance). */
  readonly fleet?: { readonly version: number; readonly entryId: string };
}

/**
 * Installs a policy version (validated by the schema) as the one in force, audited. A local
 * install on a fleet-managed appliance is refused: the bank's policy is the fleet's.
 */
export function installDecisionPolicy(
  vault: Vault,
  input: unknown,
  install: PolicyInstall,
): StoredDecisionPolicy {
  const policy = parseDecisionPolicy(input);
  const hash = policyHash(policy);
  return vault.write((db) => {
    const last = latestDecisionPolicy(db);
    if (install.fleet === undefined && last?.source === 'fleet' && fleetManagesPolicy(db))
      throw new PolicyStoreError(
        'fleet_managed',
        `the decision policy is managed by the fleet (hub version ${last.fleetVersion}): change it at the hub (fleet hub push-policy)`,
      );
    const installedAt = vault.now.toISOString();
    const { lastInsertRowid } = sql(
      db,
      `INSERT INTO decision_policies (version, policy, policy_hash, source, fleet_version,
         fleet_entry, installed_by, installed_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
    ).run(
      policy.version,
      JSON.stringify(policy),
      hash,
      install.fleet ? 'fleet' : 'local',
      install.fleet?.version ?? null,
      install.fleet?.entryId ?? null,
      install.actor,
      installedAt,
    );
    vault.audit({
      actor: install.actor,
      action: 'decision_policy.installed',
      objectType: 'decision_policy',
      objectId: policy.version,
      details: {
        version: policy.version,
        hash,
        previous: last?.hash ?? null,
        source: install.fleet ? 'fleet' : 'local',
        ...(install.fleet
          ? { hubVersion: install.fleet.version, entryId: install.fleet.entryId }
          : {}),
      },
    });
    return {
      seq: Number(lastInsertRowid),
      policy,
      hash,
      source: install.fleet ? 'fleet' : 'local',
      fleetVersion: install.fleet?.version ?? null,
      fleetEntry: install.fleet?.entryId ?? null,
      installedBy: install.actor,
      installedAt,
    };
  });
}
