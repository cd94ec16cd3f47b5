import { afterEach, describe, expect, it, vi } from 'vitest';
import { createApiClient } from '../../../server/auth/index.js';
import { emitEvent } from '../../../server/events/index.js';
import type { Vault } from '../../../server/vault/index.js';
import { verifyWebhookSignature } from '../../../server/webhooks/index.js';
import { closeAppliances, newAppliance, type TestAppliance } from '../api/helpers.js';
import { cleanupDirs } from '../cli/helpers.js';
import { Receiver, type Received } from './receiver.js';
import { vaultDb } from '../../../server/vault/internal.js';

/**
 * Deliveries to a real receiver on 127.0.0.1 from a real appliance (its feed, deliverer and API):
 * failures, time-outs, recovery, auto-disable, rotation and redelivery. No timing is asserted:
 * each test waits for what the receiver got.
 */

const receivers: Receiver[] = [];
afterEach(async () => {
  closeAppliances();
  for (const r of receivers.splice(0)) await r.close();
  cleanupDirs();
});

interface Setup {
  t: TestAppliance;
  receiver: Receiver;
  id: string;
  secret: string;
  request: (method: string, path: string, body?: unknown) => Response | Promise<Response>;
}

async function setup(webhooks: Record<string, unknown> = {}): Promise<Setup> {
  const t = await newAppliance(
    {
      retention: { runOnStart: false },
      webhooks: { retryBaseMs: 5, retryMaxMs: 20, pollMs: 20, timeoutMs: 300, ...webhooks },
    },
    'info',
  );
  const receiver = await new Receiver().start();
  receivers.push(receiver);
  const { key } = createApiClient(t.appliance.vault, { name: 'admin', scopes: ['admin'] }, 'test');
  const request = (method: string, path: string, body?: unknown) =>
    t.appliance.app.request(`/api/v1/webhooks${path}`, {
      method,
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
  const created = (await (
    await request('POST', '', { url: receiver.url, events: ['*'] })
  ).json()) as { webhook: { id: string }; secret: string };
  t.appliance.webhookDelivery.start();
  return { t, receiver, id: created.webhook.id, secret: created.secret, request };
}

/** Emits `n` template.deleted events in one transaction (the real outbox); returns their ids. */
function emit(vault: Vault, n: number, tag: string): string[] {
  return vault.transaction(() =>
    Array.from({ length: n }, (_, i) =>
      String(
        emitEvent(vaultDb(vault), {
          type: 'template.deleted',
          payload: { templateId: `tpl_${tag}${i}`, subjectId: `sub_${tag}${i}`, modality: 'face' },
        }),
      ),
    ),
  );
}

function expectSigned(r: Received, secrets: string[]): void {
  expect(r.contentType).toMatch(/^application\/json/);
  expect(verifyWebhookSignature(r.signature, r.body, secrets)).toBe(true);
  const body = JSON.parse(r.body) as { id: number; type: string; createdAt: string; data: unknown };
  expect(String(body.id)).toBe(r.eventId);
  expect(body.type).toBe(r.eventType);
  expect(Object.keys(body)).toEqual(['id', 'type', 'createdAt', 'data']);
}

describe('webhook delivery to a receiver on 127.0.0.1', { timeout: 60_000 }, () => {
  it('survives failures (500) and time-outs, then delivers every event once recovered, in order, signed', async () => {
    const { t, receiver, secret, request, id } = await setup();
    receiver.behave = (i) => (i < 3 ? 500 : i < 5 ? 'hang' : 200);
    const ids = emit(t.appliance.vault, 20, 'a');
    await receiver.until(() => ids.every((e) => receiver.acknowledged().has(e)));

    // the first event was retried through the failures: nothing overtook it (strict order)
    expect(receiver.received.slice(0, 6).map((r) => r.eventId)).toEqual(Array(6).fill(ids[0]));
    expect(receiver.received.slice(0, 6).map((r) => r.answer)).toEqual([
      500,
      500,
      500,
      'hang',
      'hang',
      200,
    ]);
    const acked = receiver.received.filter((r) => r.answer === 200).map((r) => Number(r.eventId));
    expect(acked).toEqual([...acked].sort((a, b) => a - b));
    for (const r of receiver.received) expectSigned(r, [secret]);

    // the failures are in the log as codes, without the URL
    const failures = t.logs.filter((l) => l.event === 'webhooks.delivery_failed');
    expect(failures.map((l) => l.error)).toEqual([
      'http_status',
      'http_status',
      'http_status',
      'timeout',
      'timeout',
    ]);
    expect(failures.map((l) => l.status)).toEqual([500, 500, 500, null, null]);
    expect(t.rawLogs.join('\n')).not.toContain(receiver.url);

    // the delivery log: every delivery delivered (recorded once the answers are in), the first
    // after six attempts
    await vi.waitFor(
      async () => {
        const e = (await (await request('GET', `/${id}`)).json()) as { pendingDeliveries: number };
        expect(e.pendingDeliveries).toBe(0);
      },
      { timeout: 30_000, interval: 20 },
    );
    const log = (await (await request('GET', `/${id}/deliveries?limit=200`)).json()) as {
      items: { eventId: number; attempts: number; state: string; lastStatus: number }[];
    };
    const first = log.items.find((d) => String(d.eventId) === ids[0]);
    expect(first).toMatchObject({ attempts: 6, state: 'delivered', lastStatus: 200 });
    expect(log.items.every((d) => d.state === 'delivered')).toBe(true);
    expect(JSON.stringify(log)).not.toContain('tpl_a');

    // a captured request replayed after the tolerance window, or with another body, is refused
    const captured = receiver.received.at(-1)!;
    const signedAt = Number(/t=(\d+)/.exec(captured.signature)![1]);
    expect(
      verifyWebhookSignature(captured.signature, captured.body, [secret], 300, signedAt + 301),
    ).toBe(false);
    expect(
      verifyWebhookSignature(captured.signature, captured.body.replace('tpl_a', 'tpl_b'), [secret]),
    ).toBe(false);
  });

  it('turns an endpoint off after the configured run of failures (audited), keeps queuing, and resumes when turned back on', async () => {
    const { t, receiver, request, id, secret } = await setup({ disableAfterFailures: 3 });
    receiver.behave = () => 500;
    const first = emit(t.appliance.vault, 2, 'b');
    await vi.waitFor(
      async () => {
        const endpoint = (await (await request('GET', `/${id}`)).json()) as { enabled: boolean };
        expect(endpoint.enabled).toBe(false);
      },
      { timeout: 30_000, interval: 20 },
    );
    expect(receiver.received).toHaveLength(3);
    const endpoint = (await (await request('GET', `/${id}`)).json()) as Record<string, unknown>;
    expect(endpoint).toMatchObject({
      enabled: false,
      disabledReason: 'failures',
      consecutiveFailures: 3,
    });
    const audit = vaultDb(t.appliance.vault)
      .prepare("SELECT actor, object_id, details FROM audit_log WHERE action = 'webhook.disabled'")
      .all();
    expect(audit).toEqual([
      {
        actor: 'system',
        object_id: id,
        details: JSON.stringify({ failures: 3, reason: 'failures' }),
      },
    ]);

    // still queued while off (turned off by failures, not by an admin): nothing is lost
    const later = emit(t.appliance.vault, 1, 'c');
    await vi.waitFor(
      async () => {
        const e = (await (await request('GET', `/${id}`)).json()) as { pendingDeliveries: number };
        expect(e.pendingDeliveries).toBe(3);
      },
      { timeout: 30_000, interval: 20 },
    );
    expect(receiver.received).toHaveLength(3);

    receiver.behave = () => 200;
    const enabled = await request('PATCH', `/${id}`, { enabled: true });
    expect(await enabled.json()).toMatchObject({ enabled: true, consecutiveFailures: 0 });
    const all = [...first, ...later];
    await receiver.until(() => all.every((e) => receiver.acknowledged().has(e)));
    for (const r of receiver.received) expectSigned(r, [secret]);
  });

  it('signs with both secrets during a rotation overlap, and with the new one alone after it', async () => {
    const { t, receiver, request, id, secret } = await setup({ rotationOverlapSeconds: 1 });
    const [one] = emit(t.appliance.vault, 1, 'd');
    await receiver.until(() => receiver.acknowledged().has(one!));
    expect(receiver.received.at(-1)!.signature).toMatch(/^t=\d+,v1=[0-9a-f]{64}$/);

    const rotated = (await (await request('POST', `/${id}/rotate-secret`)).json()) as {
      secret: string;
      webhook: { previousSecretExpiresAt: string };
    };
    const [two] = emit(t.appliance.vault, 1, 'e');
    await receiver.until(() => receiver.acknowledged().has(two!));
    const during = receiver.received.at(-1)!;
    expect(during.signature).toMatch(/^t=\d+,v1=[0-9a-f]{64},v1=[0-9a-f]{64}$/);
    expect(verifyWebhookSignature(during.signature, during.body, [secret])).toBe(true);
    expect(verifyWebhookSignature(during.signature, during.body, [rotated.secret])).toBe(true);

    // after the overlap only the new secret signs
    const expires = Date.parse(rotated.webhook.previousSecretExpiresAt);
    while (Date.now() <= expires) await new Promise((r) => setTimeout(r, expires - Date.now() + 5));
    const [three] = emit(t.appliance.vault, 1, 'f');
    await receiver.until(() => receiver.acknowledged().has(three!));
    const after = receiver.received.at(-1)!;
    expect(after.signature).toMatch(/^t=\d+,v1=[0-9a-f]{64}$/);
    expect(verifyWebhookSignature(after.signature, after.body, [secret])).toBe(false);
    expect(verifyWebhookSignature(after.signature, after.body, [rotated.secret])).toBe(true);
    const endpoint = (await (await request('GET', `/${id}`)).json()) as Record<string, unknown>;
    expect(endpoint.previousSecretExpiresAt).toBeNull();
  });

  it('redelivers on request, by delivery id and by event id (same event id: the receiver deduplicates)', async () => {
    const { t, receiver, request, id, secret } = await setup();
    const [eventId] = emit(t.appliance.vault, 1, 'g');
    await receiver.until(() => receiver.acknowledged().has(eventId!));
    const log = (await (await request('GET', `/${id}/deliveries`)).json()) as {
      items: { id: number; eventId: number }[];
    };
    const original = log.items.find((d) => String(d.eventId) === eventId)!;

    const byDelivery = await request('POST', `/${id}/deliveries/${original.id}/redeliver`);
    expect(byDelivery.status).toBe(202);
    expect(await byDelivery.json()).toMatchObject({
      eventId: original.eventId,
      redeliveryOf: original.id,
      state: 'pending',
    });
    const byEvent = await request('POST', `/${id}/redeliver`, { eventId: Number(eventId) });
    expect(byEvent.status).toBe(202);
    const count = () => receiver.received.filter((r) => r.eventId === eventId).length;
    await receiver.until(() => count() === 3);
    for (const r of receiver.received) expectSigned(r, [secret]);

    expect((await request('POST', `/${id}/redeliver`, { eventId: 999_999 })).status).toBe(404);
    expect((await request('POST', `/${id}/deliveries/999999/redeliver`)).status).toBe(404);
    const audit = vaultDb(t.appliance.vault)
      .prepare("SELECT COUNT(*) FROM audit_log WHERE action = 'webhook.redelivery_requested'")
      .pluck()
      .get();
    expect(audit).toBe(2);
  });
});
