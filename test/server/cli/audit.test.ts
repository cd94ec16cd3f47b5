import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { entryHashInput, loadSodium } from '../../../server/vault/index.js';
import { cleanupDirs, initUnattended, tempDir } from './helpers.js';

/**
 * Every `audit` subcommand run as its own process through the real bin, as an admin runs it:
 * nothing loaded by an earlier command in the same process can hide a missing initialisation
 * (libsodium was used before it was loaded by `audit verify --export`).
 */

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const bin = path.join(repoRoot, 'bin', 'verikiosk.js');

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function cleanEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (!key.startsWith('VERIKIOSK_') && key !== 'CREDENTIALS_DIRECTORY') env[key] = value;
  }
  return env;
}

function run(args: readonly string[]): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, ...args], {
      cwd: repoRoot,
      env: cleanEnv(),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (s: string) => (stdout += s));
    child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout, stderr }));
  });
}

function expectExit(r: Run, code: number): void {
  expect(r.code, `stdout:\n${r.stdout}\nstderr:\n${r.stderr}`).toBe(code);
  expect(r.stderr).not.toMatch(/internal error/);
}

afterEach(cleanupDirs);

interface Header {
  publicKey: string;
  head: { seq: number; hash: string; signature: string };
  [key: string]: unknown;
}

/** An attacker's export: entry 2's action edited, every hash redone and re-signed with their key. */
async function resignedWithAnotherKey(lines: string[]): Promise<string[]> {
  const sodium = await loadSodium();
  const attacker = sodium.crypto_sign_keypair();
  const header = JSON.parse(lines[0]!) as Header;
  let prevHash = '';
  const out: string[] = [];
  for (const line of lines.slice(1)) {
    const e = JSON.parse(line) as Record<string, unknown> & { seq: number; prevHash: string };
    if (e.seq === 2) e.action = 'test.rewritten';
    if (prevHash) e.prevHash = prevHash;
    const hash = sodium.crypto_generichash(
      32,
      entryHashInput({
        seq: e.seq,
        at: e.at as string,
        actor: e.actor as string,
        action: e.action as string,
        objectType: e.objectType as string | null,
        objectId: e.objectId as string | null,
        details: e.details as string,
        prevHash: Buffer.from(e.prevHash, 'hex'),
      }),
      null,
    );
    e.hash = Buffer.from(hash).toString('hex');
    e.signature = Buffer.from(sodium.crypto_sign_detached(hash, attacker.privateKey)).toString(
      'hex',
    );
    prevHash = e.hash as string;
    out.push(JSON.stringify(e));
  }
  const last = JSON.parse(out[out.length - 1]!) as { seq: number; hash: string };
  header.publicKey = Buffer.from(attacker.publicKey).toString('hex');
  header.head = {
    seq: last.seq,
    hash: last.hash,
    signature: Buffer.from(
      sodium.crypto_sign_detached(
        `verikiosk-audit-v1|head|${last.seq}|${last.hash}`,
        attacker.privateKey,
      ),
    ).toString('hex'),
  };
  return [JSON.stringify(header), ...out];
}

describe('audit commands, each in a fresh process', { timeout: 120_000 }, () => {
  it('export, then verify --export without and with the key, as first commands of their process', async () => {
    const p = await initUnattended();
    const status = await run(['status', '--json', '--data-dir', p.dataDir]);
    expectExit(status, 0);
    const audit = (
      JSON.parse(status.stdout) as { audit: { publicKey: string; keyFingerprint: string } }
    ).audit;
    expect(audit.keyFingerprint).toMatch(/^[0-9a-f]{16}$/);
    const text = await run(['status', '--data-dir', p.dataDir]);
    expect(text.stdout).toContain(`key fingerprint ${audit.keyFingerprint}`);

    const file = path.join(tempDir(), 'audit.jsonl');
    const exported = await run(['audit', 'export', '-o', file, '--data-dir', p.dataDir]);
    expectExit(exported, 0);
    expect(exported.stderr).toContain(`(key fingerprint ${audit.keyFingerprint})`);
    const toStdout = await run(['audit', 'export', '--data-dir', p.dataDir]);
    expectExit(toStdout, 0);
    expect(JSON.parse(toStdout.stdout.split('\n')[0]!)).toMatchObject({
      format: 'verikiosk-audit-export',
      publicKey: audit.publicKey,
    });

    // An untouched export, verified by a process that opened no vault.
    const consistent = await run(['audit', 'verify', '--export', file]);
    expectExit(consistent, 0);
    expect(consistent.stdout).toMatch(
      new RegExp(`audit export consistent: .* \\(fingerprint ${audit.keyFingerprint}\\)`),
    );
    expect(consistent.stdout).toMatch(/checks consistency only/);

    const proven = await run([
      'audit',
      'verify',
      '--export',
      file,
      '--public-key',
      audit.publicKey,
    ]);
    expectExit(proven, 0);
    expect(proven.stdout).toMatch(
      new RegExp(
        `audit export ok: .* against the given public key \\(fingerprint ${audit.keyFingerprint}\\)`,
      ),
    );
    const json = await run([
      'audit',
      'verify',
      '--export',
      file,
      '--public-key',
      audit.publicKey.toUpperCase(),
      '--json',
    ]);
    expectExit(json, 0);
    expect(JSON.parse(json.stdout)).toMatchObject({
      ok: true,
      keySource: 'given',
      fingerprint: audit.keyFingerprint,
      exportFingerprint: audit.keyFingerprint,
    });

    // Re-signed with another key: consistent on its own, refused against the installation's key.
    const forged = path.join(tempDir(), 'forged.jsonl');
    const lines = fs.readFileSync(file, 'utf8').trimEnd().split('\n');
    fs.writeFileSync(forged, `${(await resignedWithAnotherKey(lines)).join('\n')}\n`);
    const selfSigned = await run(['audit', 'verify', '--export', forged, '--json']);
    expectExit(selfSigned, 0);
    const self = JSON.parse(selfSigned.stdout) as { keySource: string; fingerprint: string };
    expect(self.keySource).toBe('export');
    expect(self.fingerprint).not.toBe(audit.keyFingerprint);
    const refused = await run([
      'audit',
      'verify',
      '--export',
      forged,
      '--public-key',
      audit.publicKey,
    ]);
    expectExit(refused, 1);
    expect(refused.stderr).toMatch(/audit export BROKEN at entry 1: .*\(bad_signature\)/);
  });

  it('refuses a malformed key, a key without --export and a missing file with exit 2', async () => {
    const p = await initUnattended();
    const missing = path.join(tempDir(), 'missing.jsonl');
    const cases: [string[], RegExp][] = [
      [['audit', 'verify', '--export', missing], /missing\.jsonl is not a readable audit export/],
      [['audit', 'verify', '--export', missing, '--public-key', 'abc'], /--public-key must be/],
      [
        ['audit', 'verify', '--public-key', 'ab'.repeat(32), '--data-dir', p.dataDir],
        /--public-key goes with --export/,
      ],
    ];
    for (const [args, message] of cases) {
      const r = await run(args);
      expectExit(r, 2);
      expect(r.stderr).toMatch(message);
    }
  });

  it('verify checks the database and exits 1 at the edited entry', async () => {
    const p = await initUnattended();
    const ok = await run(['audit', 'verify', '--data-dir', p.dataDir]);
    expectExit(ok, 0);
    expect(ok.stdout).toMatch(
      /^audit log ok: \d+ entries verified \(key fingerprint [0-9a-f]{16}\)/,
    );

    const db = new Database(path.join(p.dataDir, 'verikiosk.db'));
    db.exec('DROP TRIGGER audit_log_no_update');
    db.prepare('UPDATE audit_log SET seq = 0 WHERE seq = 3').run();
    db.close();
    const broken = await run(['audit', 'verify', '--data-dir', p.dataDir, '--json']);
    expectExit(broken, 1);
    expect(JSON.parse(broken.stdout)).toMatchObject({
      ok: false,
      firstBadSeq: 3,
      problem: 'sequence_gap',
    });
  });
});
