/**
 * A Y4M (YUV4MPEG2, 4:2:0) writer for Chromium's fake camera
 * (`--use-file-for-fake-video-capture=<file>.y4m`): each frame is an image (any format sharp
 * reads) placed on a plain background at the given size, converted to BT.601 limited-range YUV.
 * Chromium loops the file, so a single frame is a still photo held to the camera.
 */
import { writeFileSync } from 'node:fs';
import sharp from 'sharp';

export interface Y4mOptions {
  width: number;
  height: number;
  fps: number;
  /** Each frame's picture, scaled to fit `faceSize` pixels and centred. */
  faceSize: number;
  /** Background grey level, 0-255. */
  background?: number;
}

/** One frame's RGB bytes: the picture centred on the background. */
async function frameRgb(image: Buffer, o: Y4mOptions): Promise<Buffer> {
  const picture = await sharp(image)
    .resize(o.faceSize, o.faceSize, { fit: 'cover' })
    .removeAlpha()
    .toBuffer();
  const grey = o.background ?? 190;
  return sharp({
    create: {
      width: o.width,
      height: o.height,
      channels: 3,
      background: { r: grey, g: grey, b: grey },
    },
  })
    .composite([
      {
        input: picture,
        left: Math.round((o.width - o.faceSize) / 2),
        top: Math.round((o.height - o.faceSize) / 2),
      },
    ])
    .removeAlpha()
    .raw()
    .toBuffer();
}

/** RGB (packed) to the three planes of I420. */
export function rgbToI420(rgb: Buffer, width: number, height: number): Buffer {
  const ySize = width * height;
  const cw = width >> 1;
  const ch = height >> 1;
  const out = Buffer.alloc(ySize + 2 * cw * ch);
  for (let i = 0; i < ySize; i++) {
    const r = rgb[i * 3]!;
    const g = rgb[i * 3 + 1]!;
    const b = rgb[i * 3 + 2]!;
    out[i] = Math.round(16 + 0.257 * r + 0.504 * g + 0.098 * b);
  }
  for (let y = 0; y < ch; y++) {
    for (let x = 0; x < cw; x++) {
      let r = 0;
      let g = 0;
      let b = 0;
      for (const [dx, dy] of [
        [0, 0],
        [1, 0],
        [0, 1],
        [1, 1],
      ] as const) {
        const p = ((2 * y + dy) * width + 2 * x + dx) * 3;
        r += rgb[p]!;
        g += rgb[p + 1]!;
        b += rgb[p + 2]!;
      }
      r /= 4;
      g /= 4;
      b /= 4;
      out[ySize + y * cw + x] = Math.round(128 - 0.148 * r - 0.291 * g + 0.439 * b);
      out[ySize + cw * ch + y * cw + x] = Math.round(128 + 0.439 * r - 0.368 * g - 0.071 * b);
    }
  }
  return out;
}

/** Writes the frames as a Y4M file (the whole file in memory: a few frames only). */
export async function writeY4m(file: string, images: Buffer[], options: Y4mOptions): Promise<void> {
  const { width, height, fps } = options;
  if (width % 2 !== 0 || height % 2 !== 0) throw new RangeError('Y4M 4:2:0 needs even sizes');
  const header = Buffer.from(`YUV4MPEG2 W${width} H${height} F${fps}:1 Ip A1:1 C420jpeg\n`);
  const parts: Buffer[] = [header];
  for (const image of images) {
    parts.push(Buffer.from('FRAME\n'), rgbToI420(await frameRgb(image, options), width, height));
  }
  writeFileSync(file, Buffer.concat(parts));
}
