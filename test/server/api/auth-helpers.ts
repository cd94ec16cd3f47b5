import * as http from 'node:http';
import { expect } from 'vitest';
import { API_SCOPES, type ApiScope } from '../../../contract/index.js';
import type { Appliance } from '../../../server/app.js';
import { requireKioskOwnsSession, requireScope } from '../../../server/api/index.js';
import { apiRouter } from '../../../server/api/openapi.js';
import { HttpError } from '../../../server/api/problem.js';
import type { Vault } from '../../../server/vault/index.js';

/** A clock the test moves by hand: expiries without sleeping. */
export function manualClock(startIso = '2026-06-01T09:00:00.000Z') {
  let at = Date.parse(startIso);
  return {
    now: () => new Date(at),
    advance(ms: number) {
      at += ms;
    },
  };
}

export const MINUTE = 60_000;

/** The probe route guarded by `scope`: 200 when the caller passes requireScope(scope). */
export const probePath = (scope: ApiScope) => `/api/v1/test-probe/${scope.replace(':', '-')}`;
/** A stand-in for a capture route of a verification session (the verification issue adds them). */
export const capturePath = (verificationId: string) =>
  `/api/v1/test-probe/verifications/${verificationId}/captures`;

/**
 * Mounts test-only routes on the appliance's app (before its first request): one GET and one
 * POST per scope, guarded by requireScope, and a capture route that does what the capture routes
 * will do: check `captures:write`, load the verification, then requireKioskOwnsSession.
 */
export function mountProbes(appliance: Appliance): void {
  const { vault } = appliance;
  const router = apiRouter();
  for (const scope of API_SCOPES) {
    const guard = requireScope(scope, { vault });
    router.get(probePath(scope).slice('/api/v1'.length), guard, (c) => c.json({ scope }));
    router.post(probePath(scope).slice('/api/v1'.length), guard, (c) => c.json({ scope }));
  }
  router.post(
    '/test-probe/verifications/:id/captures',
    requireScope('captures:write', { vault }),
    (c) => {
      const row = vault.read((db) =>
        db.prepare('SELECT kiosk_id FROM verifications WHERE id = ?').get(c.req.param('id')),
      ) as { kiosk_id: string | null } | undefined;
      if (row === undefined) throw new HttpError(404, 'not_found', 'No such resource.');
      requireKioskOwnsSession(c, row.kiosk_id);
      return c.json({ accepted: true }, 202);
    },
  );
  appliance.app.route('/api/v1', router);
}

export const json = { 'content-type': 'application/json' };

export interface LoggedIn {
  cookie: string;
  csrf: string;
  body: Record<string, unknown>;
  setCookie: string;
}

/** Logs in through the API; fails the test unless it succeeds. */
export async function loginAs(
  app: Appliance['app'],
  username: string,
  password: string,
): Promise<LoggedIn> {
  const response = await app.request('/api/v1/auth/login', {
    method: 'POST',
    headers: json,
    body: JSON.stringify({ username, password }),
  });
  expect(response.status).toBe(200);
  const setCookie = response.headers.get('set-cookie') ?? '';
  const token = /^vk_session=([^;]+);/.exec(setCookie)?.[1];
  expect(token).toBeDefined();
  const body = (await response.json()) as Record<string, unknown>;
  return { cookie: `vk_session=${token}`, csrf: body.csrfToken as string, body, setCookie };
}

export interface RawResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** A request sent as given over a real socket (fetch would add or refuse some headers). */
export function raw(
  port: number,
  target: string,
  method: string,
  headers: Record<string, string>,
  body?: string,
): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const request = http.request(
      { host: '127.0.0.1', port, path: target, method, headers, agent: false },
      (response) => {
        let text = '';
        response.setEncoding('utf8').on('data', (s: string) => (text += s));
        response.on('end', () =>
          resolve({ status: response.statusCode ?? 0, headers: response.headers, body: text }),
        );
      },
    );
    request.on('error', reject);
    request.end(body);
  });
}

/** The audit entries with this action, oldest first. */
export function auditOf(vault: Vault, action: string) {
  return vault.read((db) =>
    db
      .prepare(
        'SELECT actor, action, object_type, object_id, details FROM audit_log WHERE action = ? ORDER BY seq',
      )
      .all(action),
  ) as {
    actor: string;
    action: string;
    object_type: string | null;
    object_id: string | null;
    details: string;
  }[];
}

/** The whole audit log as text (to search it for what must never be there). */
export function auditText(vault: Vault): string {
  return JSON.stringify(
    vault.read((db) =>
      db.prepare('SELECT actor, action, object_type, object_id, details FROM audit_log').all(),
    ),
  );
}
