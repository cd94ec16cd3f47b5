import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  DataDirError,
  KeyError,
  MIN_PASSPHRASE_LENGTH,
  SchemaVersionError,
  Vault,
  dataDirPaths,
  loadSodium,
  readManifest,
  systemdCredentialPath,
  SYSTEMD_CREDENTIAL_NAME,
} from '../../../server/vault/index.js';
import type { KeyErrorReason, KeySource } from '../../../server/vault/index.js';
import {
  SEEDED,
  cleanup,
  expectError,
  expectNoSeededValueInRecordedErrors,
  hashDir,
  newPassphraseVault,
  newVault,
  rawDb,
  tempDir,
  thrownAsync,
  thrown,
  track,
} from './helpers.js';
import { openTextUnaudited, vaultDb } from '../../../server/vault/internal.js';

afterEach(cleanup);

const SLOW = 30_000;

function masterKeyFromFile(file: string): Uint8Array {
  const text = fs.readFileSync(file, 'utf8').trim();
  expect(text.startsWith('vk-master-v1:')).toBe(true);
  return Buffer.from(text.slice('vk-master-v1:'.length), 'base64');
}

/**
 * Opens with the given source and expects a refusal of the given class (and KeyError reason),
 * with every file in the data dir byte-for-byte unchanged.
 */
async function expectRefusedUnchanged(
  dir: string,
  source: KeySource,
  reason: KeyErrorReason | (abstract new (...args: never[]) => Error),
  secrets: readonly (string | Uint8Array)[] = [],
): Promise<Error> {
  const before = hashDir(dir);
  const error = await thrownAsync(async () => track(await Vault.open(dir, source)));
  if (typeof reason === 'string') {
    const keyError = expectError(error, KeyError, secrets);
    expect(keyError.reason).toBe(reason);
  } else {
    expectError(error, reason, secrets);
  }
  expect(hashDir(dir)).toEqual(before);
  return error as Error;
}

describe('unlocking', { timeout: 20_000 }, () => {
  it(
    'refuses a wrong passphrase with wrong_passphrase and writes nothing; the right one opens',
    async () => {
      const { dir, vault } = await newPassphraseVault(SEEDED.passphrase);
      const sealed = vault.seal('system', { table: 't', column: 'c', rowId: 'r' }, SEEDED.surname);
      vault.close();
      const wrong = `${SEEDED.passphrase}x`;
      await expectRefusedUnchanged(
        dir,
        { kind: 'passphrase', passphrase: wrong },
        'wrong_passphrase',
        [SEEDED.passphrase, wrong],
      );
      const reopened = track(
        await Vault.open(dir, { kind: 'passphrase', passphrase: SEEDED.passphrase }),
      );
      expect(
        openTextUnaudited(reopened, 'system', { table: 't', column: 'c', rowId: 'r' }, sealed),
      ).toBe(SEEDED.surname);
    },
    SLOW,
  );

  it('refuses a passphrase when the installation has none (no_key_source), writing nothing', async () => {
    const { dir, vault } = await newVault();
    vault.close();
    await expectRefusedUnchanged(
      dir,
      { kind: 'passphrase', passphrase: SEEDED.passphrase },
      'no_key_source',
      [SEEDED.passphrase],
    );
  });

  it('refuses a missing key file with key_file_missing, writing nothing', async () => {
    const { dir, keyFile, source, vault } = await newVault();
    vault.close();
    fs.rmSync(keyFile);
    await expectRefusedUnchanged(dir, source, 'key_file_missing');
    await expectRefusedUnchanged(
      dir,
      { kind: 'key-file', path: path.join(dir, 'nope', 'master.key') },
      'key_file_missing',
    );
  });

  it('refuses a corrupt key file (garbage, truncated, wrong length, bad base64) with key_file_corrupt', async () => {
    const { dir, keyFile, source, vault } = await newVault();
    vault.close();
    const key = masterKeyFromFile(keyFile);
    const good = fs.readFileSync(keyFile, 'utf8');
    const encoded = Buffer.from(key).toString('base64');
    const variants: (string | Buffer)[] = [
      'not a key at all\n',
      Buffer.from([0, 159, 146, 150, 255, 254, 0, 1]),
      '',
      `vk-master-v1:${encoded.slice(0, 20)}\n`,
      `vk-master-v1:${encoded.slice(0, 43)}\n`,
      `vk-master-v1:${Buffer.from(key.subarray(0, 16)).toString('base64')}\n`,
      `vk-master-v1:${Buffer.concat([Buffer.from(key), Buffer.from([1])]).toString('base64')}\n`,
      `vk-master-v1:${'!'.repeat(44)}\n`,
      `vk-master-v1:\n`,
      good.slice(0, 10),
    ];
    for (const content of variants) {
      fs.writeFileSync(keyFile, content, { mode: 0o600 });
      fs.chmodSync(keyFile, 0o600);
      await expectRefusedUnchanged(dir, source, 'key_file_corrupt', [key]);
    }
    fs.writeFileSync(keyFile, good, { mode: 0o600 });
    track(await Vault.open(dir, source)).close();
  });

  it('refuses a key file others can read (0644) with key_file_permissions, writing nothing', async () => {
    const { dir, keyFile, source, vault } = await newVault();
    vault.close();
    const key = masterKeyFromFile(keyFile);
    for (const mode of [0o644, 0o640, 0o604, 0o660]) {
      fs.chmodSync(keyFile, mode);
      const error = await expectRefusedUnchanged(dir, source, 'key_file_permissions', [key]);
      expect(error.message).toContain(mode.toString(8));
    }
    fs.chmodSync(keyFile, 0o600);
    track(await Vault.open(dir, source)).close();
  });

  it('accepts the same key as a systemd credential without the permission check', async () => {
    const { dir, keyFile, vault } = await newVault();
    vault.close();
    const credentials = tempDir();
    const credential = path.join(credentials, SYSTEMD_CREDENTIAL_NAME);
    fs.copyFileSync(keyFile, credential);
    fs.chmodSync(credential, 0o440);
    expect(systemdCredentialPath({ CREDENTIALS_DIRECTORY: credentials })).toBe(credential);
    expect(systemdCredentialPath({ CREDENTIALS_DIRECTORY: dir })).toBeNull();
    expect(systemdCredentialPath({})).toBeNull();
    track(await Vault.open(dir, { kind: 'systemd-credential', path: credential })).close();
  });

  it("refuses another installation's key file with key_mismatch, writing nothing", async () => {
    const one = await newVault();
    const two = await newVault();
    one.vault.close();
    two.vault.close();
    const otherKey = masterKeyFromFile(two.keyFile);
    const error = await expectRefusedUnchanged(one.dir, two.source, 'key_mismatch', [
      otherKey,
      masterKeyFromFile(one.keyFile),
    ]);
    expect(error.message).toContain('another installation');
  });

  it("refuses another installation's database in the data dir with key_mismatch, writing nothing", async () => {
    const one = await newVault();
    const two = await newVault();
    one.vault.close();
    two.vault.close();
    fs.copyFileSync(two.dbFile, one.dbFile);
    await expectRefusedUnchanged(one.dir, one.source, 'key_mismatch');
  });

  it('refuses a missing keys.json with manifest_missing, writing nothing', async () => {
    const { dir, source, vault } = await newVault();
    vault.close();
    fs.rmSync(dataDirPaths(dir).manifest);
    await expectRefusedUnchanged(dir, source, 'manifest_missing');
  });

  it('refuses a corrupt keys.json with manifest_corrupt, writing nothing', async () => {
    const { dir, source, vault } = await newVault();
    vault.close();
    const manifestFile = dataDirPaths(dir).manifest;
    const good = fs.readFileSync(manifestFile, 'utf8');
    const parsed = JSON.parse(good) as Record<string, unknown>;
    const variants = [
      'garbage{',
      good.slice(0, good.length / 2),
      '',
      'null',
      '[]',
      JSON.stringify({ ...parsed, format: 'something-else' }),
      JSON.stringify({ ...parsed, version: 2 }),
      JSON.stringify({ ...parsed, keyId: 7 }),
      JSON.stringify({ ...parsed, passphrase: 'yes' }),
      JSON.stringify({ ...parsed, passphrase: { salt: 1 } }),
    ];
    for (const content of variants) {
      fs.writeFileSync(manifestFile, content);
      await expectRefusedUnchanged(dir, source, 'manifest_corrupt');
    }
    fs.writeFileSync(manifestFile, good);
    track(await Vault.open(dir, source)).close();
  });

  it(
    'refuses a keys.json whose sealed passphrase box is damaged with manifest_corrupt, not a raw error',
    async () => {
      const { dir, vault } = await newPassphraseVault(SEEDED.passphrase);
      vault.close();
      const manifestFile = dataDirPaths(dir).manifest;
      const good = JSON.parse(fs.readFileSync(manifestFile, 'utf8')) as {
        passphrase: Record<string, unknown>;
      };
      const source: KeySource = { kind: 'passphrase', passphrase: SEEDED.passphrase };
      for (const damage of [
        { salt: '%%%not-base64%%%' },
        { salt: 'AAAA' },
        { nonce: '***' },
        { sealed: '@@' },
      ]) {
        fs.writeFileSync(
          manifestFile,
          JSON.stringify({ ...good, passphrase: { ...good.passphrase, ...damage } }),
        );
        await expectRefusedUnchanged(dir, source, 'manifest_corrupt', [SEEDED.passphrase]);
      }
      // a well-formed but different sealed key is simply not unlocked by the passphrase
      const sealed = Buffer.from(good.passphrase.sealed as string, 'base64url');
      sealed[sealed.length - 1]! ^= 1;
      fs.writeFileSync(
        manifestFile,
        JSON.stringify({
          ...good,
          passphrase: { ...good.passphrase, sealed: sealed.toString('base64url') },
        }),
      );
      await expectRefusedUnchanged(dir, source, 'wrong_passphrase', [SEEDED.passphrase]);
    },
    SLOW,
  );

  it('refuses a database newer than the code with SchemaVersionError, writing nothing', async () => {
    const { dir, dbFile, source, vault } = await newVault();
    vault.close();
    const db = rawDb(dbFile);
    db.pragma('user_version = 999');
    db.close();
    const error = await expectRefusedUnchanged(dir, source, SchemaVersionError);
    expect((error as SchemaVersionError).found).toBe(999);
  });

  it('refuses a data dir with keys but no database, writing nothing', async () => {
    const { dir, dbFile, source, vault } = await newVault();
    vault.close();
    fs.rmSync(dbFile);
    const error = await expectRefusedUnchanged(dir, source, DataDirError);
    expect((error as DataDirError).reason).toBe('not_initialised');
  });
});

describe('init', { timeout: 20_000 }, () => {
  it('refuses a passphrase shorter than MIN_PASSPHRASE_LENGTH and writes no keys', async () => {
    const dir = tempDir();
    const short = 'x'.repeat(MIN_PASSPHRASE_LENGTH - 1);
    const error = expectError(
      await thrownAsync(() => Vault.init(dir, { passphrase: short, kdf: 'interactive' })),
      KeyError,
      [short],
    );
    expect(error.reason).toBe('passphrase_too_short');
    expect(fs.readdirSync(dir)).toEqual([]);
  });

  it('refuses an empty passphrase, even beside a key file, and writes nothing', async () => {
    const dir = tempDir();
    const error = expectError(
      await thrownAsync(() =>
        Vault.init(dir, {
          passphrase: '',
          unattendedKeyFile: `${dir}/master.key`,
          kdf: 'interactive',
        }),
      ),
      KeyError,
    );
    expect(error.reason).toBe('passphrase_too_short');
    expect(fs.readdirSync(dir)).toEqual([]);
  });

  it('refuses init without a key source, and init of an initialised dir, writing nothing', async () => {
    const empty = tempDir();
    expect(expectError(await thrownAsync(() => Vault.init(empty, {})), KeyError).reason).toBe(
      'no_key_source',
    );
    expect(fs.readdirSync(empty)).toEqual([]);

    const { dir, keyFile, vault } = await newVault();
    vault.close();
    const before = hashDir(dir);
    const error = expectError(
      await thrownAsync(() => Vault.init(dir, { unattendedKeyFile: keyFile })),
      DataDirError,
    );
    expect(error.reason).toBe('already_initialised');
    expect(hashDir(dir)).toEqual(before);
  });

  it('writes key file, keys.json and database readable by the owner only, with no key in keys.json', async () => {
    const { dir, keyFile, vault, dbFile } = await newVault();
    vault.close();
    const paths = dataDirPaths(dir);
    for (const file of [keyFile, paths.manifest, dbFile]) {
      expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    }
    const key = masterKeyFromFile(keyFile);
    expect(key).toHaveLength(32);
    const manifestText = fs.readFileSync(paths.manifest, 'utf8');
    for (const form of [Buffer.from(key).toString('base64'), Buffer.from(key).toString('hex')]) {
      expect(manifestText.includes(form)).toBe(false);
    }
    const manifest = readManifest(dir);
    expect(manifest.passphrase).toBeNull();
    expect(manifest.keyId).toMatch(/^[0-9a-f]{32}$/);
  });

  it(
    'seals the master key with Argon2id at the moderate profile by default',
    async () => {
      const sodium = await loadSodium();
      const defaultDir = tempDir();
      track(await Vault.init(defaultDir, { passphrase: SEEDED.passphrase }));
      const box = readManifest(defaultDir).passphrase;
      expect(box?.opsLimit).toBe(sodium.crypto_pwhash_OPSLIMIT_MODERATE);
      expect(box?.memLimit).toBe(sodium.crypto_pwhash_MEMLIMIT_MODERATE);
    },
    SLOW,
  );
});

describe('changing the passphrase', { timeout: 20_000 }, () => {
  it(
    'makes the old passphrase fail and the new one open, with values still readable',
    async () => {
      const { dir, vault } = await newPassphraseVault(SEEDED.passphrase);
      const subjectId = vault.createSubject();
      const ref = { table: 'subjects', column: 'profile_enc', rowId: subjectId };
      const sealed = vault.seal({ subjectId }, ref, SEEDED.surname);
      vaultDb(vault)
        .prepare('UPDATE subjects SET profile_enc = ? WHERE id = ?')
        .run(sealed, subjectId);
      const keyIdBefore = readManifest(dir).keyId;
      vault.changePassphrase(SEEDED.newPassphrase, 'interactive', 'admin:zz1');
      expect(vault.verifyAudit().ok).toBe(true);
      const actions = vaultDb(vault).prepare('SELECT action FROM audit_log').pluck().all();
      expect(actions).toContain('keys.passphrase_changed');
      vault.close();

      expect(readManifest(dir).keyId).toBe(keyIdBefore);
      await expectRefusedUnchanged(
        dir,
        { kind: 'passphrase', passphrase: SEEDED.passphrase },
        'wrong_passphrase',
        [SEEDED.passphrase, SEEDED.newPassphrase],
      );
      const reopened = track(
        await Vault.open(dir, { kind: 'passphrase', passphrase: SEEDED.newPassphrase }),
      );
      const stored = vaultDb(reopened)
        .prepare('SELECT profile_enc FROM subjects WHERE id = ?')
        .pluck()
        .get(subjectId) as Uint8Array;
      expect(openTextUnaudited(reopened, { subjectId }, ref, stored)).toBe(SEEDED.surname);
    },
    SLOW,
  );

  it('refuses a short new passphrase and leaves keys.json unchanged', async () => {
    const { dir, vault } = await newVault();
    const before = hashDir(dir);
    const short = 'y'.repeat(MIN_PASSPHRASE_LENGTH - 1);
    const error = expectError(
      thrown(() => vault.changePassphrase(short, 'interactive', 'admin:zz1')),
      KeyError,
      [short],
    );
    expect(error.reason).toBe('passphrase_too_short');
    vault.close();
    // closing checkpoints the database; keys.json and the key file are what must be untouched
    const after = hashDir(dir);
    for (const name of ['keys.json', 'master.key']) {
      expect(after.find((l) => l.startsWith(`${name} `))).toBe(
        before.find((l) => l.startsWith(`${name} `)),
      );
    }
  });
});

describe('errors', () => {
  it('no seeded value, passphrase or key appears in any error thrown above', () => {
    expectNoSeededValueInRecordedErrors();
  });
});
