/**
 * Why a face image could not be used, as codes the kiosk turns into guidance. Input problems
 * (the file itself) and face problems (what the camera saw) are separate groups so the kiosk
 * can tell "try another file" from "move closer".
 */
export const INPUT_REASONS = [
  'file_too_large',
  'too_many_pixels',
  'image_too_small',
  'unsupported_format',
  'corrupt_image',
] as const;

export const DETECTION_REASONS = ['no_face', 'many_faces'] as const;

export const QUALITY_REASONS = [
  'face_too_small',
  'face_cut_off',
  'face_turned',
  'head_tilted',
  'blurry',
  'too_dark',
  'too_bright',
  'low_contrast',
  'eyes_closed',
] as const;

export type FaceInputReason = (typeof INPUT_REASONS)[number];
export type FaceDetectionReason = (typeof DETECTION_REASONS)[number];
export type FaceQualityReason = (typeof QUALITY_REASONS)[number];
export type FaceReason = FaceInputReason | FaceDetectionReason | FaceQualityReason;

/** Short guidance for the person at the kiosk (English; the renderer translates by code). */
export const FACE_GUIDANCE: Readonly<Record<FaceReason, string>> = {
  file_too_large: 'the image file is too large',
  too_many_pixels: 'the image has too many pixels',
  image_too_small: 'the image is too small',
  unsupported_format: 'the image format is not supported (use JPEG, PNG or WebP)',
  corrupt_image: 'the image could not be read',
  no_face: 'no face found: look at the camera',
  many_faces: 'more than one face: only one person in the picture, please',
  face_too_small: 'move closer',
  face_cut_off: 'centre your face in the frame',
  face_turned: 'face the camera',
  head_tilted: 'keep your head straight',
  blurry: 'hold still',
  too_dark: 'more light, please',
  too_bright: 'too bright: avoid direct light behind or on you',
  low_contrast: 'more light, please',
  eyes_closed: 'keep your eyes open',
};
