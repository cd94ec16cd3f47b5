import * as fs from 'node:fs';
import * as path from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readKeyFile, readManifest, unlockMasterKey } from '../../../server/vault/keys.js';
import { KeyError, loadSodium } from '../../../server/vault/index.js';
import { cleanup, tempDir } from './helpers.js';

/**
 * keys.json and the key file are read from disk: untrusted bytes. Whatever they hold, reading
 * them ends in a key or a KeyError, never in another exception.
 */

let dir: string;

beforeAll(async () => {
  await loadSodium();
  dir = tempDir();
});
afterAll(cleanup);

function onlyKeyError(fn: () => unknown): void {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(KeyError);
  }
}

const KEY_FILE_PREFIX = 'vk-master-v1:';

describe('key material read from disk', () => {
  it('a key file of any bytes gives a 32-byte key or a KeyError', () => {
    const file = path.join(dir, 'master.key');
    fc.assert(
      fc.property(
        fc.oneof(
          fc.uint8Array({ maxLength: 200 }),
          fc.string({ maxLength: 120 }).map((s) => new TextEncoder().encode(KEY_FILE_PREFIX + s)),
          fc
            .uint8Array({ minLength: 0, maxLength: 64 })
            .map((b) =>
              new TextEncoder().encode(KEY_FILE_PREFIX + Buffer.from(b).toString('base64')),
            ),
        ),
        (bytes) => {
          fs.writeFileSync(file, bytes, { mode: 0o600 });
          onlyKeyError(() => expect(readKeyFile(file)).toHaveLength(32));
        },
      ),
      { numRuns: 300 },
    );
  });

  it('a keys.json of any JSON or bytes gives a manifest or a KeyError, and unlocking it a key or a KeyError', () => {
    const manifestFile = path.join(dir, 'keys.json');
    const box = fc.record({
      alg: fc.constant('argon2id13+xchacha20poly1305'),
      opsLimit: fc.oneof(fc.constant(1), fc.integer({ min: -3, max: 3 }), fc.constant(2 ** 31)),
      memLimit: fc.constantFrom(8192, 1024, 0, -1, 2 ** 40, 1.5),
      salt: fc.oneof(fc.base64String({ maxLength: 30 }), fc.string({ maxLength: 30 })),
      nonce: fc.oneof(fc.base64String({ maxLength: 40 }), fc.string({ maxLength: 40 })),
      sealed: fc.oneof(fc.base64String({ maxLength: 80 }), fc.string({ maxLength: 80 })),
    });
    const manifest = fc.record({
      format: fc.constant('verikiosk-keys'),
      version: fc.constant(1),
      installationId: fc.string({ maxLength: 30 }),
      keyId: fc.string({ maxLength: 40 }),
      createdAt: fc.string({ maxLength: 30 }),
      passphrase: fc.oneof(fc.constant(null), box),
    });
    fc.assert(
      fc.property(
        fc.oneof(
          manifest.map((m) => JSON.stringify(m)),
          fc.json(),
          fc.string({ maxLength: 200 }),
        ),
        fc.string({ maxLength: 40 }),
        (text, passphrase) => {
          fs.writeFileSync(manifestFile, text, { mode: 0o600 });
          onlyKeyError(() => {
            const m = readManifest(dir);
            unlockMasterKey(m, { kind: 'passphrase', passphrase });
          });
        },
      ),
      { numRuns: 150 },
    );
  });
});
