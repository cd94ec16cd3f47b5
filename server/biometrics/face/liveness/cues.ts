/**
 * Cheap image cues for screens and prints, measured on the face crop. INFORMATIONAL: on the few
 * samples available they do not separate attacks from genuine photos reliably (see the README,
 * "Face liveness"), so they are reported next to the decision and never make it.
 * - moiré: a screen filmed by a camera shows periodic interference; in the 2-D spectrum of the
 *   grey crop that is an isolated peak at mid/high frequency, far above the band's median;
 * - highlights: share of clipped pixels (glossy prints and screens reflect light sources);
 * - saturation: mean HSV saturation (prints wash colours out, screens boost them);
 * - colour cast: mean chroma (Cb, Cr) — screens often lean blue;
 * - sharpness: variance of the Laplacian (re-captured images are often softer).
 */
import sharp from 'sharp';

import type { FaceBox } from '../types.js';
import { checkImage, cropRegion, type RgbImage } from './crop.js';

export interface PresentationCues {
  readonly informational: true;
  /** Highest spectral peak in the mid/high band over the band's median magnitude. */
  readonly moirePeakRatio: number;
  /** Share of pixels with a channel at 250 or more. */
  readonly clippedFraction: number;
  /** Mean HSV saturation, 0–1. */
  readonly meanSaturation: number;
  /** Mean Cb and Cr (BT.601, centred on 0, −128…127). */
  readonly meanCb: number;
  readonly meanCr: number;
  /** Variance of the 4-neighbour Laplacian of the grey crop. */
  readonly laplacianVariance: number;
}

const SIZE = 128;

/** In-place radix-2 FFT of one line (length a power of two). */
function fft(re: Float64Array, im: Float64Array): void {
  const n = re.length;
  for (let i = 1, j = 0; i < n; i++) {
    let bit = n >> 1;
    for (; j & bit; bit >>= 1) j ^= bit;
    j ^= bit;
    if (i < j) {
      [re[i], re[j]] = [re[j]!, re[i]!];
      [im[i], im[j]] = [im[j]!, im[i]!];
    }
  }
  for (let len = 2; len <= n; len <<= 1) {
    const angle = (-2 * Math.PI) / len;
    const wr = Math.cos(angle);
    const wi = Math.sin(angle);
    for (let i = 0; i < n; i += len) {
      let cr = 1;
      let ci = 0;
      for (let k = 0; k < len / 2; k++) {
        const a = i + k;
        const b = a + len / 2;
        const tr = re[b]! * cr - im[b]! * ci;
        const ti = re[b]! * ci + im[b]! * cr;
        re[b] = re[a]! - tr;
        im[b] = im[a]! - ti;
        re[a] = re[a]! + tr;
        im[a] = im[a]! + ti;
        const next = cr * wr - ci * wi;
        ci = cr * wi + ci * wr;
        cr = next;
      }
    }
  }
}

/** Magnitude spectrum of a size×size grey image (Hann-windowed, mean removed). */
export function magnitudeSpectrum(grey: Float64Array, size: number): Float64Array {
  let mean = 0;
  for (const v of grey) mean += v;
  mean /= grey.length;
  const re = new Float64Array(size * size);
  const im = new Float64Array(size * size);
  for (let y = 0; y < size; y++) {
    const wy = 0.5 - 0.5 * Math.cos((2 * Math.PI * y) / (size - 1));
    for (let x = 0; x < size; x++) {
      const wx = 0.5 - 0.5 * Math.cos((2 * Math.PI * x) / (size - 1));
      re[y * size + x] = (grey[y * size + x]! - mean) * wx * wy;
    }
  }
  const rowRe = new Float64Array(size);
  const rowIm = new Float64Array(size);
  for (let pass = 0; pass < 2; pass++) {
    for (let line = 0; line < size; line++) {
      for (let i = 0; i < size; i++) {
        const at = pass === 0 ? line * size + i : i * size + line;
        rowRe[i] = re[at]!;
        rowIm[i] = im[at]!;
      }
      fft(rowRe, rowIm);
      for (let i = 0; i < size; i++) {
        const at = pass === 0 ? line * size + i : i * size + line;
        re[at] = rowRe[i]!;
        im[at] = rowIm[i]!;
      }
    }
  }
  const out = new Float64Array(size * size);
  for (let i = 0; i < out.length; i++) out[i] = Math.hypot(re[i]!, im[i]!);
  return out;
}

/** Peak over median magnitude in the band 0.25–0.9 of Nyquist (radially). */
export function moirePeakRatio(spectrum: Float64Array, size: number): number {
  const band: number[] = [];
  const half = size / 2;
  for (let v = 0; v < size; v++) {
    const fy = v < half ? v : v - size;
    for (let u = 0; u < size; u++) {
      const fx = u < half ? u : u - size;
      const r = Math.hypot(fx, fy) / half;
      if (r >= 0.25 && r <= 0.9) band.push(spectrum[v * size + u]!);
    }
  }
  band.sort((a, b) => a - b);
  const median = band[band.length >> 1] ?? 0;
  const peak = band.at(-1) ?? 0;
  return median > 0 ? peak / median : 0;
}

/** Measures the cues on the face box (scale 1.2, resampled to 128×128 by nearest neighbour). */
export async function measurePresentationCues(
  image: RgbImage,
  box: FaceBox,
): Promise<PresentationCues> {
  checkImage(image);
  const region = cropRegion(image, box, 1.2);
  // Nearest neighbour keeps the fine periodic structure that smoothing kernels would erase.
  const rgb = await sharp(image.data, {
    raw: { width: image.width, height: image.height, channels: image.channels },
  })
    .extract(region)
    .resize(SIZE, SIZE, { fit: 'fill', kernel: 'nearest' })
    .removeAlpha()
    .raw()
    .toBuffer();
  const n = SIZE * SIZE;
  const grey = new Float64Array(n);
  let clipped = 0;
  let saturation = 0;
  let cb = 0;
  let cr = 0;
  for (let i = 0; i < n; i++) {
    const r = rgb[i * 3]!;
    const g = rgb[i * 3 + 1]!;
    const b = rgb[i * 3 + 2]!;
    grey[i] = 0.299 * r + 0.587 * g + 0.114 * b;
    const max = Math.max(r, g, b);
    const min = Math.min(r, g, b);
    if (max >= 250) clipped += 1;
    saturation += max === 0 ? 0 : (max - min) / max;
    cb += -0.168736 * r - 0.331264 * g + 0.5 * b;
    cr += 0.5 * r - 0.418688 * g - 0.081312 * b;
  }
  let lapSum = 0;
  let lapSq = 0;
  let count = 0;
  for (let y = 1; y < SIZE - 1; y++)
    for (let x = 1; x < SIZE - 1; x++) {
      const i = y * SIZE + x;
      const lap = grey[i - 1]! + grey[i + 1]! + grey[i - SIZE]! + grey[i + SIZE]! - 4 * grey[i]!;
      lapSum += lap;
      lapSq += lap * lap;
      count += 1;
    }
  const lapMean = lapSum / count;
  return {
    informational: true,
    moirePeakRatio: moirePeakRatio(magnitudeSpectrum(grey, SIZE), SIZE),
    clippedFraction: clipped / n,
    meanSaturation: saturation / n,
    meanCb: cb / n,
    meanCr: cr / n,
    laplacianVariance: lapSq / count - lapMean * lapMean,
  };
}
