import { expect } from 'vitest';
import type { ApiScope, StaffRole } from '../../../contract/index.js';
import { createAppliance, type Appliance } from '../../../server/app.js';
import { addStaffUser, createApiClient } from '../../../server/auth/index.js';
import { emitEvent, type EventPayloads } from '../../../server/events/index.js';
import { createLogger } from '../../../server/log/index.js';
import type { VerificationResolver } from '../../../server/verification/index.js';
import { Vault, dataDirPaths, newId } from '../../../server/vault/index.js';
import { vaultDb } from '../../../server/vault/internal.js';
import { tempDir } from '../cli/helpers.js';
import { loginAs, manualClock, type LoggedIn } from '../api/auth-helpers.js';
import { testConfig } from '../api/helpers.js';

export const PASSWORD = 'zz-correct-horse-battery-1';

const open: Appliance[] = [];

export function closeCaseAppliances(): void {
  for (const appliance of open.splice(0)) void appliance.close();
}

/**
 * The test's VerificationResolver (the real one is the verification service's): moves the
 * verifications row from review (or a decline under review) to the resolution and emits
 * verification.decided with byCase, in the caller's transaction, as the interface asks.
 */
export function rowResolver(
  vault: () => Vault,
): VerificationResolver & { calls: string[]; refuseNext: boolean } {
  const calls: string[] = [];
  return {
    calls,
    /** Makes the next call throw after writing (a failing verification service). */
    refuseNext: false,
    resolve(verificationId, resolution, actor) {
      const v = vault();
      const refuse = this.refuseNext;
      this.refuseNext = false;
      v.write((db) => {
        const at = v.now.toISOString();
        const changed = db
          .prepare(
            `UPDATE verifications SET status = ?, updated_at = ?, decided_at = ?
             WHERE id = ? AND status IN ('review', 'declined')`,
          )
          .run(resolution, at, at, verificationId).changes;
        if (changed !== 1) throw new Error('the verification is not awaiting a case');
        emitEvent(
          db,
          {
            type: 'verification.decided',
            payload: {
              verificationId,
              decision: resolution,
              riskScore: 0,
              reasons: [],
              policyVersion: 'default-1',
              byCase: true,
            },
          },
          v.now,
        );
        if (refuse) throw new Error('refused by the test');
      });
      calls.push(`${verificationId}:${resolution}:${actor}`);
    },
  };
}

export interface CaseTest {
  appliance: Appliance;
  clock: ReturnType<typeof manualClock>;
  resolver: ReturnType<typeof rowResolver>;
  logs: string[];
  users: Record<string, { id: string }>;
  login(name: string): Promise<LoggedIn>;
}

/** An appliance with staff users (username zz<name>, role by name) and the row resolver. */
export async function caseAppliance(
  users: Record<string, StaffRole> = {
    alice: 'staff',
    bob: 'staff',
    sam: 'supervisor',
    aud: 'auditor',
  },
  config: Record<string, unknown> = {},
): Promise<CaseTest> {
  const dataDir = tempDir('vk-cases-test-');
  const keyFile = dataDirPaths(dataDir).defaultKeyFile;
  (await Vault.init(dataDir, { unattendedKeyFile: keyFile })).close();
  const clock = manualClock();
  const logs: string[] = [];
  const holder: { vault?: Vault } = {};
  const resolver = rowResolver(() => holder.vault as Vault);
  const appliance = await createAppliance({
    dataDir,
    keySource: { kind: 'key-file', path: keyFile },
    config: testConfig(config),
    logger: createLogger({ level: 'debug', write: (line) => logs.push(line) }),
    clock: clock.now,
    verificationResolver: resolver,
  });
  holder.vault = appliance.vault;
  open.push(appliance);
  const made = Object.fromEntries(
    Object.entries(users).map(([name, role]) => [
      name,
      addStaffUser(appliance.vault, { username: `zz${name}`, role, password: PASSWORD }, 'cli'),
    ]),
  );
  return {
    appliance,
    clock,
    resolver,
    logs,
    users: made,
    login: (name) => loginAs(appliance.app, `zz${name}`, PASSWORD),
  };
}

/** A verification row in `status`, with its checks and reasons (no personal data). */
export function seedVerification(
  t: CaseTest,
  status: 'review' | 'declined',
  reasons: string[],
  subjectId: string | null = null,
): string {
  const id = newId('ver', t.clock.now().getTime());
  const at = t.clock.now().toISOString();
  const checks = reasons.map((r) => ({
    check: `c_${r}`,
    outcome: 'warn',
    score: 0.4,
    reasonCode: r,
  }));
  vaultDb(t.appliance.vault)
    .prepare(
      `INSERT INTO verifications (id, subject_id, purpose, status, checks, decision, risk_score,
         reason_codes, created_at, updated_at, decided_at) VALUES (?, ?, 'onboarding', ?, ?, ?, 42, ?, ?, ?, ?)`,
    )
    .run(
      id,
      subjectId,
      status,
      JSON.stringify(checks),
      status,
      JSON.stringify(reasons),
      at,
      at,
      at,
    );
  return id;
}

/** Emits verification.decided for a seeded verification, as the verification service will. */
export function emitDecided(
  t: CaseTest,
  verificationId: string,
  decision: EventPayloads['verification.decided']['decision'],
  reasons: string[],
): number {
  return t.appliance.vault.write((db) =>
    emitEvent(
      db,
      {
        type: 'verification.decided',
        payload: {
          verificationId,
          decision,
          riskScore: 42,
          reasons,
          policyVersion: 'default-1',
          byCase: false,
        },
      },
      t.clock.now(),
    ),
  );
}

/** A verification in review with a case opened through the feed; returns both ids. */
export async function openCase(
  t: CaseTest,
  reasons: string[] = ['reading_corrected'],
  status: 'review' | 'declined' = 'review',
): Promise<{ verificationId: string; caseId: string }> {
  const verificationId = seedVerification(t, status, reasons);
  emitDecided(t, verificationId, status, reasons);
  await t.appliance.events.drain();
  const caseId = vaultDb(t.appliance.vault)
    .prepare("SELECT id FROM reviews WHERE verification_id = ? AND status <> 'decided'")
    .pluck()
    .get(verificationId) as string | undefined;
  expect(caseId).toBeDefined();
  return { verificationId, caseId: caseId as string };
}

export const apiKey = (t: CaseTest, scopes: ApiScope[], name = 'k') =>
  createApiClient(t.appliance.vault, { name, scopes }, 'test').key;

export const JSON_HEADERS = { 'content-type': 'application/json' };

/** A cookie write with the session's CSRF token. */
export const asStaff = (who: LoggedIn, method: string, body?: unknown): RequestInit => ({
  method,
  headers: { ...JSON_HEADERS, cookie: who.cookie, 'x-csrf-token': who.csrf },
  ...(body === undefined ? {} : { body: JSON.stringify(body) }),
});

export const asKey = (key: string, method: string, body?: unknown): RequestInit => ({
  method,
  headers: { ...JSON_HEADERS, authorization: `Bearer ${key}` },
  ...(body === undefined ? {} : { body: JSON.stringify(body) }),
});
