/**
 * A kiosk files a My-data request on an authentication sent to staff review: while staff have
 * not decided, the refusal says so (`authentication_in_review`: ask again); once staff decline
 * it, the refusal is final (`authentication_not_approved`), so the kiosk ends at once with its
 * "see a member of staff" outcome instead of asking until its wait runs out. Approved, it files.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { IDENTITY_UNVERIFIED_RULES } from '../../../../contract/index.js';
import { vaultDb } from '../../../../server/vault/internal.js';
import { closeAppliances, expectProblem } from '../../api/helpers.js';
import { cleanupDirs } from '../../cli/helpers.js';
import { seedSubject, setupPrivacy, tableCounts } from './support.js';

afterEach(() => {
  closeAppliances();
  cleanupDirs();
});

describe('an authentication in review, then declined, as a My-data proof at the kiosk', () => {
  it('is refused as in review while undecided, as final once declined, and files once approved', async () => {
    const t = await setupPrivacy();
    const s = seedSubject(t, 7, { kioskId: t.kiosk.kiosk.id });
    const setState = (status: string, decision: string) =>
      vaultDb(t.vault)
        .prepare('UPDATE verifications SET status = ?, decision = ? WHERE id = ?')
        .run(status, decision, s.authenticationId);
    const file = () =>
      t.call('POST', '/privacy/requests', t.kiosk.token, {
        type: 'access',
        subjectId: s.subjectId,
        identity: { method: 'authentication', verificationId: s.authenticationId },
      });
    const before = tableCounts(t.vault);

    setState('review', 'review');
    const pending = await expectProblem(await file(), 422);
    expect(pending.type).toBe('/api/v1/problems/identity_unverified');
    expect(pending.rule).toBe('authentication_in_review');

    setState('declined', 'declined');
    const declined = await expectProblem(await file(), 422);
    expect(declined.rule).toBe('authentication_not_approved');
    expect(IDENTITY_UNVERIFIED_RULES).toContain(declined.rule);
    // Refusals write nothing.
    expect(tableCounts(t.vault)).toEqual(before);

    // Another subject's authentication in review is not "in review" for this one: final.
    const other = seedSubject(t, 8, { kioskId: t.kiosk.kiosk.id });
    vaultDb(t.vault)
      .prepare("UPDATE verifications SET status = 'review', decision = 'review' WHERE id = ?")
      .run(other.authenticationId);
    const foreign = await expectProblem(
      await t.call('POST', '/privacy/requests', t.kiosk.token, {
        type: 'access',
        subjectId: s.subjectId,
        identity: { method: 'authentication', verificationId: other.authenticationId },
      }),
      422,
    );
    expect(foreign.rule).toBe('authentication_not_approved');

    setState('approved', 'approved');
    expect((await file()).status).toBe(201);
  });
});
