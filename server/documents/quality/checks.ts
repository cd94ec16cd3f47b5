/**
 * Image quality checks with user guidance (SPEC DOC-3): resolution, blur, glare, framing and
 * exposure, each a typed finding the kiosk can show and the pipeline can score. Thresholds
 * were tuned on the generated set (test/gen/document-images.ts); the method and the measured
 * separation are in the README.
 */
import type { CheckOutcome } from '../checks/types.js';
import type { GreyImage } from '../images/types.js';
import { findDocumentRegion, type DocumentRegion } from './region.js';

export type QualityCheck = 'resolution' | 'blur' | 'glare' | 'framing' | 'exposure';

export interface QualityFinding {
  check: QualityCheck;
  outcome: CheckOutcome;
  /** Machine code, null on a plain pass. */
  reasonCode: string | null;
  /** What was measured, in `unit`; null when the check could not run. */
  measured: number | null;
  unit: string;
  /** What to tell the person at the kiosk; null on a pass. */
  guidance: string | null;
}

/** Where the thresholds sit; `DEFAULT_QUALITY_THRESHOLDS` holds the tuned values. */
export interface QualityThresholds {
  /** Effective dpi of the document below which it warns / fails. */
  dpiWarn: number;
  dpiFail: number;
  /** MRZ character cell height (px) below which it warns / fails, when the band is known. */
  mrzCellWarnPx: number;
  mrzCellFailPx: number;
  /** Normalised variance of the Laplacian below which the image warns / fails as blurred. */
  sharpnessWarn: number;
  sharpnessFail: number;
  /** Share of saturated (≥ 250) pixels in the worst 1/36 patch of the document: warn / fail. */
  glareWarn: number;
  glareFail: number;
  /** Share of the image border the document may touch before it counts as cut off. */
  borderContactFail: number;
  /** Median document grey level below which it is too dark, and the minimum p5–p95 contrast. */
  darkFail: number;
  /** Share of document pixels saturated above which the whole capture is over-exposed. */
  clippedFail: number;
  contrastFail: number;
}

export const DEFAULT_QUALITY_THRESHOLDS: QualityThresholds = {
  dpiWarn: 170,
  dpiFail: 130,
  mrzCellWarnPx: 22,
  mrzCellFailPx: 16,
  sharpnessWarn: 2,
  sharpnessFail: 1,
  glareWarn: 0.5,
  glareFail: 0.8,
  borderContactFail: 0.01,
  darkFail: 90,
  clippedFail: 0.3,
  contrastFail: 40,
};

/**
 * Physical sizes (mm) of ID-1 cards and ID-3 passport pages; the closest aspect ratio is
 * assumed. ID-2 (105 × 74) is left out: its aspect ratio equals ID-3's, and it is rare.
 */
export const DOCUMENT_SIZES_MM: readonly { name: string; width: number; height: number }[] = [
  { name: 'ID-1', width: 85.6, height: 53.98 },
  { name: 'ID-3', width: 125, height: 88 },
];

export interface QualityOptions {
  thresholds?: Partial<QualityThresholds>;
  /** The document's physical size when known (else guessed from the aspect ratio). */
  documentSizeMm?: { width: number; height: number };
  /** The MRZ band's character cell height in pixels, when an MRZ reader located it. */
  mrzCellHeightPx?: number;
}

export interface QualityReport {
  findings: QualityFinding[];
  /** The worst outcome of the findings. */
  outcome: CheckOutcome;
  document: { bounds: DocumentRegion['bounds']; width: number; height: number } | null;
}

function finding(
  check: QualityCheck,
  outcome: CheckOutcome,
  reasonCode: string | null,
  measured: number | null,
  unit: string,
  guidance: string | null,
): QualityFinding {
  return {
    check,
    outcome,
    reasonCode,
    measured: measured === null ? null : Math.round(measured * 1000) / 1000,
    unit,
    guidance,
  };
}

/** The pixels of the document (by the region mask), as indexes into the input image. */
function documentPixels(image: GreyImage, region: DocumentRegion | null): Uint8Array {
  if (region === null) return image.data;
  const { mask, maskWidth, maskHeight, scale } = region;
  const out: number[] = [];
  // sample every other pixel: enough for histograms
  for (let y = 0; y < image.height; y += 2) {
    const my = Math.min(maskHeight - 1, Math.floor(y / scale));
    for (let x = 0; x < image.width; x += 2) {
      const mx = Math.min(maskWidth - 1, Math.floor(x / scale));
      if (mask[my * maskWidth + mx] === 1) out.push(image.data[y * image.width + x]!);
    }
  }
  return out.length > 0 ? Uint8Array.from(out) : image.data;
}

function percentile(values: Uint8Array, p: number): number {
  const counts = new Uint32Array(256);
  for (const v of values) counts[v]! += 1;
  const target = p * values.length;
  let seen = 0;
  for (let v = 0; v < 256; v++) {
    seen += counts[v]!;
    if (seen >= target) return v;
  }
  return 255;
}

/**
 * Sharpness: variance of the 4-neighbour Laplacian over the document, on a copy whose document
 * is about 1000 px wide (so the figure does not grow with resolution), divided by the squared
 * p5–p95 contrast (so it does not grow with exposure), × 100.
 */
export function measureSharpness(image: GreyImage, region: DocumentRegion | null): number {
  const bounds = region?.bounds ?? { x: 0, y: 0, width: image.width, height: image.height };
  const step = Math.max(1, Math.round(Math.max(bounds.width, bounds.height) / 1000));
  const w = Math.floor(bounds.width / step);
  const h = Math.floor(bounds.height / step);
  if (w < 8 || h < 8) return 0;
  const small = new Float32Array(w * h);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      let sum = 0;
      for (let dy = 0; dy < step; dy++) {
        const row = (bounds.y + y * step + dy) * image.width + bounds.x + x * step;
        for (let dx = 0; dx < step; dx++) sum += image.data[row + dx]!;
      }
      small[y * w + x] = sum / (step * step);
    }
  }
  let sum = 0;
  let sumSq = 0;
  let n = 0;
  for (let y = 1; y < h - 1; y++) {
    for (let x = 1; x < w - 1; x++) {
      const i = y * w + x;
      const lap = small[i - 1]! + small[i + 1]! + small[i - w]! + small[i + w]! - 4 * small[i]!;
      sum += lap;
      sumSq += lap * lap;
      n += 1;
    }
  }
  const variance = sumSq / n - (sum / n) ** 2;
  const pixels = documentPixels(image, region);
  const contrast = Math.max(20, percentile(pixels, 0.95) - percentile(pixels, 0.05));
  return (100 * variance) / (contrast * contrast);
}

/**
 * Glare: the largest share of saturated (≥ 250) document pixels in any cell of a 6×6 grid over
 * the document — a hot spot, not a generally bright page (that is exposure).
 */
export function measureGlare(image: GreyImage, region: DocumentRegion | null): number {
  const bounds = region?.bounds ?? { x: 0, y: 0, width: image.width, height: image.height };
  const inDocument = (x: number, y: number): boolean => {
    if (region === null) return true;
    const mx = Math.min(region.maskWidth - 1, Math.floor(x / region.scale));
    const my = Math.min(region.maskHeight - 1, Math.floor(y / region.scale));
    return region.mask[my * region.maskWidth + mx] === 1;
  };
  const cells = 6;
  let worst = 0;
  for (let cy = 0; cy < cells; cy++) {
    for (let cx = 0; cx < cells; cx++) {
      const x0 = bounds.x + Math.floor((cx * bounds.width) / cells);
      const x1 = bounds.x + Math.floor(((cx + 1) * bounds.width) / cells);
      const y0 = bounds.y + Math.floor((cy * bounds.height) / cells);
      const y1 = bounds.y + Math.floor(((cy + 1) * bounds.height) / cells);
      let saturated = 0;
      let total = 0;
      for (let y = y0; y < y1; y += 2) {
        for (let x = x0; x < x1; x += 2) {
          if (!inDocument(x, y)) continue;
          total += 1;
          if (image.data[y * image.width + x]! >= 250) saturated += 1;
        }
      }
      // cells mostly outside the document say little
      const full = ((x1 - x0) * (y1 - y0)) / 4;
      if (total > 0.25 * full) worst = Math.max(worst, saturated / total);
    }
  }
  return worst;
}

function guessSize(width: number, height: number): { width: number; height: number } {
  const aspect = Math.max(width, height) / Math.max(1, Math.min(width, height));
  let best = DOCUMENT_SIZES_MM[0]!;
  for (const size of DOCUMENT_SIZES_MM) {
    if (Math.abs(size.width / size.height - aspect) < Math.abs(best.width / best.height - aspect)) {
      best = size;
    }
  }
  return best;
}

/** Runs every quality check on a decoded capture. */
export function checkImageQuality(image: GreyImage, options: QualityOptions = {}): QualityReport {
  const t = { ...DEFAULT_QUALITY_THRESHOLDS, ...options.thresholds };
  const region = findDocumentRegion(image);
  const findings: QualityFinding[] = [];

  // framing
  if (region === null) {
    findings.push(
      finding(
        'framing',
        'fail',
        'DOCUMENT_NOT_FOUND',
        null,
        'share of border',
        'Place the document inside the frame.',
      ),
    );
  } else if (region.borderContact > t.borderContactFail) {
    findings.push(
      finding(
        'framing',
        'fail',
        'DOCUMENT_CUT_OFF',
        region.borderContact,
        'share of border',
        'Move the document so that all four edges are inside the frame.',
      ),
    );
  } else {
    findings.push(finding('framing', 'pass', null, region.borderContact, 'share of border', null));
  }

  // resolution: MRZ cell height when known, else the document's effective dpi
  if (options.mrzCellHeightPx !== undefined) {
    const cell = options.mrzCellHeightPx;
    const outcome = cell < t.mrzCellFailPx ? 'fail' : cell < t.mrzCellWarnPx ? 'warn' : 'pass';
    findings.push(
      finding(
        'resolution',
        outcome,
        outcome === 'pass' ? null : 'MRZ_TOO_SMALL',
        cell,
        'px per MRZ line',
        outcome === 'pass' ? null : 'Hold the document closer to the camera, or scan at 300 dpi.',
      ),
    );
  } else if (region !== null) {
    const size = options.documentSizeMm ?? guessSize(region.width, region.height);
    const longPx = Math.max(region.width, region.height);
    const dpi = longPx / (Math.max(size.width, size.height) / 25.4);
    const cut = region.borderContact > t.borderContactFail;
    const outcome = dpi < t.dpiFail ? 'fail' : dpi < t.dpiWarn ? 'warn' : 'pass';
    findings.push(
      finding(
        'resolution',
        cut ? 'not_run' : outcome,
        cut ? 'DOCUMENT_CUT_OFF' : outcome === 'pass' ? null : 'RESOLUTION_LOW',
        dpi,
        'dpi',
        !cut && outcome !== 'pass'
          ? 'Hold the document closer to the camera, or scan at 300 dpi.'
          : null,
      ),
    );
  } else {
    findings.push(finding('resolution', 'not_run', 'DOCUMENT_NOT_FOUND', null, 'dpi', null));
  }

  // blur
  const sharpness = measureSharpness(image, region);
  const blurOutcome =
    sharpness < t.sharpnessFail ? 'fail' : sharpness < t.sharpnessWarn ? 'warn' : 'pass';
  findings.push(
    finding(
      'blur',
      blurOutcome,
      blurOutcome === 'pass' ? null : 'IMAGE_BLURRED',
      sharpness,
      'normalised Laplacian variance',
      blurOutcome === 'pass' ? null : 'Hold the document still and let the camera focus.',
    ),
  );

  // glare
  const glare = measureGlare(image, region);
  const glareOutcome = glare > t.glareFail ? 'fail' : glare > t.glareWarn ? 'warn' : 'pass';
  findings.push(
    finding(
      'glare',
      glareOutcome,
      glareOutcome === 'pass' ? null : 'GLARE',
      glare,
      'share of worst patch saturated',
      glareOutcome === 'pass' ? null : 'Tilt the document slightly to avoid reflections.',
    ),
  );

  // exposure
  const pixels = documentPixels(image, region);
  const mid = percentile(pixels, 0.5);
  const contrast = percentile(pixels, 0.95) - percentile(pixels, 0.05);
  const clipped = pixels.reduce((n, v) => n + (v >= 250 ? 1 : 0), 0) / pixels.length;
  let exposure: QualityFinding;
  if (clipped > t.clippedFail) {
    exposure = finding(
      'exposure',
      'fail',
      'TOO_BRIGHT',
      clipped,
      'share of document saturated',
      'Reduce the light on the document.',
    );
  } else if (mid < t.darkFail) {
    exposure = finding(
      'exposure',
      'fail',
      'TOO_DARK',
      mid,
      'median grey level',
      'Add more light or move out of shadow.',
    );
  } else if (contrast < t.contrastFail) {
    exposure = finding(
      'exposure',
      'warn',
      'LOW_CONTRAST',
      contrast,
      'p5–p95 grey levels',
      'Place the document on a plain dark surface, in even light.',
    );
  } else {
    exposure = finding('exposure', 'pass', null, mid, 'median grey level', null);
  }
  findings.push(exposure);

  const order: CheckOutcome[] = ['pass', 'not_run', 'warn', 'fail'];
  const outcome = findings.reduce<CheckOutcome>(
    (worst, f) => (order.indexOf(f.outcome) > order.indexOf(worst) ? f.outcome : worst),
    'pass',
  );
  return {
    findings,
    outcome,
    document: region ? { bounds: region.bounds, width: region.width, height: region.height } : null,
  };
}
