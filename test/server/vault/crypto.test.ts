import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { randomFillSync } from 'node:crypto';
import sodiumModule from 'libsodium-wrappers-sumo';
import {
  NATIVE_AEAD_FROM_BYTES,
  blindIndex,
  generateDataKey,
  openValue,
  sealValue,
  unwrapKey,
  wrapKey,
  xchachaDecryptNative,
  xchachaEncryptNative,
} from '../../../server/vault/crypto.js';
import {
  IntegrityError,
  constantTimeEqual,
  loadSodium,
  normaliseDocumentNumber,
  normaliseNameAndBirthDate,
} from '../../../server/vault/index.js';
import type { FieldRef } from '../../../server/vault/index.js';
import {
  SEEDED,
  cleanup,
  expectError,
  expectNoSeededValueInRecordedErrors,
  newVault,
  thrown,
} from './helpers.js';
import { openTextUnaudited, openUnaudited } from '../../../server/vault/internal.js';

afterEach(cleanup);

const ref: FieldRef = {
  table: 'subjects',
  column: 'profile_enc',
  rowId: 'sub_01aaaaaaaaaaaaaaaaaaaaaaaa',
};

describe('sealed values', { timeout: 20_000 }, () => {
  it('round-trips text and bytes under a subject key and the system key', async () => {
    const { vault } = await newVault();
    const subjectId = vault.createSubject();
    const owner = { subjectId };
    const sealed = vault.seal(owner, ref, SEEDED.surname);
    expect(openTextUnaudited(vault, owner, ref, sealed)).toBe(SEEDED.surname);
    expect(Buffer.from(sealed).includes(Buffer.from(SEEDED.surname))).toBe(false);

    const bytes = Uint8Array.from({ length: 5000 }, (_, i) => i % 251);
    const sealedBytes = vault.seal('system', ref, bytes);
    expect(openUnaudited(vault, 'system', ref, sealedBytes)).toEqual(bytes);

    const empty = vault.seal(owner, ref, '');
    expect(openTextUnaudited(vault, owner, ref, empty)).toBe('');
  });

  it('seals the same value differently each time (random nonce)', async () => {
    const { vault } = await newVault();
    const a = vault.seal('system', ref, SEEDED.documentNumber);
    const b = vault.seal('system', ref, SEEDED.documentNumber);
    expect(Buffer.from(a).equals(Buffer.from(b))).toBe(false);
  });

  it('refuses a value moved to another row, column or table with IntegrityError', async () => {
    const { vault } = await newVault();
    const owner = { subjectId: vault.createSubject() };
    const sealed = vault.seal(owner, ref, SEEDED.surname);
    const moves: FieldRef[] = [
      { ...ref, rowId: 'sub_01bbbbbbbbbbbbbbbbbbbbbbbb' },
      { ...ref, column: 'name_dob_bidx' },
      { ...ref, table: 'documents' },
      { table: 'documents', column: 'record_enc', rowId: 'doc_01aaaaaaaaaaaaaaaaaaaaaaaa' },
    ];
    for (const moved of moves) {
      const error = expectError(
        thrown(() => openUnaudited(vault, owner, moved, sealed)),
        IntegrityError,
      );
      expect(error.location).toContain(moved.table);
    }
    // and under another subject's key
    const other = { subjectId: vault.createSubject() };
    expectError(
      thrown(() => openUnaudited(vault, other, ref, sealed)),
      IntegrityError,
    );
    // the original place still opens
    expect(openTextUnaudited(vault, owner, ref, sealed)).toBe(SEEDED.surname);
  });

  it('refuses a value with any single flipped bit', async () => {
    const { vault } = await newVault();
    const owner = { subjectId: vault.createSubject() };
    const sealed = vault.seal(owner, ref, SEEDED.documentNumber);
    fc.assert(
      fc.property(fc.nat({ max: sealed.length * 8 - 1 }), (bit) => {
        const tampered = Uint8Array.from(sealed);
        tampered[bit >> 3]! ^= 1 << (bit & 7);
        expectError(
          thrown(() => openUnaudited(vault, owner, ref, tampered)),
          IntegrityError,
        );
      }),
      { numRuns: 300 },
    );
  });

  it('refuses a truncated or extended value', async () => {
    const { vault } = await newVault();
    const owner = { subjectId: vault.createSubject() };
    const sealed = vault.seal(owner, ref, SEEDED.documentNumber);
    for (const length of [0, 1, 25, 40, sealed.length - 1]) {
      expectError(
        thrown(() => openUnaudited(vault, owner, ref, sealed.subarray(0, length))),
        IntegrityError,
      );
    }
    const longer = new Uint8Array(sealed.length + 1);
    longer.set(sealed);
    expectError(
      thrown(() => openUnaudited(vault, owner, ref, longer)),
      IntegrityError,
    );
  });
});

describe('opening arbitrary bytes', { timeout: 20_000 }, () => {
  // Bytes in the sealed layout (version 1, long enough) reach the AEAD; others fail the format check.
  const anySealed = fc.oneof(
    fc.uint8Array({ maxLength: 300 }),
    fc.uint8Array({ minLength: 41, maxLength: 300 }).map((b) => {
      const c = Uint8Array.from(b);
      c[0] = 1;
      return c;
    }),
  );

  it('fails only with IntegrityError for random input to open', async () => {
    await loadSodium();
    const key = generateDataKey();
    fc.assert(
      fc.property(anySealed, fc.string({ maxLength: 20 }), (bytes, rowId) => {
        const error = thrown(() => openValue(key, { table: 't', column: 'c', rowId }, bytes));
        expect(error).toBeInstanceOf(IntegrityError);
      }),
      { numRuns: 1000 },
    );
  });

  it('fails only with IntegrityError for random input to unwrapKey', async () => {
    await loadSodium();
    const wrapping = generateDataKey();
    fc.assert(
      fc.property(anySealed, (bytes) => {
        expect(thrown(() => unwrapKey(wrapping, 'dek|sub_x|1', bytes))).toBeInstanceOf(
          IntegrityError,
        );
      }),
      { numRuns: 1000 },
    );
  });

  it('wraps and unwraps a key, bound to its label and wrapping key', async () => {
    await loadSodium();
    const wrapping = generateDataKey();
    const dek = generateDataKey();
    const wrapped = wrapKey(wrapping, 'dek|sub_a|1', dek);
    expect(unwrapKey(wrapping, 'dek|sub_a|1', wrapped)).toEqual(dek);
    expectError(
      thrown(() => unwrapKey(wrapping, 'dek|sub_b|1', wrapped)),
      IntegrityError,
      [dek],
    );
    expectError(
      thrown(() => unwrapKey(wrapping, 'dek|sub_a|2', wrapped)),
      IntegrityError,
      [dek],
    );
    expectError(
      thrown(() => unwrapKey(generateDataKey(), 'dek|sub_a|1', wrapped)),
      IntegrityError,
      [dek],
    );
  });

  it('round-trips any plaintext at any place (property)', async () => {
    await loadSodium();
    const key = generateDataKey();
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 2000 }),
        fc.string(),
        fc.string(),
        fc.string(),
        (plain, table, column, rowId) => {
          const at = { table, column, rowId };
          expect(openValue(key, at, sealValue(key, at, plain))).toEqual(plain);
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe('blind indexes', { timeout: 20_000 }, () => {
  it('normalises document numbers without case, spaces, hyphens or MRZ fillers', () => {
    expect(normaliseDocumentNumber('x12-345 67')).toBe('X1234567');
    expect(normaliseDocumentNumber('X1234567<<')).toBe('X1234567');
    expect(normaliseDocumentNumber('ｘ１２３４５６７')).toBe('X1234567');
  });

  it('is equal for normalised-equal inputs and different across purposes', async () => {
    const { vault } = await newVault();
    const a = vault.blindIndex('document_number', normaliseDocumentNumber('x12-345 67'));
    const b = vault.blindIndex('document_number', normaliseDocumentNumber('X1234567'));
    expect(a).toHaveLength(16);
    expect(constantTimeEqual(a, b)).toBe(true);
    const fraud = vault.blindIndex('fraud_document', normaliseDocumentNumber('X1234567'));
    const nameDob = vault.blindIndex('name_birth_date', normaliseDocumentNumber('X1234567'));
    expect(constantTimeEqual(a, fraud)).toBe(false);
    expect(constantTimeEqual(a, nameDob)).toBe(false);
    expect(constantTimeEqual(fraud, nameDob)).toBe(false);
    const differentNumber = vault.blindIndex(
      'document_number',
      normaliseDocumentNumber('X1234568'),
    );
    expect(constantTimeEqual(a, differentNumber)).toBe(false);
  });

  it('is keyed: another installation gets a different index for the same value', async () => {
    const one = await newVault();
    const two = await newVault();
    const value = normaliseDocumentNumber(SEEDED.documentNumber);
    expect(
      constantTimeEqual(
        one.vault.blindIndex('document_number', value),
        two.vault.blindIndex('document_number', value),
      ),
    ).toBe(false);
    // and it is not an unkeyed hash of the value
    await loadSodium();
    expect(
      constantTimeEqual(
        one.vault.blindIndex('document_number', value),
        blindIndex(new Uint8Array(32), value),
      ),
    ).toBe(false);
  });

  it('matches names and birth dates without case, accents or punctuation', async () => {
    const { vault } = await newVault();
    const a = vault.blindIndex(
      'name_birth_date',
      normaliseNameAndBirthDate('Zztest-Surname,  Qqsynthétic', SEEDED.birthDate),
    );
    const b = vault.blindIndex(
      'name_birth_date',
      normaliseNameAndBirthDate('ZZTEST SURNAME QQSYNTHETIC', SEEDED.birthDate),
    );
    const c = vault.blindIndex(
      'name_birth_date',
      normaliseNameAndBirthDate('ZZTEST SURNAME QQSYNTHETIC', '1900-01-02'),
    );
    expect(constantTimeEqual(a, b)).toBe(true);
    expect(constantTimeEqual(a, c)).toBe(false);
  });
});

describe('errors', () => {
  it('no seeded value appears in any error thrown above', () => {
    expectNoSeededValueInRecordedErrors();
  });
});

describe('XChaCha20-Poly1305 through OpenSSL', () => {
  it('produces the same bytes as libsodium and opens what libsodium sealed, at every size around the switch', async () => {
    await loadSodium();
    const key = randomFillSync(new Uint8Array(32));
    const ad = new TextEncoder().encode('v1|document_images|image_enc|img_x');
    for (const size of [
      0,
      1,
      63,
      NATIVE_AEAD_FROM_BYTES - 1,
      NATIVE_AEAD_FROM_BYTES,
      NATIVE_AEAD_FROM_BYTES + 1,
      100_000,
    ]) {
      const message = randomFillSync(new Uint8Array(size));
      const nonce = randomFillSync(new Uint8Array(24));
      const bySodium = sodiumModule.crypto_aead_xchacha20poly1305_ietf_encrypt(
        message,
        ad,
        null,
        nonce,
        key,
      );
      const byOpenSsl = xchachaEncryptNative(message, ad, nonce, key);
      expect(Buffer.from(byOpenSsl).equals(Buffer.from(bySodium))).toBe(true);
      expect(
        Buffer.from(xchachaDecryptNative(bySodium, ad, nonce, key)).equals(Buffer.from(message)),
      ).toBe(true);
    }
  });

  it('rejects a flipped byte, another associated data or another key', async () => {
    await loadSodium();
    const key = randomFillSync(new Uint8Array(32));
    const nonce = randomFillSync(new Uint8Array(24));
    const ad = new TextEncoder().encode('a');
    const sealed = xchachaEncryptNative(new Uint8Array(NATIVE_AEAD_FROM_BYTES * 2), ad, nonce, key);
    const flipped = Uint8Array.from(sealed);
    flipped[100] = (flipped[100] ?? 0) ^ 1;
    expect(() => xchachaDecryptNative(flipped, ad, nonce, key)).toThrow();
    expect(() => xchachaDecryptNative(sealed, new TextEncoder().encode('b'), nonce, key)).toThrow();
    expect(() =>
      xchachaDecryptNative(sealed, ad, nonce, randomFillSync(new Uint8Array(32))),
    ).toThrow();
  });

  it('seals large values (document images) that open and refuse a move like small ones', async () => {
    await loadSodium();
    const key = generateDataKey();
    const image = randomFillSync(new Uint8Array(256 * 1024));
    const sealed = sealValue(key, ref, image);
    expect(Buffer.from(openValue(key, ref, sealed)).equals(Buffer.from(image))).toBe(true);
    expect(
      thrown(() => openValue(key, { ...ref, rowId: 'sub_01bbbbbbbbbbbbbbbbbbbbbbbb' }, sealed)),
    ).toBeInstanceOf(IntegrityError);
  });
});
