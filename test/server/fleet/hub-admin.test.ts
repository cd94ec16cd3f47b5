/**
 * The fleet hub's fraud-list admin API (issue 19), as the bank's fraud team uses it: admin keys
 * made with `verikiosk fleet hub admin-key create` (a process), the API served by `verikiosk
 * fleet hub serve-admin` (a process, HTTP on 127.0.0.1), a real hub and branch leaf node. Keys
 * with scopes, refused without; every change in the hub's hash-chained audit log (verified by
 * `fleet hub audit-verify`, a process); bad input answered with typed problems that never repeat
 * the submitted values; an entry added through the API used by the branch's next verification,
 * and its removal too.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serializeFaceTemplate } from '../../../server/biometrics/index.js';
import { hubAdminPaths } from '../../../server/fleet/hub-admin.js';
import { syntheticEmbedding } from '../../support/random.js';
import { mrzRecord } from '../documents/checks/records.js';
import { killChildren, runBin, spawnBin, waitForOutput, type Spawned } from '../cli/bin-helpers.js';
import {
  decideAt,
  filesContaining,
  natsAvailable,
  startFleet,
  stopFleet,
  type Branch,
  type Fleet,
} from './harness.js';

const MODEL = { name: 'face-api-recognition', version: '1.7.15' } as const;
const DAY = 86_400_000;
const LISTED = mrzRecord({ documentNumber: 'QZ7200001', surname: 'HUBADMINPERSONA' });
const NUMBER = LISTED.documentNumber!;

describe.skipIf(!natsAvailable)('fleet hub: the fraud-list admin API', () => {
  let fleet: Fleet;
  let server: Spawned;
  let url = '';
  let writer = '';
  let writerId = '';
  let reader = '';
  const audited = () => {
    const db = new Database(hubAdminPaths(fleet.hubDir).db, { readonly: true });
    try {
      return db
        .prepare('SELECT actor, action, object_id AS objectId, details FROM audit_log ORDER BY seq')
        .all() as { actor: string; action: string; objectId: string; details: string }[];
    } finally {
      db.close();
    }
  };
  const call = (
    method: string,
    route: string,
    options: { key?: string; body?: unknown; raw?: string; type?: string } = {},
  ) =>
    fetch(`${url}/api/v1/fleet${route}`, {
      method,
      headers: {
        ...(options.key ? { authorization: `Bearer ${options.key}` } : {}),
        ...(options.body !== undefined || options.raw !== undefined
          ? { 'content-type': options.type ?? 'application/json' }
          : {}),
      },
      ...(options.body !== undefined ? { body: JSON.stringify(options.body) } : {}),
      ...(options.raw !== undefined ? { body: options.raw } : {}),
    });
  const makeKey = async (name: string, scopes: string) => {
    const run = await runBin([
      'fleet',
      'hub',
      'admin-key',
      'create',
      '--dir',
      fleet.hubDir,
      '--name',
      name,
      '--scopes',
      scopes,
      '--json',
    ]);
    expect(run.code, run.stderr).toBe(0);
    return JSON.parse(run.stdout) as { key: string; client: { id: string } };
  };

  beforeAll(async () => {
    fleet = await startFleet(['b1']);
    const w = await makeKey('fraud-team', 'fraud_lists:read,fraud_lists:write,audit:read');
    writer = w.key;
    writerId = w.client.id;
    reader = (await makeKey('auditor', 'fraud_lists:read')).key;
    server = spawnBin(['fleet', 'hub', 'serve-admin', '--dir', fleet.hubDir, '--port', '0']);
    url = (await waitForOutput(server, /listening on (http:\/\/127\.0\.0\.1:\d+)/, 30_000))[1]!;
  }, 90_000);
  afterAll(async () => {
    server?.child.kill('SIGTERM');
    await server?.exited;
    killChildren();
    await stopFleet(fleet);
  }, 30_000);

  it('refuses a request without a valid key (401) or without the scope (403), writing nothing', async () => {
    const before = audited().length;
    const none = await call('GET', '/fraud-lists');
    expect(none.status).toBe(401);
    expect(none.headers.get('content-type')).toBe('application/problem+json');
    expect(none.headers.get('www-authenticate')).toMatch(/^Bearer/);
    expect(await none.json()).toMatchObject({ type: '/api/v1/problems/unauthorized', status: 401 });
    const forged = `${writer.slice(0, -4)}AAAA`;
    expect((await call('GET', '/fraud-lists', { key: forged })).status).toBe(401);
    const body = { documentNumber: NUMBER, reason: 'confirmed_fraud' };
    const noScope = await call('POST', '/fraud-lists/documents', { key: reader, body });
    expect(noScope.status).toBe(403);
    expect(await noScope.json()).toMatchObject({ type: '/api/v1/problems/forbidden' });
    expect((await call('GET', '/audit', { key: reader })).status).toBe(403);
    expect((await call('GET', '/fraud-lists', { key: reader })).status).toBe(200);
    expect(audited().length).toBe(before);
  });

  it('bad input gets a typed problem that repeats no value; nothing is written', async () => {
    const before = audited().length;
    const cases: [{ body?: unknown; raw?: string; type?: string }, number, string][] = [
      [{ raw: '{"documentNumber": ' }, 400, 'malformed_body'],
      [{ raw: NUMBER, type: 'text/plain' }, 415, 'unsupported_media_type'],
      [{ body: { documentNumber: NUMBER, reason: 'because' } }, 400, 'invalid_request'],
      [
        { body: { documentNumber: NUMBER, reason: 'confirmed_fraud', note: NUMBER } },
        400,
        'invalid_request',
      ],
      [
        { body: { documentNumber: `${NUMBER}!`, reason: 'confirmed_fraud' } },
        422,
        'rule_violation',
      ],
      [
        {
          body: {
            documentNumber: NUMBER,
            reason: 'confirmed_fraud',
            expiresAt: new Date(Date.now() - DAY).toISOString(),
          },
        },
        422,
        'rule_violation',
      ],
    ];
    for (const [request, status, type] of cases) {
      const res = await call('POST', '/fraud-lists/documents', { key: writer, ...request });
      const text = await res.text();
      expect([res.status, JSON.parse(text).type]).toEqual([status, `/api/v1/problems/${type}`]);
      expect(text).not.toContain(NUMBER);
    }
    const notATemplate = await call('POST', '/fraud-lists/faces', {
      key: writer,
      body: {
        template: Buffer.from('not a face template at all').toString('base64'),
        reason: 'confirmed_fraud',
        legalBasis: 'gdpr-6-1-f',
        reference: 'case-1',
        expiresAt: new Date(Date.now() + DAY).toISOString(),
      },
    });
    expect(notATemplate.status).toBe(422);
    expect(await notATemplate.json()).toMatchObject({
      type: '/api/v1/problems/invalid_media',
      rule: 'malformed',
    });
    const unknown = await call('POST', '/fraud-lists/entries/ffd_00000000000000000000/remove', {
      key: writer,
      body: { reason: 'added_in_error' },
    });
    expect(unknown.status).toBe(404);
    expect(audited().length).toBe(before);
  });

  it('an entry added through the API is used by the branch, listed without its value, audited; its removal reaches the branch', async () => {
    const [b1] = fleet.branches as [Branch];
    const added = await call('POST', '/fraud-lists/documents', {
      key: writer,
      body: {
        documentNumber: NUMBER,
        issuingState: LISTED.issuingState,
        reason: 'confirmed_fraud',
        legalBasis: 'gdpr-6-1-f',
        reference: 'case-2026-0072',
      },
    });
    const addedText = await added.text();
    expect(added.status, addedText).toBe(201);
    expect(addedText).not.toContain(NUMBER);
    const entry = JSON.parse(addedText) as { id: string; seq: number };
    expect(JSON.parse(addedText)).toMatchObject({
      kind: 'document',
      status: 'active',
      issuer: LISTED.issuingState,
      provenance: { addedBy: `api:${writerId}`, legalBasis: 'gdpr-6-1-f' },
    });
    await b1.node!.waitForSeq(entry.seq);
    expect((await decideAt(b1, LISTED)).checks[0]?.reasonCode).toBe('known_fraud_document');

    const face = await call('POST', '/fraud-lists/faces', {
      key: writer,
      body: {
        template: Buffer.from(
          serializeFaceTemplate({ model: MODEL, vector: syntheticEmbedding(7201) }),
        ).toString('base64'),
        reason: 'identity_theft',
        legalBasis: 'gdpr-9-2-g',
        reference: 'case-2026-0073',
        expiresAt: new Date(Date.now() + 30 * DAY).toISOString(),
      },
    });
    expect(face.status).toBe(201);
    const faceEntry = (await face.json()) as { id: string };

    const list = await call('GET', '/fraud-lists?kind=face', { key: reader });
    const listText = await list.text();
    expect(JSON.parse(listText)).toEqual({
      items: [
        expect.objectContaining({
          id: faceEntry.id,
          kind: 'face',
          model: `${MODEL.name}@${MODEL.version}`,
          provenance: {
            addedBy: `api:${writerId}`,
            legalBasis: 'gdpr-9-2-g',
            reference: 'case-2026-0073',
          },
        }),
      ],
    });
    expect(listText).not.toMatch(/template|box|nonce/);

    const removed = await call('POST', `/fraud-lists/entries/${entry.id}/remove`, {
      key: writer,
      body: { reason: 'investigation_closed', legalBasis: 'gdpr-17' },
    });
    expect(removed.status).toBe(200);
    const tombstone = (await removed.json()) as { seq: number; status: string };
    expect(tombstone.status).toBe('removed');
    await b1.node!.waitForSeq(tombstone.seq);
    expect((await decideAt(b1, LISTED)).checks[0]?.outcome).toBe('pass');
    const again = await call('POST', `/fraud-lists/entries/${entry.id}/remove`, {
      key: writer,
      body: { reason: 'investigation_closed' },
    });
    expect([again.status, ((await again.json()) as { type: string }).type]).toEqual([
      409,
      '/api/v1/problems/conflict',
    ]);

    // The audit chain: the keys made, each change with actor, entry id and legal basis.
    expect(
      audited().map((a) => [
        a.actor,
        a.action,
        a.objectId.slice(0, 4),
        JSON.parse(a.details) as unknown,
      ]),
    ).toEqual([
      ['cli', 'fleet.admin_key_created', 'hak_', expect.anything()],
      ['cli', 'fleet.admin_key_created', 'hak_', expect.anything()],
      [
        `api:${writerId}`,
        'fleet.fraud_document_added',
        'ffd_',
        expect.objectContaining({ kind: 'document', legalBasis: 'gdpr-6-1-f' }),
      ],
      [
        `api:${writerId}`,
        'fleet.fraud_face_added',
        'ffc_',
        expect.objectContaining({ kind: 'face', legalBasis: 'gdpr-9-2-g' }),
      ],
      [
        `api:${writerId}`,
        'fleet.fraud_entry_removed',
        'ffd_',
        { kind: 'document', reason: 'investigation_closed', legalBasis: 'gdpr-17' },
      ],
    ]);
    const audit = await call('GET', '/audit', { key: writer });
    expect(((await audit.json()) as { verification: { ok: boolean } }).verification.ok).toBe(true);
    // The number rests nowhere at the hub in clear (sealed in reports.db, never in admin.db).
    expect(filesContaining(fleet.hubDir, [NUMBER])).toEqual([]);
  });

  it('fraud-add-face and fraud-remove as processes; audit-verify finds an altered entry', async () => {
    const file = path.join(fleet.root, 'face.vkft');
    fs.writeFileSync(
      file,
      serializeFaceTemplate({ model: MODEL, vector: syntheticEmbedding(7202) }),
    );
    const add = await runBin([
      'fleet',
      'hub',
      'fraud-add-face',
      '--dir',
      fleet.hubDir,
      '--template-file',
      file,
      '--reason',
      'confirmed_fraud',
      '--legal-basis',
      'gdpr-6-1-f',
      '--reference',
      'case-2026-0074',
      '--expires-at',
      new Date(Date.now() + 10 * DAY).toISOString(),
      '--json',
    ]);
    expect(add.code, add.stderr).toBe(0);
    const { id } = JSON.parse(add.stdout) as { id: string };
    const refused = await runBin([
      'fleet',
      'hub',
      'fraud-add-face',
      '--dir',
      fleet.hubDir,
      '--template-file',
      path.join(fleet.hubDir, 'hub.conf'),
      '--reason',
      'confirmed_fraud',
      '--legal-basis',
      'gdpr-6-1-f',
      '--reference',
      'case-2026-0075',
      '--expires-at',
      new Date(Date.now() + 10 * DAY).toISOString(),
    ]);
    expect([refused.code, refused.stderr]).toEqual([
      2,
      expect.stringMatching(/not a face template/),
    ]);
    const remove = await runBin([
      'fleet',
      'hub',
      'fraud-remove',
      '--dir',
      fleet.hubDir,
      '--id',
      id,
      '--reason',
      'added_in_error',
    ]);
    expect(remove.code, remove.stderr).toBe(0);
    const last = audited().at(-1)!;
    expect([last.actor, last.action, last.objectId]).toEqual([
      'cli',
      'fleet.fraud_entry_removed',
      id,
    ]);

    const verify = await runBin(['fleet', 'hub', 'audit-verify', '--dir', fleet.hubDir, '--json']);
    expect(verify.code, verify.stderr).toBe(0);
    expect(JSON.parse(verify.stdout)).toMatchObject({ ok: true, entries: audited().length });
    // Someone with the file edits an entry (past the append-only trigger): the chain says where.
    const db = new Database(hubAdminPaths(fleet.hubDir).db);
    db.exec('DROP TRIGGER audit_log_no_update');
    db.prepare("UPDATE audit_log SET actor = 'cli' WHERE seq = 3").run();
    db.close();
    const broken = await runBin(['fleet', 'hub', 'audit-verify', '--dir', fleet.hubDir, '--json']);
    expect(broken.code).toBe(1);
    expect(JSON.parse(broken.stdout)).toMatchObject({ ok: false, firstBadSeq: 3 });
  }, 60_000);
});
