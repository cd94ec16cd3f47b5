/**
 * verikiosk's own errors: the logger (server/log/) logs their messages, which name files, rules
 * and random ids only, never values. The mark is a registry symbol, so marking an error needs no
 * import of log/.
 */
import type { ProblemCode } from '../contract/problems.js';

/** Set to `true` on verikiosk's own errors (read by server/log/logger.ts). */
export const OWN_ERROR: unique symbol = Symbol.for('verikiosk.own-error');

/**
 * A refused operation of a service: `reason` names the rule, `problem` how the API answers
 * (server/api/errors.ts). No value inside. Subclasses set `name`, which the API matches on.
 */
export abstract class RefusalError extends Error {
  readonly [OWN_ERROR] = true;
  constructor(
    readonly reason: string,
    readonly problem: ProblemCode,
    message: string,
  ) {
    super(message);
  }
}
