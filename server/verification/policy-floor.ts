/**
 * The policy floor: the checks every decision policy must require, whoever signed or installed
 * it (a local admin, the fleet's hub). A policy is data the bank may tune, but not to the point
 * where an identity is approved without looking at the document or the person: a policy below
 * the floor is refused by `DecisionPolicySchema` (policy-store.ts), so it is never installed,
 * locally or from a fleet push. Data, derived from SPEC:
 *
 * - identity: the document read with its check digits holding (`document_valid`, DOC-1/DOC-3),
 *   not expired (`document_expiry`, DOC-4), the holder's age (`age`, DOC-4 and PRIV-4: nothing
 *   kept from a minor), the selfie compared with the document's portrait (`face_match`, FACE-3)
 *   and presentation-attack detection (`liveness`, FACE-4);
 * - authentication: a returning subject compared with established enrolments (`enrolment`,
 *   VER-5) by one of the biometrics of its method (`face_match` or `signature_match`, VER-5);
 * - a face compared is also checked live (`liveness` with every `face_match`, FACE-4), so an
 *   authentication by face never approves a photo.
 *
 * "Required" means what `checksNotRun` (policy.ts) enforces: a plain entry of `required[kind]`,
 * or a check `requiredWith` a plain entry (transitively; if the key did not run, the required
 * key itself sends the session to review). A floor choice is met by a plain entry among its
 * checks or by a policy choice whose every check is one of them.
 */
import type { VerificationKind } from '../../contract/verifications.js';
import type { DecisionPolicy } from './policy.js';

export interface PolicyFloor {
  /** Per kind: checks the policy must require; an inner list is a choice of acceptable checks. */
  readonly required: Readonly<Record<VerificationKind, readonly (string | readonly string[])[]>>;
  /** Checks the policy must require whenever the key check ran. */
  readonly requiredWith: Readonly<Record<string, readonly string[]>>;
}

export const POLICY_FLOOR: PolicyFloor = {
  required: {
    identity: ['document_valid', 'document_expiry', 'age', 'face_match', 'liveness'],
    authentication: ['enrolment', ['face_match', 'signature_match']],
  },
  requiredWith: { face_match: ['liveness'] },
};

/** A floor check the policy does not require: where (`required.identity`…) and which check. */
export interface FloorShortfall {
  readonly path: readonly string[];
  /** The check's code; a choice as its codes joined by `|` (e.g. `face_match|signature_match`). */
  readonly check: string;
}

type Shape = Pick<DecisionPolicy, 'required' | 'requiredWith'>;

/** `start` and every check `requiredWith` asks for beside them, transitively. */
function withRequiredWith(policy: Shape, start: Iterable<string>): Set<string> {
  const out = new Set<string>();
  const queue = [...start];
  while (queue.length > 0) {
    const name = queue.pop()!;
    if (out.has(name)) continue;
    out.add(name);
    const also = Object.hasOwn(policy.requiredWith, name) ? policy.requiredWith[name] : undefined;
    for (const next of also ?? []) queue.push(next);
  }
  return out;
}

/** Every floor check `policy` does not require, in the floor's order (empty: at or above it). */
export function floorShortfalls(
  policy: Shape,
  floor: PolicyFloor = POLICY_FLOOR,
): FloorShortfall[] {
  const out: FloorShortfall[] = [];
  for (const kind of Object.keys(floor.required) as VerificationKind[]) {
    const entries = policy.required[kind] ?? [];
    const always = withRequiredWith(
      policy,
      entries.filter((e): e is string => typeof e === 'string'),
    );
    const choices = entries.filter((e): e is readonly string[] => typeof e !== 'string');
    for (const need of floor.required[kind]) {
      if (typeof need === 'string') {
        if (!always.has(need)) out.push({ path: ['required', kind], check: need });
        continue;
      }
      const met =
        need.some((name) => always.has(name)) ||
        choices.some((choice) => choice.every((name) => need.includes(name)));
      if (!met) out.push({ path: ['required', kind], check: need.join('|') });
    }
  }
  for (const [key, needs] of Object.entries(floor.requiredWith)) {
    const implied = withRequiredWith(policy, [key]);
    for (const need of needs)
      if (!implied.has(need)) out.push({ path: ['requiredWith', key], check: need });
  }
  return out;
}
