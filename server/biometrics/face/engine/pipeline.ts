/**
 * One image through the models, in whichever thread runs it (a worker in the appliance, the
 * caller's thread in evaluations): decode → detect → landmarks → quality → embedding. Each
 * expected failure is a typed outcome with a reason code; only programming errors throw.
 */
import type * as Tf from '@tensorflow/tfjs';
import sharp from 'sharp';
import { choosePortrait, portraitCrop, portraitScale, type CandidateFace } from '../document.js';
import {
  judgeQuality,
  measureQuality,
  qualityThresholdsFor,
  type FaceQuality,
  type FaceRole,
  type RgbImage,
} from '../quality.js';
import { FACE_GUIDANCE, type FaceDetectionReason, type FaceInputReason } from '../reasons.js';
import type { FaceBox, FaceObservation, Point } from '../types.js';
import { tfOf, type FaceApiModule } from './backend.js';
import { DEFAULT_DECODE_LIMITS, decodeImage, isGreyscaleRgb, type DecodeLimits } from './decode.js';
import { wasmPixelTensor } from './wasm-kernels.js';

type Tensor3D = Tf.Tensor3D;

export interface StageTimings {
  decode: number;
  detect: number;
  landmarks: number;
  embed: number;
  /** Portrait crop and normalisation (documents only). */
  portrait: number;
  total: number;
}

export interface AnalyseOptions {
  readonly role: FaceRole;
  /** Also embed a greyscale copy of the face (for matching against greyscale portraits). */
  readonly greyDescriptor?: boolean;
  readonly limits?: DecodeLimits;
}

/** Where the portrait was found on a document image. */
export interface PortraitLocation {
  /** The chosen face on the document image, in its pixels. */
  readonly box: FaceBox;
  /** How many faces were found on the document (a ghost image makes 2). */
  readonly candidates: number;
  /** Upscale factor applied to the crop. */
  readonly scale: number;
}

export interface FaceAnalysisOk {
  readonly status: 'ok';
  readonly role: FaceRole;
  /** The face in the analysed image (for documents: in the portrait crop). */
  readonly face: FaceObservation;
  readonly quality: FaceQuality;
  readonly descriptor: Float32Array;
  readonly greyDescriptor: Float32Array | null;
  readonly greyscale: boolean;
  readonly detector: DetectorPass;
  readonly image: { readonly width: number; readonly height: number };
  readonly portrait: PortraitLocation | null;
  readonly timings: StageTimings;
}

export interface FaceAnalysisRejected {
  readonly status: 'rejected';
  readonly role: FaceRole;
  readonly reason: FaceInputReason | FaceDetectionReason;
  readonly guidance: string;
  /** Faces found (for no_face / many_faces). */
  readonly faces: number | null;
  readonly timings: StageTimings;
}

export type FaceAnalysis = FaceAnalysisOk | FaceAnalysisRejected;

export type DetectorPass =
  'tiny' | 'tiny-padded' | 'tiny-padded-416' | 'ssd-padded' | 'tiny-416' | 'ssd';

/** Detector settings, measured on the development crops (README "Face detection"). */
const TINY_FAST = { inputSize: 224, scoreThreshold: 0.5 };
const TINY_PADDED = { inputSize: 224, scoreThreshold: 0.4 };
const TINY_FINE = { inputSize: 416, scoreThreshold: 0.4 };
const SSD_MIN_CONFIDENCE = 0.5;
/** Tight crops defeat the detectors: the fallback pads by this share of the shorter side. */
const PAD_SHARE = 0.5;
const PAD_GREY = 128;
/** A second face counts when at least this wide relative to the largest (smaller ones are background). */
const SECOND_FACE_SHARE = 0.3;
/** Longest side selfies and chip portraits are decoded to (documents use the configured limit). */
export const SELFIE_WORKING_SIDE = 720;
/** Boxes overlapping more than this are one face. */
const SAME_FACE_IOU = 0.3;

function now(): number {
  return performance.now();
}

function emptyTimings(): StageTimings {
  return { decode: 0, detect: 0, landmarks: 0, embed: 0, portrait: 0, total: 0 };
}

function toTensor(faceapi: FaceApiModule, image: RgbImage): Tensor3D {
  const tf = tfOf(faceapi);
  const shape: [number, number, number] = [image.height, image.width, 3];
  return wasmPixelTensor(tf, image.data, shape) ?? tf.tensor3d(image.data, shape, 'int32');
}

function iou(a: FaceBox, b: FaceBox): number {
  const ix = Math.max(0, Math.min(a.x + a.width, b.x + b.width) - Math.max(a.x, b.x));
  const iy = Math.max(0, Math.min(a.y + a.height, b.y + b.height) - Math.max(a.y, b.y));
  const inter = ix * iy;
  return inter / (a.width * a.height + b.width * b.height - inter);
}

/** Merges overlapping boxes (keeps the higher score), largest first. */
function distinctFaces(faces: CandidateFace[]): CandidateFace[] {
  const sorted = [...faces].sort((a, b) => b.score - a.score);
  const kept: CandidateFace[] = [];
  for (const face of sorted)
    if (!kept.some((k) => iou(k.box, face.box) > SAME_FACE_IOU)) kept.push(face);
  return kept.sort((a, b) => b.box.width - a.box.width);
}

async function runDetector(
  faceapi: FaceApiModule,
  tensor: Tensor3D,
  kind: 'tiny' | 'ssd',
  settings: { inputSize: number; scoreThreshold: number } | null,
  offset: number,
): Promise<CandidateFace[]> {
  const options =
    kind === 'tiny'
      ? new faceapi.TinyFaceDetectorOptions(settings ?? TINY_FAST)
      : new faceapi.SsdMobilenetv1Options({ minConfidence: SSD_MIN_CONFIDENCE });
  const found = await faceapi.detectAllFaces(tensor, options);
  return found.map((d) => ({
    box: { x: d.box.x - offset, y: d.box.y - offset, width: d.box.width, height: d.box.height },
    score: d.score,
  }));
}

interface DetectOptions {
  /** A whole document image (small faces): start at the finer input size. */
  readonly wholeDocument?: boolean;
  /** Frames of a liveness burst: stop after the padded tiny pass (speed over rare misses). */
  readonly fastOnly?: boolean;
}

/**
 * The detector cascade: the fast tiny detector first; then, for tight crops, the same on a
 * grey-padded copy, a finer tiny pass and SSD MobileNet. Whole documents (small faces) start at
 * the finer input size. `tensor` is `image` as a tensor (made once per image by the caller).
 */
async function detectFaces(
  faceapi: FaceApiModule,
  image: RgbImage,
  tensor: Tensor3D,
  { wholeDocument = false, fastOnly = false }: DetectOptions = {},
): Promise<{ faces: CandidateFace[]; detector: DetectorPass | null }> {
  if (wholeDocument) {
    const fine = await runDetector(faceapi, tensor, 'tiny', TINY_FINE, 0);
    if (fine.length > 0) return { faces: distinctFaces(fine), detector: 'tiny-416' };
    const ssd = await runDetector(faceapi, tensor, 'ssd', null, 0);
    return { faces: distinctFaces(ssd), detector: ssd.length > 0 ? 'ssd' : null };
  }
  const direct = await runDetector(faceapi, tensor, 'tiny', TINY_FAST, 0);
  if (direct.length > 0) return { faces: distinctFaces(direct), detector: 'tiny' };
  const pad = Math.round(PAD_SHARE * Math.min(image.width, image.height));
  const padded = tfOf(faceapi).pad(
    tensor,
    [
      [pad, pad],
      [pad, pad],
      [0, 0],
    ],
    PAD_GREY,
  );
  try {
    const passes: [DetectorPass, 'tiny' | 'ssd', typeof TINY_FAST | null][] = [
      ['tiny-padded', 'tiny', TINY_PADDED],
      ['tiny-padded-416', 'tiny', TINY_FINE],
      ['ssd-padded', 'ssd', null],
    ];
    for (const [name, kind, settings] of fastOnly ? passes.slice(0, 1) : passes) {
      const faces = await runDetector(faceapi, padded, kind, settings, pad);
      if (faces.length > 0) return { faces: distinctFaces(faces), detector: name };
    }
    return { faces: [], detector: null };
  } finally {
    padded.dispose();
  }
}

/** Rounds a box to whole pixels inside the image (what face-api's crops use). */
function clipBox(box: FaceBox, width: number, height: number): FaceBox {
  const x = Math.max(0, Math.floor(box.x));
  const y = Math.max(0, Math.floor(box.y));
  const x1 = Math.min(width, Math.ceil(box.x + box.width));
  const y1 = Math.min(height, Math.ceil(box.y + box.height));
  return { x, y, width: Math.max(1, x1 - x), height: Math.max(1, y1 - y) };
}

interface Landmarked {
  points: Point[];
  aligned: FaceBox;
}

async function findLandmarks(
  faceapi: FaceApiModule,
  tensor: Tensor3D,
  box: FaceBox,
  image: RgbImage,
): Promise<Landmarked> {
  const crop = clipBox(box, image.width, image.height);
  const [faceTensor] = await faceapi.extractFaceTensors(tensor as never, [
    new faceapi.Rect(crop.x, crop.y, crop.width, crop.height),
  ]);
  try {
    const result = await faceapi.nets.faceLandmark68Net.detectLandmarks(faceTensor);
    const landmarks = (Array.isArray(result) ? result[0] : result)!.shiftBy(crop.x, crop.y);
    const aligned = landmarks.align();
    return {
      points: landmarks.positions.map((p) => ({ x: p.x, y: p.y })),
      aligned: { x: aligned.x, y: aligned.y, width: aligned.width, height: aligned.height },
    };
  } finally {
    faceTensor?.dispose();
  }
}

/**
 * A document or chip portrait's descriptor is the mean of the aligned crop's and its mirror
 * image's (test-time augmentation): a small, printed, compressed portrait gives a noisy
 * descriptor, and averaging two views of it halves part of that noise. Measured by `npm run
 * eval:face` on selfie vs generated-card pairs: TAR at FAR 0.1 % 88.1 → 93.8 %, genuine mean
 * distance 0.486 → 0.470, impostor mean 0.815 → 0.806 (calibration.ts is fitted on these). Selfies
 * keep one pass: the pipeline's time goal is theirs, and their templates stay comparable.
 */
function mirrorAverages(role: FaceRole): boolean {
  return role !== 'selfie';
}

async function embed(
  faceapi: FaceApiModule,
  tensor: Tensor3D,
  aligned: FaceBox,
  image: RgbImage,
  options: { readonly grey: boolean; readonly mirrorAverage: boolean },
): Promise<{ colour: Float32Array; grey: Float32Array | null }> {
  const crop = clipBox(aligned, image.width, image.height);
  const [faceTensor] = await faceapi.extractFaceTensors(tensor as never, [
    new faceapi.Rect(crop.x, crop.y, crop.width, crop.height),
  ]);
  const tf = tfOf(faceapi);
  try {
    const colour = Float32Array.from(
      (await faceapi.nets.faceRecognitionNet.computeFaceDescriptor(faceTensor)) as Float32Array,
    );
    if (options.mirrorAverage) {
      // Width is axis 1 of the [height, width, 3] crop.
      const mirrored = tf.reverse(faceTensor as unknown as Tf.Tensor3D, 1);
      try {
        const other = (await faceapi.nets.faceRecognitionNet.computeFaceDescriptor(
          mirrored,
        )) as Float32Array;
        for (let i = 0; i < colour.length; i++) colour[i] = (colour[i]! + other[i]!) / 2;
      } finally {
        mirrored.dispose();
      }
    }
    let greyDescriptor: Float32Array | null = null;
    if (options.grey) {
      const greyTensor = tf.tidy(() => {
        const weights = tf.tensor1d([0.299, 0.587, 0.114]);
        const lum = tf.sum(tf.mul(faceTensor as unknown as Tf.Tensor3D, weights), 2, true);
        return tf.tile(lum, [1, 1, 3]);
      });
      try {
        greyDescriptor = (await faceapi.nets.faceRecognitionNet.computeFaceDescriptor(
          greyTensor,
        )) as Float32Array;
      } finally {
        greyTensor.dispose();
      }
    }
    return { colour, grey: greyDescriptor ? Float32Array.from(greyDescriptor) : null };
  } finally {
    faceTensor?.dispose();
  }
}

function rejected(
  role: FaceRole,
  reason: FaceInputReason | FaceDetectionReason,
  timings: StageTimings,
  faces: number | null,
  started: number,
): FaceAnalysisRejected {
  timings.total = now() - started;
  return { status: 'rejected', role, reason, guidance: FACE_GUIDANCE[reason], faces, timings };
}

/** Counts faces that matter: the largest and any other at least SECOND_FACE_SHARE as wide. */
function significantFaces(faces: readonly CandidateFace[]): number {
  const largest = faces[0]?.box.width ?? 0;
  return faces.filter((f) => f.box.width >= largest * SECOND_FACE_SHARE).length;
}

/**
 * Crops the portrait with a margin, upscales it (Lanczos) so the face is about 224 px wide, and
 * normalises its contrast; a greyscale document gives a greyscale crop.
 */
async function cropPortrait(
  image: RgbImage,
  box: FaceBox,
  greyscale: boolean,
): Promise<{ crop: RgbImage; scale: number }> {
  const region = portraitCrop(box, image.width, image.height);
  const scale = portraitScale(box.width);
  let pipeline = sharp(image.data, {
    raw: { width: image.width, height: image.height, channels: 3 },
  })
    .extract({ left: region.x, top: region.y, width: region.width, height: region.height })
    .resize({
      width: Math.round(region.width * scale),
      height: Math.round(region.height * scale),
      kernel: 'lanczos3',
    })
    .normalise();
  if (greyscale) pipeline = pipeline.greyscale().toColourspace('srgb');
  const { data, info } = await pipeline.raw().toBuffer({ resolveWithObject: true });
  const rgb = info.channels === 3 ? new Uint8Array(data) : expandGrey(data, info.channels);
  return { crop: { data: rgb, width: info.width, height: info.height }, scale };
}

function expandGrey(data: Uint8Array, channels: number): Uint8Array {
  const pixels = Math.floor(data.length / channels);
  const out = new Uint8Array(pixels * 3);
  for (let p = 0; p < pixels; p++) out.fill(data[p * channels]!, p * 3, p * 3 + 3);
  return out;
}

/**
 * The decode limits for a role. A selfie or chip face needs ~150 px for the recogniser, so camera
 * frames are decoded at most 720 px long (measured: 166 ms CPU for a 640×480 frame against 288 ms
 * at 1280×720); document images keep the configured size for their small portraits. Face boxes
 * in results are in the pixels of the image decoded this way.
 */
export function workingLimits(
  role: FaceRole,
  limits: DecodeLimits = DEFAULT_DECODE_LIMITS,
): DecodeLimits {
  if (role === 'document') return limits;
  return { ...limits, workingMaxSide: Math.min(limits.workingMaxSide, SELFIE_WORKING_SIDE) };
}

/** Analyses one encoded image. */
export async function analyseImage(
  faceapi: FaceApiModule,
  bytes: Uint8Array,
  options: AnalyseOptions,
): Promise<FaceAnalysis> {
  const started = now();
  const timings = emptyTimings();
  const { role } = options;
  const decoded = await decodeImage(bytes, workingLimits(role, options.limits));
  timings.decode = now() - started;
  if (!decoded.ok) return rejected(role, decoded.reason, timings, null, started);
  let image: RgbImage = decoded.image;
  const greyscale = decoded.image.greyscale;
  let portrait: PortraitLocation | null = null;

  if (role === 'document') {
    const t = now();
    const tensor = toTensor(faceapi, image);
    let found: Awaited<ReturnType<typeof detectFaces>>;
    try {
      found = await detectFaces(faceapi, image, tensor, { wholeDocument: true });
    } finally {
      tensor.dispose();
    }
    timings.detect += now() - t;
    const chosen = choosePortrait(found.faces, image.width);
    if (chosen === null) return rejected(role, 'no_face', timings, 0, started);
    const p = now();
    const { crop, scale } = await cropPortrait(image, chosen.box, greyscale);
    timings.portrait = now() - p;
    portrait = { box: chosen.box, candidates: found.faces.length, scale };
    image = crop;
  }
  return analyseFace(faceapi, image, { ...options, greyscale, portrait, timings, started });
}

async function analyseFace(
  faceapi: FaceApiModule,
  image: RgbImage,
  context: AnalyseOptions & {
    greyscale: boolean;
    portrait: PortraitLocation | null;
    timings: StageTimings;
    started: number;
  },
): Promise<FaceAnalysis> {
  const { role, timings, started } = context;
  let t = now();
  // One tensor of the image for detection, landmarks and embedding.
  const tensor = toTensor(faceapi, image);
  try {
    const found = await detectFaces(faceapi, image, tensor);
    timings.detect += now() - t;
    const count = significantFaces(found.faces);
    const face = found.faces[0];
    if (face === undefined || found.detector === null)
      return rejected(role, 'no_face', timings, 0, started);
    // On a document crop the ghost image or a neighbouring face can intrude; the centred one is ours.
    if (count > 1 && role !== 'document')
      return rejected(role, 'many_faces', timings, count, started);

    t = now();
    const landmarks = await findLandmarks(faceapi, tensor, face.box, image);
    timings.landmarks = now() - t;
    const quality = judgeQuality(
      measureQuality(image, face.box, landmarks.points),
      qualityThresholdsFor(role),
    );
    t = now();
    const greyWanted = Boolean(context.greyDescriptor) && !context.greyscale;
    const descriptors = await embed(faceapi, tensor, landmarks.aligned, image, {
      grey: greyWanted,
      mirrorAverage: mirrorAverages(role),
    });
    timings.embed = now() - t;
    timings.total = now() - started;
    return {
      status: 'ok',
      role,
      face: { box: face.box, score: face.score, landmarks: landmarks.points },
      quality,
      descriptor: descriptors.colour,
      // A greyscale image's own descriptor already is its greyscale descriptor.
      greyDescriptor: context.greyscale ? descriptors.colour : descriptors.grey,
      // A selfie's image is the decoded one, already checked; a portrait crop is checked anew.
      greyscale: context.greyscale || (context.portrait !== null && isGreyscaleRgb(image.data)),
      detector: found.detector,
      image: { width: image.width, height: image.height },
      portrait: context.portrait,
      timings,
    };
  } finally {
    tensor.dispose();
  }
}

/**
 * Runs every net once on synthetic input so the first real request does not pay for kernel
 * compilation and buffer allocation (400–900 ms on wasm).
 */
export async function warmUp(faceapi: FaceApiModule): Promise<void> {
  const size = 256;
  const data = new Uint8Array(size * size * 3);
  for (let y = 0; y < size; y++)
    for (let x = 0; x < size; x++) {
      const i = (y * size + x) * 3;
      data[i] = (x * 7 + y * 3) & 255;
      data[i + 1] = (x * 5 + y * 11) & 255;
      data[i + 2] = (x ^ y) & 255;
    }
  const image: RgbImage = { data, width: size, height: size };
  const tensor = toTensor(faceapi, image);
  try {
    await runDetector(faceapi, tensor, 'tiny', TINY_FAST, 0);
    await runDetector(faceapi, tensor, 'tiny', TINY_FINE, 0);
    await runDetector(faceapi, tensor, 'ssd', null, 0);
    const box = { x: 48, y: 48, width: 160, height: 160 };
    const landmarks = await findLandmarks(faceapi, tensor, box, image);
    await embed(faceapi, tensor, landmarks.aligned, image, { grey: true, mirrorAverage: true });
  } finally {
    tensor.dispose();
  }
}

/** One frame of a liveness burst: every face with its landmarks, no embedding, no gating. */
export interface FrameObservation {
  readonly status: 'observed';
  readonly imageWidth: number;
  readonly imageHeight: number;
  readonly faces: readonly FaceObservation[];
  readonly timings: StageTimings;
}

/** Faces beyond this many in one frame are not landmarked (the frame fails liveness anyway). */
const MAX_OBSERVED_FACES = 3;

/**
 * Observes one camera frame for the liveness scorer (types.ts LivenessFrame without its time):
 * the fast detector passes only, then landmarks for each face found, largest first.
 */
export async function observeFrame(
  faceapi: FaceApiModule,
  bytes: Uint8Array,
  limits?: DecodeLimits,
): Promise<FrameObservation | FaceAnalysisRejected> {
  const started = now();
  const timings = emptyTimings();
  const decoded = await decodeImage(bytes, workingLimits('selfie', limits));
  timings.decode = now() - started;
  if (!decoded.ok) return rejected('selfie', decoded.reason, timings, null, started);
  const image = decoded.image;
  let t = now();
  const tensor = toTensor(faceapi, image);
  const faces: FaceObservation[] = [];
  try {
    const found = await detectFaces(faceapi, image, tensor, { fastOnly: true });
    timings.detect = now() - t;
    t = now();
    for (const face of found.faces.slice(0, MAX_OBSERVED_FACES)) {
      const landmarks = await findLandmarks(faceapi, tensor, face.box, image);
      faces.push({ box: face.box, score: face.score, landmarks: landmarks.points });
    }
    if (faces.length > 0) timings.landmarks = now() - t;
  } finally {
    tensor.dispose();
  }
  timings.total = now() - started;
  return { status: 'observed', imageWidth: image.width, imageHeight: image.height, faces, timings };
}
