import { createRoute } from '@hono/zod-openapi';
import { KioskExitAnswerSchema, KioskExitSchema } from '../../../contract/index.js';
import { tryKioskExit, type SessionPolicy } from '../../auth/index.js';
import type { Vault } from '../../vault/index.js';
import { authenticateRequest } from '../middleware/auth.js';
import { BEARER_SCHEME, apiRouter, json, problemResponses } from '../openapi.js';
import { HttpError } from '../problem.js';
import { KeyedQueue } from './auth.js';

/**
 * The kiosk shell's staff exit (UI-4): the kiosk, with its own token, asks whether a staff PIN
 * opens its exit. The answer is `{ allowed }` and nothing about whose PIN it was; wrong PINs
 * lock the kiosk's exit for a while (429 with Retry-After, auth/pins.ts). One try at a time per
 * kiosk, so concurrent tries cannot all pass before the lock.
 */
export function kioskExitRoutes(vault: Vault, policy: SessionPolicy) {
  const route = createRoute({
    method: 'post',
    path: '/kiosk/exit',
    tags: ['kiosks'],
    summary: "Check a staff PIN at the kiosk's exit gesture (kiosk token only)",
    security: [{ [BEARER_SCHEME]: [] }],
    request: { body: { required: true, content: json(KioskExitSchema) } },
    responses: {
      200: {
        description: 'Whether the PIN opens the exit (never whose PIN it is)',
        content: json(KioskExitAnswerSchema),
      },
      ...problemResponses(400, 401, 403, 413, 429),
    },
  });
  const queue = new KeyedQueue();
  return apiRouter().openapi(route, async (c) => {
    const principal = authenticateRequest(c, vault);
    if (principal === null) {
      throw new HttpError(
        401,
        'unauthorized',
        'a kiosk token is needed',
        {},
        {
          'www-authenticate': 'Bearer realm="verikiosk"',
        },
      );
    }
    if (principal.kind !== 'kiosk') {
      throw new HttpError(403, 'forbidden', "only a kiosk's own token can ask to exit it");
    }
    const { pin } = c.req.valid('json');
    const outcome = await queue.run(principal.kiosk.id, () =>
      tryKioskExit(vault, principal.kiosk, pin, policy),
    );
    if ('retryAfterSeconds' in outcome) {
      const wait = outcome.retryAfterSeconds;
      throw new HttpError(
        429,
        'rate_limited',
        `too many wrong PINs at this kiosk; retry after ${wait} s`,
        { retryAfterSeconds: wait },
        { 'retry-after': String(wait) },
      );
    }
    c.header('cache-control', 'no-store');
    return c.json({ allowed: outcome.allowed }, 200);
  });
}
