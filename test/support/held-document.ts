/** Camera frames of a document page held to the kiosk's camera (API and e2e tests). */
import sharp from 'sharp';

/**
 * A camera frame of a page held in the kiosk's outline (renderer/kiosk/use-guidance.ts
 * DOCUMENT_OUTLINE: 58 % of the width, 70 % of the height), on a dim background, as the kiosk's JPEG.
 */
export async function heldToCamera(page: Buffer | null, width = 1280, height = 720) {
  const background = sharp({
    create: { width, height, channels: 3, background: { r: 70, g: 74, b: 80 } },
  });
  if (page === null) return background.jpeg({ quality: 92 }).toBuffer();
  const fitted = await sharp(page)
    .resize({ width: Math.round(width * 0.56), height: Math.round(height * 0.68), fit: 'inside' })
    .toBuffer({ resolveWithObject: true });
  return background
    .composite([
      {
        input: fitted.data,
        left: Math.round((width - fitted.info.width) / 2),
        top: Math.round((height - fitted.info.height) / 2),
      },
    ])
    .jpeg({ quality: 92 })
    .toBuffer();
}
