/**
 * The fraud signals over a real vault and the real 1:N search, with synthetic embeddings (no
 * model): a known-fraud face matches until it expires or is removed (by this process or behind
 * the index's back), a face under another subject is a duplicate, and velocity counts the
 * verifications within the window only.
 */
import { afterEach, describe, expect, it } from 'vitest';
import {
  FaceSearch,
  faceMatchThresholds,
  removeFraudFace,
} from '../../../server/biometrics/index.js';
import {
  documentVelocityCheck,
  faceSignalChecks,
  vaultFraudLookups,
  type FraudLookups,
  type VerificationCheck,
} from '../../../server/verification/index.js';
import { newId, normaliseDocumentNumber, type Vault } from '../../../server/vault/index.js';
import { vaultDb } from '../../../server/vault/internal.js';
import { cleanup, newVault } from '../vault/helpers.js';
import { manualClock } from '../api/auth-helpers.js';
import { syntheticEmbedding as embedding } from '../../support/random.js';
import { fraudFaceRows } from '../../../server/fraud/index.js';

afterEach(cleanup);

const MODEL = { name: 'face-api-recognition', version: '1.7.15' } as const;
const HOUR = 3_600_000;
const LIVE = faceMatchThresholds('live');

/** `base` moved by exactly `distance` along the first axis. */
function near(base: Float32Array, distance: number): Float32Array {
  const out = Float32Array.from(base);
  out[0] = out[0]! + distance;
  return out;
}

async function setup() {
  const clock = manualClock('2026-06-01T12:00:00.000Z');
  const { vault } = await newVault({ clock: clock.now });
  const search = FaceSearch.open(vault, { fraudRows: fraudFaceRows, model: MODEL });
  return { clock, vault, search, lookups: vaultFraudLookups(vault, search) };
}

function verification(vault: Vault, createdAt: Date): string {
  const id = newId('ver');
  vaultDb(vault)
    .prepare(
      `INSERT INTO verifications (id, purpose, status, created_at, updated_at)
       VALUES (?, 'onboarding', 'submitted', ?, ?)`,
    )
    .run(id, createdAt.toISOString(), createdAt.toISOString());
  return id;
}

type Checks = Record<'known_fraud_face' | 'duplicate_face' | 'velocity_face', VerificationCheck>;
const byCheck = (checks: VerificationCheck[]): Checks =>
  Object.fromEntries(checks.map((c) => [c.check, c])) as Checks;

function signals(
  lookups: FraudLookups,
  probe: Float32Array,
  now: Date,
  subjectId: string | null = null,
  verificationId = 'ver_probe',
) {
  return byCheck(
    faceSignalChecks(
      { probe: { model: MODEL, embedding: probe }, subjectId, verificationId, now },
      lookups,
    ),
  );
}

describe('known-fraud faces in the 1:N search', () => {
  it('match until removed, and a removal made behind the index (another process) stops them too', async () => {
    const { vault, search, lookups, clock } = await setup();
    const face = embedding(1);
    const first = search.addFraudFace({
      embedding: face,
      reasonCode: 'confirmed_fraud',
      actor: 'user:u',
    });
    expect(signals(lookups, near(face, 0.01), clock.now()).known_fraud_face).toEqual({
      check: 'known_fraud_face',
      outcome: 'fail',
      score: expect.any(Number),
      reasonCode: 'known_fraud_face',
    });
    // in the review band: a person looks
    const band = (LIVE.approveMaxDistance + LIVE.reviewMaxDistance) / 2;
    expect(signals(lookups, near(face, band), clock.now()).known_fraud_face).toMatchObject({
      outcome: 'warn',
      reasonCode: 'known_fraud_face',
    });
    expect(signals(lookups, embedding(2), clock.now()).known_fraud_face).toMatchObject({
      outcome: 'pass',
    });

    expect(search.removeFraudFace(first, 'user:u', 'added_in_error')).toBe(true);
    expect(search.index.has(first)).toBe(false);
    expect(signals(lookups, face, clock.now()).known_fraud_face.outcome).toBe('pass');

    // removed through the vault only (as the CLI or another process would): the index still
    // holds it, the search confirms its hit against the vault and drops it
    const second = search.addFraudFace({
      embedding: face,
      reasonCode: 'identity_theft',
      actor: 'user:u',
    });
    expect(removeFraudFace(vault, fraudFaceRows, second, 'user:other', 'court_order')).toBe(true);
    expect(search.index.has(second)).toBe(true);
    expect(signals(lookups, face, clock.now()).known_fraud_face.outcome).toBe('pass');
    expect(search.index.has(second)).toBe(false);
    // the removed template is erased from its row; a reload does not bring it back
    expect(
      vaultDb(vault)
        .prepare('SELECT template_enc FROM fraud_list_entries WHERE id = ?')
        .get(second),
    ).toEqual({ template_enc: null });
    expect(FaceSearch.open(vault, { fraudRows: fraudFaceRows, model: MODEL }).loaded.fraud).toBe(0);
  });

  it('stop matching at their expiry on the vault clock, and are not loaded once expired', async () => {
    const { vault, search, lookups, clock } = await setup();
    const face = embedding(3);
    const expiresAt = new Date(clock.now().getTime() + 2 * HOUR).toISOString();
    const id = search.addFraudFace({
      embedding: face,
      reasonCode: 'reported_stolen',
      expiresAt,
      actor: 'user:u',
    });
    expect(FaceSearch.open(vault, { fraudRows: fraudFaceRows, model: MODEL }).loaded.fraud).toBe(1);
    clock.advance(2 * HOUR - 1);
    expect(signals(lookups, face, clock.now()).known_fraud_face.outcome).toBe('fail');
    clock.advance(1);
    expect(signals(lookups, face, clock.now()).known_fraud_face.outcome).toBe('pass');
    expect(search.index.has(id)).toBe(false);
    expect(FaceSearch.open(vault, { fraudRows: fraudFaceRows, model: MODEL }).loaded.fraud).toBe(0);
  });
});

describe('duplicate faces and face velocity', () => {
  it('flags the same face enrolled under another subject, not under this one', async () => {
    const { vault, search, lookups, clock } = await setup();
    const a = vault.createSubject();
    const b = vault.createSubject();
    const face = embedding(5);
    search.enrol({ subjectId: a, embedding: face, actor: 'system' });
    const probe = near(face, 0.02);
    expect(signals(lookups, probe, clock.now(), b).duplicate_face).toMatchObject({
      outcome: 'fail',
      reasonCode: 'duplicate_face',
    });
    expect(signals(lookups, probe, clock.now(), null).duplicate_face.outcome).toBe('fail');
    expect(signals(lookups, probe, clock.now(), a).duplicate_face).toMatchObject({
      outcome: 'pass',
      reasonCode: null,
    });
    expect(signals(lookups, embedding(6), clock.now(), b).duplicate_face.outcome).toBe('pass');
  });

  it('counts the verifications that presented the same face within the window only', async () => {
    const { vault, search, lookups, clock } = await setup();
    const now = clock.now();
    const subject = vault.createSubject();
    const face = embedding(7);
    const enrolAt = (hoursAgo: number) =>
      search.enrol({
        subjectId: subject,
        embedding: near(face, 0.01 * hoursAgo),
        verificationId: verification(vault, new Date(now.getTime() - hoursAgo * HOUR)),
        actor: 'system',
      });
    enrolAt(1);
    enrolAt(2);
    enrolAt(30); // outside the 24 h window
    // another person's face within the window does not count
    search.enrol({
      subjectId: vault.createSubject(),
      embedding: embedding(8),
      verificationId: verification(vault, new Date(now.getTime() - HOUR)),
      actor: 'system',
    });
    const probeVerification = verification(vault, now);
    // 2 others + this one = 3: within the default limit
    expect(signals(lookups, face, now, subject, probeVerification).velocity_face).toMatchObject({
      outcome: 'pass',
    });
    enrolAt(23);
    expect(signals(lookups, face, now, subject, probeVerification).velocity_face).toEqual({
      check: 'velocity_face',
      outcome: 'warn',
      reasonCode: 'velocity_face',
    });
    // this verification's own template is not counted twice
    search.enrol({
      subjectId: subject,
      embedding: face,
      verificationId: probeVerification,
      actor: 'system',
    });
    expect(signals(lookups, face, now, subject, probeVerification).velocity_face.outcome).toBe(
      'warn',
    );
    // 23.5 h later only the verification made now is in the window (plus the new one)
    expect(
      signals(lookups, face, new Date(now.getTime() + 23.5 * HOUR), subject, 'ver_later')
        .velocity_face.outcome,
    ).toBe('pass');
  });

  it('does not pass when the index cannot answer (still loading)', async () => {
    const { vault } = await setup();
    const loading = FaceSearch.openInBackground(vault, { fraudRows: fraudFaceRows, model: MODEL });
    const checks = faceSignalChecks(
      {
        probe: { model: MODEL, embedding: embedding(1) },
        subjectId: null,
        verificationId: 'v',
        now: new Date(),
      },
      vaultFraudLookups(vault, loading),
    );
    expect(checks.map((c) => [c.check, c.outcome])).toEqual([
      ['known_fraud_face', 'not_run'],
      ['duplicate_face', 'not_run'],
      ['velocity_face', 'not_run'],
    ]);
    await loading.ready;
    loading.close();
  });
});

describe('document velocity', () => {
  it('counts the verifications that presented the number within the window, per issuer', async () => {
    const { vault, search, clock } = await setup();
    const lookups = vaultFraudLookups(vault, search);
    const now = clock.now();
    const subject = vault.createSubject();
    const present = (number: string, issuer: string | null, hoursAgo: number) => {
      const verificationId = verification(vault, new Date(now.getTime() - hoursAgo * HOUR));
      vaultDb(vault)
        .prepare(
          `INSERT INTO documents (id, subject_id, verification_id, kind, issuing_state,
             document_number_bidx, record_enc, created_at) VALUES (?, ?, ?, 'mrz', ?, ?, x'00', ?)`,
        )
        .run(
          newId('doc'),
          subject,
          verificationId,
          issuer,
          vault.blindIndex('document_number', normaliseDocumentNumber(number)),
          now.toISOString(),
        );
      return verificationId;
    };
    const record = { documentNumber: 'XQ-123 4567', issuingState: 'FRA' };
    present('XQ1234567', 'FRA', 1);
    present('xq 1234567', 'FRA', 5);
    present('XQ1234567', 'FRA', 25); // outside
    present('XQ1234567', 'BEL', 2); // another issuer's document
    present('XQ7654321', 'FRA', 1); // another number
    const mine = present('XQ1234567', 'FRA', 0);
    expect(documentVelocityCheck(record, mine, now, lookups)).toEqual({
      check: 'velocity_document',
      outcome: 'pass',
      reasonCode: null,
    });
    present('XQ1234567', null, 3); // issuer unknown: may be the same document
    expect(documentVelocityCheck(record, mine, now, lookups)).toEqual({
      check: 'velocity_document',
      outcome: 'warn',
      reasonCode: 'velocity_document',
    });
    expect(
      documentVelocityCheck({ documentNumber: null, issuingState: 'FRA' }, mine, now, lookups),
    ).toMatchObject({
      outcome: 'not_run',
    });
  });
});
