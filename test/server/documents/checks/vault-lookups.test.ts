import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import {
  checkDocument,
  fraudDocumentIndexInput,
  identityOf,
  vaultDocumentLookups,
} from '../../../../server/documents/checks/index.js';
import type { DocumentLookups } from '../../../../server/documents/checks/index.js';
import { Vault, newId, normaliseDocumentNumber } from '../../../../server/vault/index.js';
import { context, mrzRecord } from './records.js';
import { vaultDb } from '../../../../server/vault/internal.js';

let dir: string;
let vault: Vault;
let lookups: DocumentLookups;

const holder = mrzRecord({ documentNumber: 'XQ1234567', issuingState: 'FRA' });
let holderId: string;

function storeDocument(subjectId: string, number: string, issuingState: string | null): void {
  vaultDb(vault)
    .prepare(
      `INSERT INTO documents (id, subject_id, kind, format, issuing_state, document_number_bidx,
         record_enc, created_at) VALUES (?, ?, 'mrz', 'TD3', ?, ?, ?, ?)`,
    )
    .run(
      newId('doc'),
      subjectId,
      issuingState,
      vault.blindIndex('document_number', normaliseDocumentNumber(number)),
      Buffer.from('sealed elsewhere'),
      new Date().toISOString(),
    );
}

function setNameDob(subjectId: string, record: Parameters<typeof identityOf>[0]): void {
  const { nameAndBirthDate } = identityOf(record);
  vaultDb(vault)
    .prepare('UPDATE subjects SET name_dob_bidx = ? WHERE id = ?')
    .run(
      nameAndBirthDate === null ? null : vault.blindIndex('name_birth_date', nameAndBirthDate),
      subjectId,
    );
}

function addFraud(number: string, issuingState: string | null): void {
  vaultDb(vault)
    .prepare(
      `INSERT INTO fraud_list_entries (id, list, value_bidx, reason_code, added_by, added_at)
       VALUES (?, 'document', ?, 'reported_stolen', 'test', ?)`,
    )
    .run(
      newId('fraud'),
      vault.blindIndex('fraud_document', fraudDocumentIndexInput(number, issuingState)),
      new Date().toISOString(),
    );
}

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'verikiosk-doc-checks-'));
  vault = await Vault.init(dir, { unattendedKeyFile: path.join(dir, 'master.key') });
  lookups = vaultDocumentLookups(vault);
  holderId = vault.createSubject();
  setNameDob(holderId, holder);
  storeDocument(holderId, 'XQ1234567', 'FRA');
});

afterAll(() => {
  vault.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('vaultDocumentLookups', () => {
  it('finds fraud entries by issuer, and issuer-less entries for any issuer', () => {
    addFraud('FR0000001', 'FRA');
    addFraud('ANY000002', null);
    expect(lookups.isKnownFraudDocument('FR0000001', 'FRA')).toBe(true);
    expect(lookups.isKnownFraudDocument('FR0000001', 'BEL')).toBe(false);
    expect(lookups.isKnownFraudDocument('ANY000002', 'BEL')).toBe(true);
    expect(lookups.isKnownFraudDocument('ANY000002', null)).toBe(true);
    expect(lookups.isKnownFraudDocument('XQ1234567', 'FRA')).toBe(false);
  });

  it('does not flag the same subject or the same name and birth date', () => {
    const same = identityOf(holder, holderId);
    expect(lookups.documentNumberSeenUnderOtherIdentity('XQ1234567', 'FRA', same)).toBe(false);
    // A new subject record of the same person (same name and birth date) is not another identity.
    const sameNameDob = identityOf(holder, null);
    expect(lookups.documentNumberSeenUnderOtherIdentity('XQ1234567', 'FRA', sameNameDob)).toBe(
      false,
    );
    expect(lookups.documentNumberSeenUnderOtherIdentity('NEVER0SEEN', 'FRA', sameNameDob)).toBe(
      false,
    );
  });

  it('flags the number under someone else, per issuer', () => {
    const other = identityOf(mrzRecord({ surname: 'OTHERPERSON', givenNames: 'YURI' }), null);
    expect(lookups.documentNumberSeenUnderOtherIdentity('XQ1234567', 'FRA', other)).toBe(true);
    expect(lookups.documentNumberSeenUnderOtherIdentity('XQ1234567', 'BEL', other)).toBe(false);
    expect(
      lookups.documentNumberSeenUnderOtherIdentity('XQ1234567', null, {
        subjectId: null,
        nameAndBirthDate: null,
      }),
    ).toBe(true);
  });

  it('drives checkDocument end to end', () => {
    const impostor = mrzRecord({
      surname: 'OTHERPERSON',
      givenNames: 'YURI',
      documentNumber: 'xq 1234567',
    });
    const results = checkDocument(impostor, context({ lookups }));
    expect(results.find((r) => r.check === 'document_number_reuse')).toMatchObject({
      outcome: 'fail',
      reasonCode: 'document_number_other_identity',
    });
    expect(results.find((r) => r.check === 'known_fraud_document')?.outcome).toBe('pass');
    const stolen = mrzRecord({ documentNumber: 'FR0000001' });
    expect(
      checkDocument(stolen, context({ lookups })).find((r) => r.check === 'known_fraud_document'),
    ).toMatchObject({ outcome: 'fail', reasonCode: 'known_fraud_document' });
  });
});
