import type { Migration } from './index.js';

/**
 * The liveness challenge is the core's, not the client's (issue 14): `POST
 * /verifications/{id}/liveness-challenge` draws a plan with the CSPRNG and stores it on the
 * session, and the selfie names it by id and is judged against the stored plan. One outstanding
 * challenge per session (a new one replaces it), a bounded lifetime, one use:
 *
 * - `liveness_challenge_id`: the challenge's id (`lch_…`), the only thing a capture sends back;
 * - `liveness_plan`: the plan as JSON (actions and times: no personal data);
 * - `liveness_challenge_expires_at`: a selfie received after it is refused;
 * - `liveness_challenge_used_at`: set in the selfie capture's transaction; a second capture
 *   naming the same challenge is refused.
 */
export const migration017LivenessChallenges: Migration = {
  version: 17,
  name: '017-liveness-challenges',
  up(db) {
    db.exec(`
ALTER TABLE verifications ADD COLUMN liveness_challenge_id TEXT;
ALTER TABLE verifications ADD COLUMN liveness_plan TEXT;
ALTER TABLE verifications ADD COLUMN liveness_challenge_expires_at TEXT;
ALTER TABLE verifications ADD COLUMN liveness_challenge_used_at TEXT;
`);
  },
};
