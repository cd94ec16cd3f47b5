/**
 * The access export holds what the appliance told others about the subject: the domain events
 * about their verifications (ids and codes, as the feed carried them) and the webhook deliveries
 * of those events (when, to which receiver, with what result), never a webhook secret nor the
 * receiver's path or query (a receiver's token often lives there). Built through the API for a
 * subject whose events went through the real feed to a real receiver on 127.0.0.1.
 */
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { unzipSync } from 'fflate';
import { afterEach, describe, expect, it } from 'vitest';
import { emitEvent } from '../../../../server/events/index.js';
import { closeAppliances } from '../../api/helpers.js';
import { cleanupDirs } from '../../cli/helpers.js';
import { bodyOf, seedSubject, setupPrivacy } from './support.js';

const servers: http.Server[] = [];
afterEach(async () => {
  closeAppliances();
  cleanupDirs();
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
});

/** A receiver on 127.0.0.1 that takes every delivery. */
async function receiver(): Promise<{ origin: string; received: string[] }> {
  const received: string[] = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString('utf8')));
    req.on('end', () => {
      received.push(body);
      res.writeHead(204).end();
    });
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, received };
}

interface ExportData {
  tables: Record<string, Record<string, unknown>[]>;
}

describe('the access export and what was told about the subject', () => {
  it("holds the events about the subject's verifications and their webhook deliveries, without secrets", async () => {
    const t = await setupPrivacy();
    const { vault, appliance } = t;
    const s = seedSubject(t, 31, { face: false });
    const other = seedSubject(t, 32, { face: false });
    const { origin, received } = await receiver();
    const PATH_TOKEN = 'zzpathtoken7Q';
    const QUERY_TOKEN = 'zzquerytoken8Q';
    const { endpoint, secret } = appliance.webhooks.create(
      {
        url: `${origin}/hooks/${PATH_TOKEN}?k=${QUERY_TOKEN}`,
        events: ['*'],
        description: 'Branch CRM',
      },
      'test',
    );

    const ids = vault.write((db) => {
      const at = vault.now;
      const mine = [
        emitEvent(
          db,
          {
            type: 'verification.created',
            payload: { verificationId: s.identityVerificationId, kind: 'identity', kioskId: null },
          },
          at,
        ),
        emitEvent(
          db,
          {
            type: 'consent.granted',
            payload: {
              subjectId: s.subjectId,
              verificationId: s.identityVerificationId,
              purposes: ['biometric_processing', 'data_sharing'],
              givenBy: 'subject',
            },
          },
          at,
        ),
        emitEvent(
          db,
          {
            type: 'verification.decided',
            payload: {
              verificationId: s.identityVerificationId,
              decision: 'approved',
              riskScore: 5,
              reasons: ['document_expiring_soon'],
              policyVersion: 'default-2',
              byCase: false,
            },
          },
          at,
        ),
      ];
      const theirs = emitEvent(
        db,
        {
          type: 'verification.decided',
          payload: {
            verificationId: other.identityVerificationId,
            decision: 'declined',
            riskScore: 90,
            reasons: ['face_mismatch'],
            policyVersion: 'default-2',
            byCase: false,
          },
        },
        at,
      );
      return { mine, theirs };
    });
    // The real feed fans the events out into deliveries; the real deliverer sends them.
    await appliance.events.drain();
    appliance.webhookDelivery.start();
    const attempted = () =>
      vault.read(
        (db) =>
          db
            .prepare(
              'SELECT COUNT(*) FROM webhook_deliveries WHERE endpoint_id = ? AND attempts = 0 AND delivered_at IS NULL',
            )
            .pluck()
            .get(endpoint.id) as number,
      );
    for (let i = 0; i < 500 && attempted() > 0; i++) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(attempted()).toBe(0);
    // The other subject's decision went out too (it is theirs, not in this export).
    expect(received.some((body) => body.includes(other.identityVerificationId))).toBe(true);
    await appliance.webhookDelivery.stop();

    const filed = await bodyOf<{ id: string }>(
      await t.call('POST', '/privacy/requests', t.branch, {
        type: 'access',
        subjectId: s.subjectId,
        identity: { method: 'document', documentNumber: s.documentNumber },
      }),
      201,
    );
    await appliance.privacyRequests.idle();
    const response = await t.call('GET', `/privacy/requests/${filed.id}/export`, t.branch);
    expect(response.status).toBe(200);
    const zip = new Uint8Array(await response.arrayBuffer());
    const files = unzipSync(zip);
    const data = JSON.parse(new TextDecoder().decode(files['data.json'])) as ExportData;

    // The events about the subject, with their payloads; not the other subject's.
    const events = data.tables.events ?? [];
    expect(events.map((e) => e.id).sort()).toEqual([...ids.mine].sort());
    expect(events.find((e) => e.type === 'verification.decided')?.payload).toMatchObject({
      verificationId: s.identityVerificationId,
      decision: 'approved',
    });

    // One delivery per event to the one endpoint: when, where, how it went.
    const deliveries = data.tables.webhook_deliveries ?? [];
    expect(deliveries.map((d) => d.event_id).sort()).toEqual([...ids.mine].sort());
    for (const d of deliveries) {
      expect(d).toMatchObject({ endpoint_id: endpoint.id, created_at: expect.any(String) });
      expect(d.attempts as number).toBeGreaterThan(0);
    }
    for (const d of deliveries) {
      expect(d).toMatchObject({ state: 'delivered', last_status: 204 });
      expect(d.delivered_at).toEqual(expect.any(String));
      expect(d.payload).toMatchObject({ verificationId: s.identityVerificationId });
    }

    // The receiver named by its origin and description; never its secret, path or query.
    expect(data.tables.webhook_endpoints).toEqual([
      expect.objectContaining({ id: endpoint.id, url: origin, description: 'Branch CRM' }),
    ]);
    const text =
      new TextDecoder().decode(files['data.json']) +
      new TextDecoder().decode(files['summary.html']);
    for (const needle of [
      secret,
      PATH_TOKEN,
      QUERY_TOKEN,
      other.subjectId,
      other.identityVerificationId,
    ]) {
      expect(text).not.toContain(needle);
    }
    expect(String(ids.theirs)).not.toBe('');
  });
});
