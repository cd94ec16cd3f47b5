/**
 * The kiosk's bundle as the browser loads it: every script, module preload and stylesheet its
 * built index.html names, each gzipped (level 9), against the kiosk's budget.
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { gzipSync } from 'node:zlib';

/** The kiosk's gzip budget: the capture SDKs' (Onfido's, Innovatrics') 150 kB. */
export const KIOSK_BUDGET_BYTES = 150 * 1000;

export interface BundleFile {
  file: string;
  bytes: number;
  gzip: number;
}

export function pageBundle(dist: string, page: 'kiosk' | 'staff' | 'admin'): BundleFile[] {
  const html = readFileSync(path.join(dist, page, 'index.html'), 'utf8');
  const assets = new Set<string>();
  for (const match of html.matchAll(/(?:src|href)="\/(assets\/[^"]+\.(?:js|css))"/g)) {
    assets.add(match[1]!);
  }
  return [...assets].sort().map((asset) => {
    const bytes = readFileSync(path.join(dist, asset));
    return { file: asset, bytes: bytes.length, gzip: gzipSync(bytes, { level: 9 }).length };
  });
}

export const totalGzip = (files: BundleFile[]) => files.reduce((sum, f) => sum + f.gzip, 0);
