/**
 * The requester of a data-subject request: the subject themself or, under the CCPA, an authorised
 * agent (a guardian under the GDPR) who gives the subject's authorisation. Their contact, for an
 * answer that comes later, is sealed under the subject's key (`privacy_request_data.requester_enc`),
 * shown to privacy staff only through an audited read, in the subject's export, and shredded with
 * the subject. Nothing of it in answers, lists, the audit log or events.
 */
import { unzipSync } from 'fflate';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { dataDirPaths } from '../../../../server/vault/index.js';
import { auditOf, auditText } from '../../api/auth-helpers.js';
import { closeAppliances, expectProblem } from '../../api/helpers.js';
import { cleanupDirs } from '../../cli/helpers.js';
import { fileContains, rawDbFiles } from '../../vault/helpers.js';
import { bodyOf, seedSubject, setupPrivacy } from './support.js';

type T = Awaited<ReturnType<typeof setupPrivacy>>;
let t: T;
beforeEach(async () => {
  t = await setupPrivacy();
}, 60_000);
afterEach(() => {
  closeAppliances();
  cleanupDirs();
});

const AGENT = {
  relation: 'authorised_agent',
  name: 'ZZAGENTNAME Legal Aid',
  email: 'zzagent.inbox@example.org',
  authorisation: 'signed permission from the consumer, ref ZZPERMIT-4471, checked at the desk',
};

describe('the requester of a request', () => {
  it("keeps an agent's contact sealed under the subject's key, for privacy staff only, audited", async () => {
    const s = seedSubject(t, 41, { face: false });
    const filed = await bodyOf<Record<string, unknown>>(
      await t.staffCall('POST', '/privacy/requests', {
        type: 'access',
        subjectId: s.subjectId,
        jurisdiction: 'US-CA',
        identity: { method: 'document', documentNumber: s.documentNumber },
        requester: AGENT,
      }),
      201,
    );
    expect(filed).toMatchObject({
      regime: 'ccpa',
      requester: 'authorised_agent',
      requesterContact: true,
    });
    const id = filed.id as string;
    // Nothing of the contact in the answer, the list, the audit log or the events.
    const listed = await (await t.call('GET', '/privacy/requests', t.reader)).text();
    await t.appliance.privacyRequests.idle();
    const events = t.vault.read((db) =>
      JSON.stringify(db.prepare('SELECT payload FROM events').all()),
    );
    for (const text of [JSON.stringify(filed), listed, auditText(t.vault), events]) {
      for (const needle of [AGENT.name, AGENT.email, 'ZZPERMIT'])
        expect(text).not.toContain(needle);
    }

    // Read by privacy staff through an audited read; not by a reader, not by a kiosk.
    await expectProblem(await t.call('GET', `/privacy/requests/${id}/requester`, t.reader), 403);
    await expectProblem(
      await t.call('GET', `/privacy/requests/${id}/requester`, t.kiosk.token),
      403,
    );
    const reads = () =>
      auditOf(t.vault, 'pii.read').filter(
        (e) => e.object_id === id && JSON.parse(e.details).purpose === 'request_answer',
      );
    expect(reads()).toHaveLength(0);
    const shown = await bodyOf(await t.staffCall('GET', `/privacy/requests/${id}/requester`), 200);
    expect(shown).toEqual(AGENT);
    expect(reads()).toHaveLength(1);
    expect(reads()[0]?.actor).toMatch(/^staff:/);

    // In the subject's own export (it is about their request).
    const zip = await t.call('GET', `/privacy/requests/${id}/export`, t.branch);
    const data = JSON.parse(
      new TextDecoder().decode(unzipSync(new Uint8Array(await zip.arrayBuffer()))['data.json']),
    ) as { tables: { privacy_request_data: Record<string, unknown>[] } };
    expect(data.tables.privacy_request_data.find((r) => r.id === id)?.requester).toEqual(AGENT);

    // A deletion for the subject shreds the contact with everything else of theirs.
    await bodyOf(
      await t.staffCall('POST', '/privacy/requests', {
        type: 'deletion',
        subjectId: s.subjectId,
        identity: { method: 'document', documentNumber: s.documentNumber },
      }),
      201,
    );
    const after = await bodyOf<Record<string, unknown>>(
      await t.call('GET', `/privacy/requests/${id}`, t.reader),
      200,
    );
    expect(after).toMatchObject({ requester: 'authorised_agent', requesterContact: false });
    const gone = await expectProblem(
      await t.staffCall('GET', `/privacy/requests/${id}/requester`),
      404,
    );
    expect(gone.rule).toBe('requester_not_on_file');
    const files = rawDbFiles(dataDirPaths(t.dataDir).database);
    for (const needle of [AGENT.name, AGENT.email, 'ZZPERMIT']) {
      expect(
        files.some((f) => fileContains(f, needle)),
        needle,
      ).toBe(false);
    }
  });

  it('refuses an agent without their name or the authorisation, and an agent at a kiosk, writing nothing', async () => {
    const s = seedSubject(t, 42, { face: false });
    const count = () =>
      t.vault.read((db) => db.prepare('SELECT COUNT(*) FROM privacy_requests').pluck().get());
    const before = count();
    const file = (requester: Record<string, unknown>, call = t.staffCall) =>
      call('POST', '/privacy/requests', {
        type: 'restriction',
        subjectId: s.subjectId,
        identity: { method: 'document', documentNumber: s.documentNumber },
        requester,
      });
    const { authorisation: _a, ...noAuthorisation } = AGENT;
    await expectProblem(await file(noAuthorisation), 400);
    await expectProblem(await file({ relation: 'subject' }), 400);
    const atKiosk = await expectProblem(
      await t.call('POST', '/privacy/requests', t.kiosk.token, {
        type: 'restriction',
        subjectId: s.subjectId,
        identity: { method: 'document', documentNumber: s.documentNumber },
        requester: AGENT,
      }),
      422,
    );
    expect(atKiosk.rule).toBe('agent_not_at_kiosk');
    expect(count()).toBe(before);
    // The subject themself, with an e-mail for the answer: taken.
    const own = await bodyOf<Record<string, unknown>>(
      await file({ relation: 'subject', email: 'zzself@example.org' }),
      201,
    );
    expect(own).toMatchObject({ requester: 'subject', requesterContact: true });
  });
});
