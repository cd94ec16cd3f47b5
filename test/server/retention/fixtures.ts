import { createHash, randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { RetentionReport } from '../../../server/retention/index.js';
import {
  defaultConfig,
  resolveRetentionRules,
  type RetentionRule,
} from '../../../server/config/index.js';
import { Vault, dataDirPaths, newId } from '../../../server/vault/index.js';
import { vaultDb } from '../../../server/vault/internal.js';

/**
 * Fixtures for the retention tests: a vault per test in its own temp data dir, a clock the test
 * moves, and seeders that write straight into the real tables (sealed columns sealed by the vault
 * under the subject's key), every value obviously synthetic.
 */

/** The date every test evaluates the policy at, and the cutoffs of the default rules from it. */
export const AS_OF = new Date('2031-03-15T12:00:00.000Z');
export const CUTOFF = {
  /** P30D */
  oneOffDecision: '2031-02-13T12:00:00.000Z',
  /** P3Y */
  biometricsInactivity: '2028-03-15T12:00:00.000Z',
  /** PT0S */
  immediately: '2031-03-15T12:00:00.000Z',
  /** P90D */
  documentImages: '2030-12-15T12:00:00.000Z',
  /** P5Y */
  recordsInactivity: '2026-03-15T12:00:00.000Z',
  /** P7Y */
  audit: '2024-03-15T12:00:00.000Z',
} as const;

export function defaultRules(): RetentionRule[] {
  return resolveRetentionRules(defaultConfig());
}

/** `iso` moved by `seconds` (negative: earlier). */
export function shift(iso: string | Date, seconds: number): string {
  return new Date(new Date(iso).getTime() + seconds * 1000).toISOString();
}

/** One second short of expiring: the basis event one second after the cutoff. */
export const oneSecondShort = (cutoff: string): string => shift(cutoff, 1);

const DAY = 86_400;
export const daysBefore = (iso: string | Date, days: number): string => shift(iso, -days * DAY);

export interface FakeClock {
  (): Date;
  set(at: Date | string): void;
}

export function fakeClock(start: Date | string = AS_OF): FakeClock {
  let now = new Date(start).getTime();
  const clock = (): Date => new Date(now);
  clock.set = (at: Date | string): void => {
    now = new Date(at).getTime();
  };
  return clock;
}

const dirs: string[] = [];
const vaults: Vault[] = [];

export interface TestVault {
  vault: Vault;
  clock: FakeClock;
  dir: string;
  dbFile: string;
  seed: Seeder;
}

export async function newTestVault(options: { start?: Date | string } = {}): Promise<TestVault> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vk-retention-test-'));
  dirs.push(dir);
  const clock = fakeClock(options.start ?? AS_OF);
  const vault = await Vault.init(dir, { unattendedKeyFile: path.join(dir, 'master.key'), clock });
  vaults.push(vault);
  return { vault, clock, dir, dbFile: dataDirPaths(dir).database, seed: new Seeder(vault) };
}

/** Closes every vault and removes every temp dir of the test. */
export function cleanup(): void {
  for (const vault of vaults.splice(0)) {
    try {
      vault.close();
    } catch {
      // already closed by the test
    }
  }
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
}

export type Purpose = 'one_off' | 'onboarding' | 'authentication';

/** Writes rows into the real tables; every plaintext it seals is recorded in `plaintexts`. */
export class Seeder {
  readonly plaintexts: string[] = [];
  /** Sealed bytes of every template, by template id. */
  readonly templateBytes = new Map<string, Uint8Array>();

  constructor(private readonly vault: Vault) {}

  #sealed(subjectId: string, table: string, column: string, rowId: string, size = 0): Uint8Array {
    // Random filler makes the ciphertext long enough to search for without false hits.
    const plaintext = `ZZSYNTHETIC-${table}-${column}-${rowId}-${randomBytes(size).toString('hex')}`;
    this.plaintexts.push(plaintext);
    return this.vault.seal({ subjectId }, { table, column, rowId }, plaintext);
  }

  /** A subject created at `createdAt` whose last interaction was `lastInteraction` (default: a day before AS_OF). */
  subject(options: { createdAt?: string; lastInteraction?: string } = {}): string {
    const lastInteraction = options.lastInteraction ?? daysBefore(AS_OF, 1);
    const createdAt = options.createdAt ?? lastInteraction;
    const id = this.vault.createSubject({ at: new Date(createdAt) });
    vaultDb(this.vault)
      .prepare('UPDATE subjects SET last_interaction_at = ?, profile_enc = ? WHERE id = ?')
      .run(lastInteraction, this.#sealed(id, 'subjects', 'profile_enc', id), id);
    return id;
  }

  verification(options: {
    subjectId: string | null;
    purpose?: Purpose;
    decidedAt?: string | null;
    createdAt?: string;
    updatedAt?: string;
  }): string {
    const id = newId('ver');
    const decidedAt = options.decidedAt ?? null;
    const createdAt =
      options.createdAt ?? (decidedAt ? shift(decidedAt, -600) : daysBefore(AS_OF, 1));
    const updatedAt = options.updatedAt ?? decidedAt ?? createdAt;
    const external = options.subjectId
      ? this.#sealed(options.subjectId, 'verifications', 'external_ref_enc', id)
      : null;
    vaultDb(this.vault)
      .prepare(
        `INSERT INTO verifications (id, subject_id, purpose, status, external_ref_enc, decision, created_at, updated_at, decided_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        id,
        options.subjectId,
        options.purpose ?? 'onboarding',
        decidedAt ? 'approved' : 'in_progress',
        external,
        decidedAt ? 'approved' : null,
        createdAt,
        updatedAt,
        decidedAt,
      );
    return id;
  }

  template(options: {
    subjectId: string;
    verificationId?: string | null;
    createdAt?: string;
    size?: number;
  }): string {
    const id = newId('tpl');
    const sealed = this.#sealed(
      options.subjectId,
      'biometric_templates',
      'template_enc',
      id,
      options.size ?? 256,
    );
    this.templateBytes.set(id, sealed);
    vaultDb(this.vault)
      .prepare(
        `INSERT INTO biometric_templates (id, subject_id, verification_id, modality, model, model_version, template_enc, created_at)
         VALUES (?, ?, ?, 'face', 'synthetic-face', '1.0.0', ?, ?)`,
      )
      .run(
        id,
        options.subjectId,
        options.verificationId ?? null,
        sealed,
        options.createdAt ?? daysBefore(AS_OF, 400),
      );
    return id;
  }

  sample(options: {
    subjectId: string;
    verificationId?: string | null;
    createdAt?: string;
  }): string {
    const id = newId('smp');
    vaultDb(this.vault)
      .prepare(
        `INSERT INTO biometric_samples (id, subject_id, verification_id, modality, mime, sample_enc, created_at)
         VALUES (?, ?, ?, 'face', 'image/jpeg', ?, ?)`,
      )
      .run(
        id,
        options.subjectId,
        options.verificationId ?? null,
        this.#sealed(options.subjectId, 'biometric_samples', 'sample_enc', id, 64),
        options.createdAt ?? daysBefore(AS_OF, 400),
      );
    return id;
  }

  /** Template and sample collected together by one verification. */
  biometrics(options: { subjectId: string; verificationId?: string | null; createdAt?: string }): {
    template: string;
    sample: string;
  } {
    return { template: this.template(options), sample: this.sample(options) };
  }

  document(options: {
    subjectId: string;
    verificationId: string | null;
    createdAt?: string;
  }): string {
    const id = newId('doc');
    vaultDb(this.vault)
      .prepare(
        `INSERT INTO documents (id, subject_id, verification_id, kind, format, issuing_state, document_number_masked, record_enc, created_at)
         VALUES (?, ?, ?, 'mrz', 'TD3', 'UTO', '*****TEST', ?, ?)`,
      )
      .run(
        id,
        options.subjectId,
        options.verificationId,
        this.#sealed(options.subjectId, 'documents', 'record_enc', id),
        options.createdAt ?? daysBefore(AS_OF, 400),
      );
    return id;
  }

  documentImage(options: { documentId: string; subjectId: string; createdAt?: string }): string {
    const id = newId('img');
    vaultDb(this.vault)
      .prepare(
        `INSERT INTO document_images (id, document_id, subject_id, side, mime, image_enc, created_at)
         VALUES (?, ?, ?, 'front', 'image/jpeg', ?, ?)`,
      )
      .run(
        id,
        options.documentId,
        options.subjectId,
        this.#sealed(options.subjectId, 'document_images', 'image_enc', id, 64),
        options.createdAt ?? daysBefore(AS_OF, 400),
      );
    return id;
  }

  consent(options: {
    subjectId: string;
    purpose: 'biometric_processing' | 'identity_verification' | 'data_sharing';
    grantedAt: string;
    withdrawnAt?: string | null;
  }): string {
    const id = newId('cns');
    vaultDb(this.vault)
      .prepare(
        `INSERT INTO consents (id, subject_id, purpose, text_version, language, granted_at, withdrawn_at, evidence_enc)
         VALUES (?, ?, ?, '1', 'en', ?, ?, ?)`,
      )
      .run(
        id,
        options.subjectId,
        options.purpose,
        options.grantedAt,
        options.withdrawnAt ?? null,
        this.#sealed(options.subjectId, 'consents', 'evidence_enc', id),
      );
    return id;
  }

  privacyRequest(options: {
    subjectId: string;
    type?: 'deletion' | 'access';
    status: 'received' | 'verifying' | 'in_progress' | 'extended' | 'completed' | 'rejected';
    receivedAt: string;
  }): string {
    const id = newId('prq');
    vaultDb(this.vault)
      .prepare(
        `INSERT INTO privacy_requests (id, subject_id, type, regime, status, received_at, due_at)
         VALUES (?, ?, ?, 'gdpr', ?, ?, ?)`,
      )
      .run(
        id,
        options.subjectId,
        options.type ?? 'deletion',
        options.status,
        options.receivedAt,
        shift(options.receivedAt, 30 * DAY),
      );
    // The requester's contact, sealed under the subject's key (migration 015).
    vaultDb(this.vault)
      .prepare('INSERT INTO privacy_request_data (id, subject_id, requester_enc) VALUES (?, ?, ?)')
      .run(
        id,
        options.subjectId,
        this.#sealed(options.subjectId, 'privacy_request_data', 'requester_enc', id),
      );
    return id;
  }
}

// ---- reading back ------------------------------------------------------------------------

export function exists(vault: Vault, table: string, id: string): boolean {
  return vaultDb(vault).prepare(`SELECT 1 FROM ${table} WHERE id = ?`).get(id) !== undefined;
}

/** The ids of `ids` still present in `table`. */
export function present(vault: Vault, table: string, ids: readonly string[]): string[] {
  return ids.filter((id) => exists(vault, table, id));
}

export function count(vault: Vault, table: string, where = '1'): number {
  return (
    vaultDb(vault).prepare(`SELECT COUNT(*) AS n FROM ${table} WHERE ${where}`).get() as {
      n: number;
    }
  ).n;
}

export interface AuditRow {
  seq: number;
  at: string;
  action: string;
  object_type: string | null;
  object_id: string | null;
  details: string;
}

export function auditRows(vault: Vault): AuditRow[] {
  return vaultDb(vault)
    .prepare('SELECT seq, at, action, object_type, object_id, details FROM audit_log ORDER BY seq')
    .all() as AuditRow[];
}

/** A sha256 per table over all its rows (binary columns as hex), plus one over vault_meta. */
export function tableDigests(vault: Vault): Record<string, string> {
  const tables = vaultDb(vault)
    .prepare(
      "SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name",
    )
    .pluck()
    .all() as string[];
  const out: Record<string, string> = {};
  for (const table of tables) {
    const hash = createHash('sha256');
    for (const row of vaultDb(vault)
      .prepare(`SELECT * FROM ${table} ORDER BY rowid`)
      .iterate() as Iterable<Record<string, unknown>>) {
      // Buffers serialise as their bytes, so a changed blob changes the digest.
      hash.update(JSON.stringify(row));
      hash.update('\n');
    }
    out[table] = hash.digest('hex');
  }
  return out;
}

// ---- a population with something expired under every default rule -------------------------

export interface Scenario {
  /** Ids expected to be destroyed at AS_OF, by category (subjects for extracted_data). */
  expired: {
    biometric_templates: string[];
    biometric_samples: string[];
    document_images: string[];
    decisions: string[];
    extracted_data: string[];
  };
  /** Ids that must survive a run at AS_OF, by table. */
  kept: { table: string; id: string }[];
  /** Audit entries older than 7 years at AS_OF. */
  oldAuditEntries: number;
}

/**
 * Seeds, in a vault whose clock started 8 years before AS_OF, data that expired at many different
 * times under every default rule (some records under two rules at once), and data that has not.
 * Leaves the clock at AS_OF.
 */
export function seedScenario(tv: TestVault): Scenario {
  const { seed, vault, clock } = tv;
  const expired: Scenario['expired'] = {
    biometric_templates: [],
    biometric_samples: [],
    document_images: [],
    decisions: [],
    extracted_data: [],
  };
  const kept: Scenario['kept'] = [];
  const gone = (b: { template: string; sample: string }): void => {
    expired.biometric_templates.push(b.template);
    expired.biometric_samples.push(b.sample);
  };
  const keep = (b: { template: string; sample: string }): void => {
    kept.push(
      { table: 'biometric_templates', id: b.template },
      { table: 'biometric_samples', id: b.sample },
    );
  };

  // Audit entries from 8 and 7.5 years ago (plus vault.initialised), and one recent.
  vault.audit({
    actor: 'system',
    action: 'test.event',
    at: new Date(daysBefore(CUTOFF.audit, 200)),
  });
  vault.audit({ actor: 'system', action: 'test.event', at: new Date(daysBefore(CUTOFF.audit, 1)) });
  vault.audit({ actor: 'system', action: 'test.event', at: new Date(daysBefore(AS_OF, 3)) });

  // one-off decided 40 days ago; its subject also withdrew biometric consent (two rules reach it).
  const oneOff = seed.subject();
  gone(
    seed.biometrics({
      subjectId: oneOff,
      verificationId: seed.verification({
        subjectId: oneOff,
        purpose: 'one_off',
        decidedAt: daysBefore(AS_OF, 40),
      }),
    }),
  );
  seed.consent({
    subjectId: oneOff,
    purpose: 'biometric_processing',
    grantedAt: daysBefore(AS_OF, 500),
    withdrawnAt: daysBefore(AS_OF, 2),
  });
  // one-off decided 10 days ago: not yet.
  keep(
    seed.biometrics({
      subjectId: oneOff,
      verificationId: seed.verification({
        subjectId: oneOff,
        purpose: 'one_off',
        decidedAt: daysBefore(AS_OF, 10),
      }),
      createdAt: daysBefore(AS_OF, 1),
    }),
  );

  // withdrew biometric consent yesterday.
  const withdrawn = seed.subject();
  gone(seed.biometrics({ subjectId: withdrawn, createdAt: daysBefore(AS_OF, 30) }));
  seed.consent({
    subjectId: withdrawn,
    purpose: 'biometric_processing',
    grantedAt: daysBefore(AS_OF, 31),
    withdrawnAt: daysBefore(AS_OF, 1),
  });

  // inactive for 4 years: biometrics go, records stay.
  const dormant = seed.subject({ lastInteraction: daysBefore(AS_OF, 4 * 365) });
  gone(seed.biometrics({ subjectId: dormant, createdAt: daysBefore(AS_OF, 4 * 365 + 5) }));
  const dormantVerification = seed.verification({
    subjectId: dormant,
    decidedAt: daysBefore(AS_OF, 4 * 365 + 5),
  });
  kept.push(
    { table: 'subjects', id: dormant },
    { table: 'verifications', id: dormantVerification },
  );

  // deletion request accepted a week ago; and one only received.
  const deleting = seed.subject();
  gone(seed.biometrics({ subjectId: deleting }));
  seed.privacyRequest({
    subjectId: deleting,
    status: 'in_progress',
    receivedAt: daysBefore(AS_OF, 7),
  });
  const asking = seed.subject();
  keep(seed.biometrics({ subjectId: asking }));
  seed.privacyRequest({ subjectId: asking, status: 'received', receivedAt: daysBefore(AS_OF, 7) });

  // document images decided 100 days and 2 years ago go; 30 days ago stays.
  const documented = seed.subject();
  for (const days of [100, 730, 30]) {
    const verificationId = seed.verification({
      subjectId: documented,
      decidedAt: daysBefore(AS_OF, days),
    });
    const documentId = seed.document({ subjectId: documented, verificationId });
    const image = seed.documentImage({ documentId, subjectId: documented });
    if (days > 90) expired.document_images.push(image);
    else kept.push({ table: 'document_images', id: image });
    kept.push(
      { table: 'documents', id: documentId },
      { table: 'verifications', id: verificationId },
    );
  }

  // inactive for 6 and 9 years: crypto-shredded; their one-off biometrics fall to the one-off rule first.
  for (const years of [6, 9]) {
    const subjectId = seed.subject({ lastInteraction: daysBefore(AS_OF, years * 365) });
    const verificationId = seed.verification({
      subjectId,
      purpose: 'one_off',
      decidedAt: daysBefore(AS_OF, years * 365 + 1),
    });
    gone(
      seed.biometrics({ subjectId, verificationId, createdAt: daysBefore(AS_OF, years * 365 + 2) }),
    );
    const documentId = seed.document({ subjectId, verificationId });
    expired.document_images.push(seed.documentImage({ documentId, subjectId }));
    expired.decisions.push(verificationId);
    expired.extracted_data.push(subjectId);
  }
  // A verification never tied to a subject, untouched for 5.5 years.
  expired.decisions.push(
    seed.verification({
      subjectId: null,
      createdAt: daysBefore(AS_OF, 2100),
      updatedAt: daysBefore(AS_OF, 2000),
    }),
  );

  clock.set(AS_OF);
  return { expired, kept, oldAuditEntries: 3 };
}

/** What a run at AS_OF destroys in the scenario, per rule and category. */
export const SCENARIO_COUNTS: Readonly<Record<string, number>> = {
  'biometrics.one_off_decision biometric_templates': 3,
  'biometrics.one_off_decision biometric_samples': 3,
  'biometrics.inactivity biometric_templates': 1,
  'biometrics.inactivity biometric_samples': 1,
  'biometrics.consent_withdrawn biometric_templates': 1,
  'biometrics.consent_withdrawn biometric_samples': 1,
  'biometrics.deletion_request biometric_templates': 1,
  'biometrics.deletion_request biometric_samples': 1,
  'document_images.after_decision document_images': 4,
  'records.inactivity decisions': 3,
  'records.inactivity extracted_data': 2,
  'audit.age audit': 3,
};
export const SCENARIO_TOTAL = Object.values(SCENARIO_COUNTS).reduce((a, b) => a + b, 0);

/** A vault whose clock started 8 years before AS_OF, seeded with the scenario, clock now at AS_OF. */
export async function scenarioVault(): Promise<TestVault & { scenario: Scenario }> {
  const tv = await newTestVault({ start: daysBefore(CUTOFF.audit, 365) });
  return { ...tv, scenario: seedScenario(tv) };
}

/** A report's non-zero counts, keyed "rule category". */
export function counts(report: RetentionReport): Record<string, number> {
  return Object.fromEntries(
    report.items.filter((i) => i.count > 0).map((i) => [`${i.ruleId} ${i.category}`, i.count]),
  );
}
