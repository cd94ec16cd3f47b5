import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { UI_CSP, uiRoutes } from '../../../server/api/ui.js';
import { cleanupDirs, tempDir } from '../cli/helpers.js';
import { closeAppliances, newAppliance } from './helpers.js';

afterAll(() => {
  closeAppliances();
  cleanupDirs();
});

/** A built renderer as Vite lays it out: one index.html per page and hashed assets. */
function builtRenderer(): string {
  const dir = tempDir('vk-ui-');
  for (const page of ['kiosk', 'staff', 'admin']) {
    fs.mkdirSync(path.join(dir, page));
    fs.writeFileSync(
      path.join(dir, page, 'index.html'),
      `<!doctype html><title>${page}</title><script type="module" src="/assets/${page}-Ab12.js"></script>`,
    );
  }
  fs.mkdirSync(path.join(dir, 'assets'));
  fs.writeFileSync(path.join(dir, 'assets', 'kiosk-Ab12.js'), 'console.log(1)');
  fs.writeFileSync(path.join(dir, 'assets', 'kiosk-Cd34.css'), 'body{}');
  return dir;
}

describe('the web UI routes', () => {
  it('serve each page uncached under a strict CSP, and hashed assets immutable with their type', async () => {
    const app = uiRoutes({ dir: builtRenderer() });
    for (const page of ['/kiosk', '/kiosk/', '/staff', '/staff/cases/cas_1', '/admin']) {
      const response = await app.request(page);
      expect(response.status, page).toBe(200);
      expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8');
      expect(response.headers.get('cache-control')).toBe('no-store');
      expect(response.headers.get('content-security-policy')).toBe(UI_CSP);
      expect(response.headers.get('x-content-type-options')).toBe('nosniff');
      expect(await response.text()).toContain(`<title>${page.split('/')[1]}</title>`);
    }
    expect(UI_CSP).toContain("script-src 'self'");
    expect(UI_CSP).not.toContain('unsafe-inline');
    const script = await app.request('/assets/kiosk-Ab12.js');
    expect(script.status).toBe(200);
    expect(script.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(script.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect(await script.text()).toBe('console.log(1)');
    const style = await app.request('/assets/kiosk-Cd34.css');
    expect(style.headers.get('content-type')).toBe('text/css; charset=utf-8');
  });

  it('answer 404 for unknown assets, hidden files and unknown types, and explain an unbuilt UI', async () => {
    const dir = builtRenderer();
    fs.writeFileSync(path.join(dir, 'assets', '.secret.js'), 'x');
    fs.writeFileSync(path.join(dir, 'assets', 'notes.exe'), 'x');
    const app = uiRoutes({ dir });
    for (const asset of ['/assets/none-1.js', '/assets/.secret.js', '/assets/notes.exe']) {
      expect((await app.request(asset)).status, asset).toBe(404);
    }
    const unbuilt = uiRoutes({ dir: path.join(dir, 'missing') });
    const page = await unbuilt.request('/kiosk');
    expect(page.status).toBe(503);
    expect(await page.text()).toContain('npm run build');
  });

  it('are mounted by the appliance beside the API, whose 404 stays a problem', async () => {
    const { appliance } = await newAppliance();
    const page = await appliance.app.request('/kiosk');
    expect([200, 503]).toContain(page.status);
    expect(page.headers.get('content-security-policy')).toBe(UI_CSP);
    const missing = await appliance.app.request('/assets/nothing-here.js');
    expect(missing.status).toBe(404);
    expect(missing.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  });
});
