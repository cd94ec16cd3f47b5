import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Hono, type Context } from 'hono';

/**
 * The web UI (renderer/, built by Vite into dist/renderer): `/kiosk`, `/staff` and `/admin` each
 * answer their page's index.html (any path below them too, for the page's own routing), and
 * `/assets/<name>` the content-hashed scripts and styles the pages load.
 *
 * Every answer carries a CSP without 'unsafe-inline' (the build emits no inline script or style),
 * the camera allowed to this origin only, and no framing. Hashed assets are cached for a year
 * (immutable: a new build has new names); a page is never stored, so a new build is picked up at
 * once and nothing of a kiosk session stays in the browser's HTTP cache.
 */
export const UI_PAGES = ['kiosk', 'staff', 'admin'] as const;
export type UiPage = (typeof UI_PAGES)[number];

export const UI_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data: blob:",
  "media-src 'self' blob: mediastream:",
  "connect-src 'self'",
  "font-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy': UI_CSP,
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cross-origin-opener-policy': 'same-origin',
  'permissions-policy': 'camera=(self), microphone=(), geolocation=(), usb=(), serial=(), hid=()',
};

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.webp': 'image/webp',
  '.woff2': 'font/woff2',
  '.ico': 'image/x-icon',
  '.txt': 'text/plain; charset=utf-8',
};

/** A built asset's file name: Vite's `<name>-<hash>.<ext>`, never a path. */
const ASSET_NAME = /^[A-Za-z0-9_-][A-Za-z0-9._-]{0,200}$/;

export interface UiOptions {
  /** The built renderer (dist/renderer); missing: every page explains how to build it. */
  dir: string;
}

/** dist/renderer of the package this file belongs to (a source checkout or an installed build). */
export function rendererDistDir(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    const file = path.join(dir, 'package.json');
    if (fs.existsSync(file)) {
      const pkg = JSON.parse(fs.readFileSync(file, 'utf8')) as { name?: string };
      if (pkg.name === 'verikiosk') return path.join(dir, 'dist', 'renderer');
    }
    dir = path.dirname(dir);
  }
  return path.join(process.cwd(), 'dist', 'renderer');
}

/** The page shown when dist/renderer holds no build (a checkout that was never built). */
const NOT_BUILT =
  '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>verikiosk: UI not built</title></head>' +
  '<body><main><h1>The web UI is not built</h1><p>Run <code>npm run build</code> in the verikiosk ' +
  'folder, or start with <code>npx verikiosk start</code> from a source checkout, which builds it.</p>' +
  '</main></body></html>';

async function readOrNull(file: string): Promise<Buffer | null> {
  try {
    return await fs.promises.readFile(file);
  } catch {
    return null;
  }
}

function body(bytes: Buffer): ArrayBuffer {
  return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
}

export function uiRoutes(options: UiOptions) {
  const { dir } = options;
  const servePage = (page: UiPage) => async (c: Context) => {
    const html = await readOrNull(path.join(dir, page, 'index.html'));
    const headers = {
      ...SECURITY_HEADERS,
      'content-type': 'text/html; charset=utf-8',
      'cache-control': 'no-store',
    };
    if (html === null) return c.body(NOT_BUILT, 503, headers);
    return c.body(body(html), 200, headers);
  };
  const app = new Hono();
  for (const page of UI_PAGES) {
    app.get(`/${page}`, servePage(page));
    app.get(`/${page}/*`, servePage(page));
  }
  app.get('/assets/:name', async (c) => {
    const name = c.req.param('name');
    const type = CONTENT_TYPES[path.extname(name)];
    if (!ASSET_NAME.test(name) || type === undefined) return c.notFound();
    const bytes = await readOrNull(path.join(dir, 'assets', name));
    if (bytes === null) return c.notFound();
    return c.body(body(bytes), 200, {
      ...SECURITY_HEADERS,
      'content-type': type,
      'cache-control': 'public, max-age=31536000, immutable',
    });
  });
  return app;
}
