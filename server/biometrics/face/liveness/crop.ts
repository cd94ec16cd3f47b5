/**
 * The face crop a presentation-attack model looks at: the face box scaled about its centre
 * (MiniFASNet uses 2.7× at 80×80, so the crop shows the face's surroundings — a phone's bezel,
 * a print's edge), shrunk to fit the image and shifted inside it, then resized. Follows
 * `CropImage._get_new_box` of minivision-ai/Silent-Face-Anti-Spoofing.
 */
import sharp from 'sharp';

import type { FaceBox } from '../types.js';

/** Decoded pixels, row-major, interleaved channels (RGB or RGBA), 8 bits each. */
export interface RgbImage {
  readonly width: number;
  readonly height: number;
  readonly channels: 3 | 4;
  readonly data: Uint8Array;
}

export interface CropRegion {
  readonly left: number;
  readonly top: number;
  readonly width: number;
  readonly height: number;
}

export class ImageInputError extends Error {
  override name = 'ImageInputError';
  constructor(
    readonly field: 'image' | 'box',
    message: string,
  ) {
    super(message);
  }
}

export function checkImage(image: RgbImage): void {
  const { width, height, channels, data } = image;
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1)
    throw new ImageInputError('image', 'image width and height must be positive integers');
  if (channels !== 3 && channels !== 4)
    throw new ImageInputError('image', 'image must have 3 or 4 channels');
  if (data.length !== width * height * channels)
    throw new ImageInputError(
      'image',
      'image data length does not match width × height × channels',
    );
}

/** The region, in whole pixels inside the image, that a crop at `scale` takes around the box. */
export function cropRegion(
  image: { width: number; height: number },
  box: FaceBox,
  scale: number,
): CropRegion {
  if (
    ![box.x, box.y, box.width, box.height].every(Number.isFinite) ||
    box.width <= 0 ||
    box.height <= 0
  )
    throw new ImageInputError('box', 'the face box must have a finite position and positive size');
  const s = Math.min((image.height - 1) / box.height, (image.width - 1) / box.width, scale);
  const width = box.width * s;
  const height = box.height * s;
  const cx = box.x + box.width / 2;
  const cy = box.y + box.height / 2;
  let left = cx - width / 2;
  let top = cy - height / 2;
  let right = cx + width / 2;
  let bottom = cy + height / 2;
  if (left < 0) {
    right -= left;
    left = 0;
  }
  if (top < 0) {
    bottom -= top;
    top = 0;
  }
  if (right > image.width - 1) {
    left -= right - (image.width - 1);
    right = image.width - 1;
  }
  if (bottom > image.height - 1) {
    top -= bottom - (image.height - 1);
    bottom = image.height - 1;
  }
  const l = Math.max(0, Math.floor(left));
  const t = Math.max(0, Math.floor(top));
  const r = Math.min(image.width - 1, Math.floor(right));
  const b = Math.min(image.height - 1, Math.floor(bottom));
  return { left: l, top: t, width: Math.max(1, r - l + 1), height: Math.max(1, b - t + 1) };
}

/** The crop around the box at `scale`, resized to `size`×`size`, as interleaved RGB. */
export async function cropFace(
  image: RgbImage,
  box: FaceBox,
  scale: number,
  size: number,
): Promise<RgbImage> {
  checkImage(image);
  if (!Number.isInteger(size) || size < 1) throw new RangeError('size must be a positive integer');
  const region = cropRegion(image, box, scale);
  const data = await sharp(image.data, {
    raw: { width: image.width, height: image.height, channels: image.channels },
  })
    .extract(region)
    .resize(size, size, { fit: 'fill', kernel: 'linear' })
    .removeAlpha()
    .raw()
    .toBuffer();
  return { width: size, height: size, channels: 3, data: new Uint8Array(data) };
}

export interface TensorLayout {
  /** Channel order the model was trained on (MiniFASNet: OpenCV's BGR). */
  readonly channelOrder: 'rgb' | 'bgr';
  /** Each 0–255 value is mapped to (value × pixelScale − mean[c]) / std[c]. */
  readonly pixelScale: number;
  readonly mean: readonly [number, number, number];
  readonly std: readonly [number, number, number];
}

/** Interleaved RGB → a planar NCHW Float32 tensor of shape [1, 3, h, w]. */
export function toNchw(image: RgbImage, layout: TensorLayout): Float32Array {
  const plane = image.width * image.height;
  const out = new Float32Array(3 * plane);
  const order = layout.channelOrder === 'bgr' ? [2, 1, 0] : [0, 1, 2];
  for (let c = 0; c < 3; c++) {
    const source = order[c]!;
    const mean = layout.mean[c]!;
    const std = layout.std[c]!;
    for (let i = 0; i < plane; i++)
      out[c * plane + i] =
        (image.data[i * image.channels + source]! * layout.pixelScale - mean) / std;
  }
  return out;
}
