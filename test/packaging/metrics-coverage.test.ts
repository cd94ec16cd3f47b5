import { afterEach, describe, expect, it } from 'vitest';
import { createAppliance } from '../../server/app.js';
import { createApiClient } from '../../server/auth/index.js';
import {
  recognitionModelIdentity,
  serializeFaceTemplate,
  storeTemplate,
} from '../../server/biometrics/index.js';
import { emitEvent } from '../../server/events/index.js';
import { createLogger } from '../../server/log/index.js';
import { syntheticEmbedding } from '../support/random.js';
import { closeAppliances, newAppliance, testConfig } from '../server/api/helpers.js';

/**
 * What issue 17 asks /metrics to cover beyond the alerts' gauges: verifications and decisions,
 * device state and the 1:N face index (its size, and what it cannot see after a change of
 * recogniser). Labels are fixed codes and counts: no ids.
 */
afterEach(closeAppliances);

const OLD = { name: 'face-api-resnet34-128d', version: '1.6.0+0123456789ab' };

/** The value of `name` whose labels include `labels` (the registry adds app="verikiosk"). */
function value(text: string, name: string, labels: Record<string, string> = {}): number {
  for (const line of text.split('\n')) {
    const m = /^([a-z_0-9]+)(?:\{([^}]*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const has = Object.fromEntries(
      [...(m[2] ?? '').matchAll(/(\w+)="([^"]*)"/g)].map((l) => [l[1], l[2]]),
    );
    if (Object.entries(labels).every(([k, v]) => has[k] === v)) return Number(m[3]);
  }
  throw new Error(`${name} ${JSON.stringify(labels)} is not in /metrics`);
}

describe('/metrics', () => {
  it('counts verifications by kind and status, decisions by decision, and devices by state', async () => {
    const t = await newAppliance({ devices: { simulate: 'always' } });
    const { vault, app } = t.appliance;
    const key = createApiClient(
      vault,
      { name: 'branch', scopes: ['metrics:read', 'verifications:write'] },
      'test',
    ).key;
    const scrape = async (): Promise<string> => {
      const response = await app.request('/metrics', {
        headers: { authorization: `Bearer ${key}` },
      });
      expect(response.status).toBe(200);
      return response.text();
    };
    const before = await scrape();
    expect(value(before, 'verikiosk_verifications', { kind: 'identity', status: 'created' })).toBe(
      0,
    );
    const created = await app.request('/api/v1/verifications', {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ kind: 'identity' }),
    });
    expect(created.status).toBe(201);
    const { id } = (await created.json()) as { id: string };

    // A decision, as the policy or a case writes it (one event in the writing transaction).
    vault.write((db) =>
      emitEvent(db, {
        type: 'verification.decided',
        payload: {
          verificationId: id,
          decision: 'review',
          riskScore: 30,
          reasons: ['face_model_changed'],
          policyVersion: 'default-4',
          byCase: false,
        },
      }),
    );
    // The feed delivers it to the counter (in-process notify or the next poll).
    let text = await scrape();
    for (let i = 0; i < 200; i++) {
      if (text.includes('verikiosk_verification_decisions_total{')) break;
      await new Promise((r) => setTimeout(r, 50));
      text = await scrape();
    }
    expect(value(text, 'verikiosk_verifications', { kind: 'identity', status: 'created' })).toBe(1);
    expect(
      value(text, 'verikiosk_verification_decisions_total', { decision: 'review', by: 'policy' }),
    ).toBe(1);
    // The simulated pad and reader.
    const devices = t.appliance.devices.list();
    expect(devices.length).toBeGreaterThan(0);
    for (const kind of ['pad', 'reader']) {
      const states = ['connecting', 'connected', 'disconnected', 'error'];
      const total = states.reduce(
        (n, state) => n + value(text, 'verikiosk_devices', { kind, state }),
        0,
      );
      expect(total, kind).toBe(devices.filter((d) => d.kind === kind).length);
    }
    expect(text).not.toContain(id);
  });

  it('shows the face index size and what it cannot see after a change of recogniser', async () => {
    const first = await newAppliance({ face: { warmUpAtStart: false } });
    const vault = first.appliance.vault;
    const current = recognitionModelIdentity();
    const store = (subjectId: string, model: typeof OLD, seed: number): void => {
      storeTemplate(vault, {
        subjectId,
        modality: 'face',
        model,
        template: serializeFaceTemplate({ model, vector: syntheticEmbedding(seed) }),
        actor: 'test',
      });
    };
    const a = vault.createSubject();
    const b = vault.createSubject();
    store(a, OLD, 1);
    store(b, OLD, 2);
    store(b, current, 3);
    const key = createApiClient(vault, { name: 'scraper', scopes: ['metrics:read'] }, 'test').key;
    await first.appliance.close();

    // The restart after the upgrade: the index loads what the recogniser in use can compare.
    const appliance = await createAppliance({
      dataDir: first.dataDir,
      keySource: { kind: 'key-file', path: first.keyFile },
      config: testConfig({ face: { warmUpAtStart: false } }),
      logger: createLogger({ write: () => undefined }),
    });
    try {
      await appliance.faceSearch.ready;
      const text = await (
        await appliance.app.request('/metrics', { headers: { authorization: `Bearer ${key}` } })
      ).text();
      expect(value(text, 'verikiosk_face_index_entries', { kind: 'template' })).toBe(1);
      expect(value(text, 'verikiosk_face_index_entries', { kind: 'fraud' })).toBe(0);
      expect(value(text, 'verikiosk_face_index_unsearchable', { kind: 'subjects' })).toBe(1);
      expect(value(text, 'verikiosk_face_index_unsearchable', { kind: 'fraud_faces' })).toBe(0);
      for (const id of [a, b]) expect(text).not.toContain(id);
    } finally {
      await appliance.close();
    }
  });
});
