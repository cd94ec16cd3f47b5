import { createHash } from 'node:crypto';
import type { Migration } from './index.js';

/**
 * Written consent, minors and the published retention policy (issue 15, PRIV-1/2/4).
 *
 * - `consent_texts` is rebuilt: purposes are now `biometric_processing` (biometric processing for
 *   identity verification), `authentication` (biometric authentication later on) and
 *   `data_sharing` (the result shared with the branch system); `identity_verification` stays
 *   allowed for rows written before. Each text carries the SHA-256 of its exact wording
 *   (`text_hash`), its title, the template version it was rendered from and the retention
 *   policy version it names: a changed wording is a new version row, never an update.
 * - `consents` is rebuilt with the hash of the text agreed to, the kiosk and branch, who gave it
 *   (the subject, or a guardian for a minor with the guardian's own verification), the written
 *   release (ids of the sealed signature sample and its PNG render in biometric_samples), and
 *   who withdrew it through which channel. Nothing references `consents`, so the rebuild is safe.
 * - `guardian_links`: a minor's session linked to the guardian's own approved verification.
 * - `minor_stops`: how many sessions stopped under the minimum age, per day: a count only.
 * - `retention_policy_versions`: each retention policy put in force, numbered, with its hash
 *   (a change back to an earlier policy is a new version too).
 */
export const migration011Consent: Migration = {
  version: 11,
  name: '011-consent',
  up(db) {
    db.exec(`
CREATE TABLE consent_texts_new (
  id TEXT PRIMARY KEY,
  purpose TEXT NOT NULL CHECK (purpose IN ('biometric_processing', 'identity_verification', 'authentication', 'data_sharing')),
  version TEXT NOT NULL,
  language TEXT NOT NULL,
  title TEXT NOT NULL DEFAULT '',
  body TEXT NOT NULL,
  text_hash TEXT NOT NULL,
  template_version TEXT,
  policy_version INTEGER,
  published_at TEXT NOT NULL,
  UNIQUE (purpose, version, language)
) STRICT;

CREATE TABLE consents_new (
  id TEXT PRIMARY KEY,
  subject_id TEXT NOT NULL REFERENCES subjects (id) ON DELETE CASCADE,
  verification_id TEXT REFERENCES verifications (id) ON DELETE SET NULL,
  consent_text_id TEXT REFERENCES consent_texts_new (id),
  purpose TEXT NOT NULL CHECK (purpose IN ('biometric_processing', 'identity_verification', 'authentication', 'data_sharing')),
  text_version TEXT NOT NULL,
  text_hash TEXT,
  language TEXT NOT NULL,
  granted_at TEXT NOT NULL,
  kiosk_id TEXT,
  branch TEXT,
  given_by TEXT NOT NULL DEFAULT 'subject' CHECK (given_by IN ('subject', 'guardian')),
  guardian_verification_id TEXT,
  signature_sample_id TEXT,
  render_sample_id TEXT,
  withdrawn_at TEXT,
  withdrawn_by TEXT,
  withdrawal_channel TEXT CHECK (withdrawal_channel IN ('kiosk', 'staff', 'api')),
  evidence_enc BLOB
) STRICT;
`);
    const texts = db
      .prepare('SELECT id, purpose, version, language, body, published_at FROM consent_texts')
      .all() as {
      id: string;
      purpose: string;
      version: string;
      language: string;
      body: string;
      published_at: string;
    }[];
    const insertText = db.prepare(
      `INSERT INTO consent_texts_new (id, purpose, version, language, body, text_hash, published_at)
       VALUES (?, ?, ?, ?, ?, ?, ?)`,
    );
    for (const t of texts) {
      const hash = createHash('sha256').update(t.body, 'utf8').digest('hex');
      insertText.run(t.id, t.purpose, t.version, t.language, t.body, hash, t.published_at);
    }
    db.exec(`
INSERT INTO consents_new (id, subject_id, verification_id, consent_text_id, purpose, text_version,
  text_hash, language, granted_at, withdrawn_at, evidence_enc)
SELECT c.id, c.subject_id, c.verification_id, c.consent_text_id, c.purpose, c.text_version,
  (SELECT t.text_hash FROM consent_texts_new t WHERE t.id = c.consent_text_id),
  c.language, c.granted_at, c.withdrawn_at, c.evidence_enc FROM consents c;
DROP TABLE consents;
DROP TABLE consent_texts;
ALTER TABLE consent_texts_new RENAME TO consent_texts;
ALTER TABLE consents_new RENAME TO consents;
CREATE INDEX consents_subject ON consents (subject_id, purpose);
CREATE INDEX consents_verification ON consents (verification_id);
CREATE INDEX consents_text ON consents (consent_text_id);
CREATE INDEX consents_withdrawn ON consents (withdrawn_at) WHERE withdrawn_at IS NOT NULL;

CREATE TABLE guardian_links (
  id TEXT PRIMARY KEY,
  minor_verification_id TEXT NOT NULL REFERENCES verifications (id) ON DELETE CASCADE,
  minor_subject_id TEXT NOT NULL REFERENCES subjects (id) ON DELETE CASCADE,
  guardian_verification_id TEXT NOT NULL REFERENCES verifications (id),
  guardian_subject_id TEXT NOT NULL REFERENCES subjects (id) ON DELETE CASCADE,
  linked_at TEXT NOT NULL,
  linked_by TEXT NOT NULL,
  UNIQUE (minor_verification_id)
) STRICT;
CREATE INDEX guardian_links_guardian ON guardian_links (guardian_subject_id);
CREATE INDEX guardian_links_minor ON guardian_links (minor_subject_id);
CREATE INDEX guardian_links_guardian_verification ON guardian_links (guardian_verification_id);

CREATE TABLE minor_stops (
  day TEXT PRIMARY KEY,
  count INTEGER NOT NULL CHECK (count >= 0)
) STRICT;

CREATE TABLE retention_policy_versions (
  version INTEGER PRIMARY KEY,
  policy_hash TEXT NOT NULL,
  rules TEXT NOT NULL,
  recorded_at TEXT NOT NULL
) STRICT;
`);
  },
};
