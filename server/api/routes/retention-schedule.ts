import { Hono } from 'hono';
import type { RetentionRule } from '../../config/index.js';
import {
  negotiateSchedule,
  renderScheduleHtml,
  retentionScheduleDocument,
  type BackupBound,
} from '../../privacy/index.js';
import type { Vault } from '../../vault/index.js';
import type { ApiEnv } from '../middleware/auth.js';
import { problem } from '../problem.js';

/**
 * `GET /privacy/retention-schedule` (PRIV-2): public, no credentials; HTML or JSON by the
 * Accept header (HTML when the client rates both alike), generated from the rules in force at
 * each request, with the policy version and hash and the backup bound. `Vary: Accept` so a
 * cache keeps both. The backup bound depends on the config alone and takes a cron measurement of
 * up to a second or so: the appliance computes it once at start, in slices
 * (backupRetentionBoundInBackground), and a request reads it (waiting, without holding the event
 * loop, if it comes in the first moments after start).
 */
export function retentionScheduleRoutes(
  vault: Vault,
  rules: readonly RetentionRule[],
  backups: Promise<BackupBound>,
) {
  return new Hono<ApiEnv>().get('/privacy/retention-schedule', async (c) => {
    c.header('vary', 'Accept');
    const format = negotiateSchedule(c.req.header('accept'));
    if (format === null) {
      return problem(
        c,
        406,
        'not_acceptable',
        'this page is served as text/html or application/json',
      );
    }
    const doc = retentionScheduleDocument(vault, rules, await backups);
    c.header('cache-control', 'no-cache');
    if (format === 'json') return c.json(doc, 200);
    c.header('content-security-policy', "default-src 'none'; style-src 'unsafe-inline'");
    return c.html(renderScheduleHtml(doc), 200);
  });
}
