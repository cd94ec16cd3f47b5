/**
 * The case screen says where the session happened: the case detail names its kiosk (id, name,
 * location) or none for an integrator's remote session, and whether a simulated device took part.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { CaseDetail } from '../../../contract/index.js';
import { registerKiosk } from '../../../server/auth/index.js';
import { vaultDb } from '../../../server/vault/internal.js';
import { cleanupDirs } from '../cli/helpers.js';
import { caseAppliance, closeCaseAppliances, emitDecided, seedVerification } from './helpers.js';

afterEach(() => {
  closeCaseAppliances();
  cleanupDirs();
});

describe('where a case’s session happened', () => {
  it('names the kiosk and the simulated-device marker, or no kiosk for a remote session', async () => {
    const t = await caseAppliance();
    const { kiosk } = registerKiosk(t.appliance.vault, 'Counter A', 'test', 'Branch 1');
    const seeded = (kioskId: string | null, simulated: boolean) => {
      const id = seedVerification(t, 'review', ['reading_corrected']);
      vaultDb(t.appliance.vault)
        .prepare('UPDATE verifications SET kiosk_id = ?, simulated = ? WHERE id = ?')
        .run(kioskId, simulated ? 1 : 0, id);
      emitDecided(t, id, 'review', ['reading_corrected']);
      return id;
    };
    const onKiosk = seeded(kiosk.id, true);
    const remote = seeded(null, false);
    await t.appliance.events.drain();
    const alice = await t.login('alice');
    const detailOf = async (verificationId: string): Promise<CaseDetail> => {
      const caseId = vaultDb(t.appliance.vault)
        .prepare('SELECT id FROM reviews WHERE verification_id = ?')
        .pluck()
        .get(verificationId) as string;
      const response = await t.appliance.app.request(`/api/v1/cases/${caseId}`, {
        headers: { cookie: alice.cookie },
      });
      expect(response.status).toBe(200);
      return (await response.json()) as CaseDetail;
    };
    expect((await detailOf(onKiosk)).verification).toMatchObject({
      kiosk: { id: kiosk.id, name: 'Counter A', location: 'Branch 1' },
      simulated: true,
    });
    expect((await detailOf(remote)).verification).toMatchObject({ kiosk: null, simulated: false });
  });
});
