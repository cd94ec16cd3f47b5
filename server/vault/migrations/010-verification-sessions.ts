import type { Migration } from './index.js';

/**
 * Verification sessions as a product path (issue 14). Migration 001 declared `verifications` for
 * the one-off/onboarding purposes; the session machine (server/verification/machine.ts) needs
 * more than it holds:
 *
 * - `kind` (identity | authentication), backfilled from `purpose` ('authentication' stays,
 *   everything else was a first-time identity);
 * - `steps_done` (JSON list of capture steps), `last_activity_at` (idle timeout),
 *   `reason_code` (why the session is where it is: a timeout, a cancel, a limit),
 *   `policy_version` (recorded with each decision), `simulated` (a capture came from a simulated
 *   device: never approved without staff).
 *
 * `verification_captures`: one row per (session, step), replaced when the step is captured again,
 * holding what the submit needs that is not personal data: row ids of the sealed captures, the
 * source of the capture, and the typed check results computed at capture time (liveness, face
 * quality, signature score) as codes and numbers. Personal data stays in the sealed columns of
 * documents, document_images, biometric_templates and biometric_samples.
 */
export const migration010VerificationSessions: Migration = {
  version: 10,
  name: '010-verification-sessions',
  up(db) {
    db.exec(`
ALTER TABLE verifications ADD COLUMN kind TEXT CHECK (kind IN ('identity', 'authentication'));
UPDATE verifications SET kind = CASE purpose WHEN 'authentication' THEN 'authentication' ELSE 'identity' END;
ALTER TABLE verifications ADD COLUMN steps_done TEXT NOT NULL DEFAULT '[]';
ALTER TABLE verifications ADD COLUMN last_activity_at TEXT;
UPDATE verifications SET last_activity_at = updated_at;
ALTER TABLE verifications ADD COLUMN reason_code TEXT;
ALTER TABLE verifications ADD COLUMN policy_version TEXT;
ALTER TABLE verifications ADD COLUMN simulated INTEGER NOT NULL DEFAULT 0 CHECK (simulated IN (0, 1));
CREATE INDEX verifications_created ON verifications (created_at, id);

CREATE TABLE verification_captures (
  verification_id TEXT NOT NULL REFERENCES verifications (id) ON DELETE CASCADE,
  step TEXT NOT NULL CHECK (step IN ('consent', 'document', 'selfie', 'signature')),
  source TEXT NOT NULL CHECK (source IN ('api', 'kiosk', 'device', 'simulated_device')),
  result TEXT NOT NULL DEFAULT '{}',
  created_at TEXT NOT NULL,
  PRIMARY KEY (verification_id, step)
) STRICT;
`);
  },
};
