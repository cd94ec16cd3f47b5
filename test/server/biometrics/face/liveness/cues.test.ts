import { describe, expect, it } from 'vitest';

import {
  magnitudeSpectrum,
  measurePresentationCues,
  moirePeakRatio,
  type RgbImage,
} from '../../../../../server/biometrics/face/liveness/index.js';

function image(
  width: number,
  height: number,
  pixel: (x: number, y: number) => [number, number, number],
): RgbImage {
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) data.set(pixel(x, y), (y * width + x) * 3);
  return { width, height, channels: 3, data };
}

const BOX = { x: 20, y: 20, width: 160, height: 160 };

describe('presentation cues', () => {
  it('finds a periodic grating as a spectral peak far above a smooth image', async () => {
    const grating = image(200, 200, (x, y) => {
      const v = 128 + 60 * Math.sin((2 * Math.PI * (x + 0.5 * y)) / 4.3) + ((x * y) % 7);
      return [v, v, v];
    });
    const smooth = image(200, 200, (x, y) => {
      const v = 60 + x * 0.5 + y * 0.3 + ((x * 31 + y * 17) % 13);
      return [v, v, v];
    });
    const striped = await measurePresentationCues(grating, BOX);
    const plain = await measurePresentationCues(smooth, BOX);
    expect(striped.informational).toBe(true);
    expect(striped.moirePeakRatio).toBeGreaterThan(5 * plain.moirePeakRatio);
  });

  it('measures clipping, saturation, chroma and sharpness on constructed images', async () => {
    const white = await measurePresentationCues(
      image(200, 200, () => [255, 255, 255]),
      BOX,
    );
    expect(white.clippedFraction).toBe(1);
    expect(white.meanSaturation).toBe(0);
    expect(white.laplacianVariance).toBe(0);
    const red = await measurePresentationCues(
      image(200, 200, () => [200, 0, 0]),
      BOX,
    );
    expect(red.meanSaturation).toBeCloseTo(1, 5);
    expect(red.meanCr).toBeGreaterThan(90);
    const blue = await measurePresentationCues(
      image(200, 200, () => [0, 0, 200]),
      BOX,
    );
    expect(blue.meanCb).toBeGreaterThan(90);
    const checker = await measurePresentationCues(
      image(200, 200, (x, y) => ((x + y) % 2 ? [255, 255, 255] : [0, 0, 0])),
      BOX,
    );
    expect(checker.laplacianVariance).toBeGreaterThan(1000);
  });

  it('the spectrum of a pure cosine peaks at its frequency', () => {
    const size = 32;
    const grey = new Float64Array(size * size);
    for (let y = 0; y < size; y++)
      for (let x = 0; x < size; x++) grey[y * size + x] = Math.cos((2 * Math.PI * 10 * x) / size);
    const spectrum = magnitudeSpectrum(grey, size);
    let best = 0;
    for (let i = 1; i < spectrum.length; i++) if (spectrum[i]! > spectrum[best]!) best = i;
    expect([10, size - 10]).toContain(best % size);
    expect(Math.floor(best / size)).toBe(0);
    expect(moirePeakRatio(spectrum, size)).toBeGreaterThan(10);
  });
});
