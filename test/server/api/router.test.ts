/**
 * The API's route set is one Hono's RegExpRouter accepts. Hono's default router tries it first
 * and silently falls back to the trie router when any route pattern is beyond it (a parameter
 * beside a static segment with a deeper path, e.g. `/x/{id}/remove` next to `/x/documents`);
 * the trie router then costs every request a few µs more (npm run bench -- api). A new route
 * that brings the fallback back fails here, naming itself.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { RegExpRouter } from 'hono/router/reg-exp-router';
import { UnsupportedPathError } from 'hono/router';
import { cleanupDirs } from '../cli/helpers.js';
import { closeAppliances, newAppliance } from './helpers.js';

afterEach(() => {
  closeAppliances();
  cleanupDirs();
});

describe('the API router', () => {
  it('accepts every route into a RegExpRouter, and the app routes with it', async () => {
    const { app } = (await newAppliance()).appliance;
    const refused: string[] = [];
    const accepted: { method: string; path: string }[] = [];
    for (const route of app.routes) {
      // Each route together with the ones before it: the router judges the set, not a route.
      const router = new RegExpRouter<number>();
      try {
        for (const r of [...accepted, route]) router.add(r.method, r.path, 0);
        router.match('GET', '/');
        accepted.push(route);
      } catch (error) {
        if (!(error instanceof UnsupportedPathError)) throw error;
        refused.push(`${route.method} ${route.path}`);
      }
    }
    expect(refused).toEqual([]);
    expect((await app.request('/api/v1/health')).status).toBe(200);
    expect(app.router.name).toBe('SmartRouter + RegExpRouter');
  });
});
