/**
 * A verification's fleet signal (its fleet indexes, keyed hashes of the document number and of
 * name and birth date) is pseudonymous personal data: it goes when the subject is destroyed.
 */
import { describe, expect, it } from 'vitest';
import { upsertSignal } from '../../../server/fleet/store.js';
import { insertVerification } from '../../../server/verification/store.js';
import { vaultDb } from '../../../server/vault/internal.js';
import { newVault } from '../vault/helpers.js';

describe('fleet signals', () => {
  it('go with their verification when the subject is destroyed: no fleet index outlives its subject', async () => {
    const { vault } = await newVault();
    const subjectId = vault.createSubject();
    const at = vault.now.toISOString();
    vault.write((db) => {
      insertVerification(db, {
        id: 'ver_fleetsignal0000000000001',
        kind: 'identity',
        subjectId,
        kioskId: null,
        apiClientId: null,
        at,
      });
      upsertSignal(db, {
        verification_id: 'ver_fleetsignal0000000000001',
        key_version: 1,
        document_fidx: 'd'.repeat(64),
        identity_fidx: 'i'.repeat(64),
        document_type: 'P',
        issuing_state: 'UTO',
        created_at: at,
      });
    });
    const count = () =>
      (vaultDb(vault).prepare('SELECT count(*) AS n FROM fleet_signals').get() as { n: number }).n;
    expect(count()).toBe(1);
    vault.destroySubject(subjectId, { actor: 'test', reason: 'erasure' });
    expect(count()).toBe(0);
  });
});
