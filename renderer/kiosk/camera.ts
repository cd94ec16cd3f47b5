/** The kiosk camera: open, grab frames as JPEG, measure light; always stopped on leave. */
import type { RefObject } from 'preact';
import { useEffect } from 'preact/hooks';

export async function openCamera(
  video: HTMLVideoElement,
  size: { width: number; height: number } = { width: 640, height: 480 },
): Promise<MediaStream> {
  const stream = await navigator.mediaDevices.getUserMedia({
    audio: false,
    video: { facingMode: 'user', width: { ideal: size.width }, height: { ideal: size.height } },
  });
  video.srcObject = stream;
  await video.play();
  return stream;
}

export function closeCamera(video: HTMLVideoElement | null, stream: MediaStream | null): void {
  for (const track of stream?.getTracks() ?? []) track.stop();
  if (video) {
    video.pause();
    video.srcObject = null;
  }
}

/**
 * The camera on `video` while the component is mounted: `onOpen` once it plays, `onFail` when it
 * cannot be opened (neither after leaving); stopped on leave, a late-opening stream included.
 */
export function useCamera(
  video: RefObject<HTMLVideoElement | null>,
  handlers: { onOpen: () => void; onFail: () => void },
  size?: { width: number; height: number },
): void {
  useEffect(() => {
    let cancelled = false;
    let stream: MediaStream | null = null;
    const element = video.current;
    if (!element) return;
    openCamera(element, size).then(
      (opened) => {
        if (cancelled) return closeCamera(null, opened);
        stream = opened;
        handlers.onOpen();
      },
      () => {
        if (!cancelled) handlers.onFail();
      },
    );
    return () => {
      cancelled = true;
      closeCamera(video.current, stream);
      stream = null;
    };
  }, []);
}

/** The current frame as base64 JPEG (no data: prefix), at most 480 px wide. */
export function grabJpeg(video: HTMLVideoElement, canvas: HTMLCanvasElement): string | null {
  const width = Math.min(480, video.videoWidth);
  if (width === 0) return null;
  const height = Math.round((video.videoHeight * width) / video.videoWidth);
  canvas.width = width;
  canvas.height = height;
  const context = canvas.getContext('2d');
  if (!context) return null;
  context.drawImage(video, 0, 0, width, height);
  const url = canvas.toDataURL('image/jpeg', 0.9);
  return url.slice(url.indexOf(',') + 1);
}

/** Wipes a canvas's pixels (and its size) so no frame is left in the page. */
export function wipeCanvas(canvas: HTMLCanvasElement | null): void {
  if (!canvas) return;
  canvas.getContext('2d')?.clearRect(0, 0, canvas.width, canvas.height);
  canvas.width = 0;
  canvas.height = 0;
}

/** A region of the video, as fractions of its frame. */
export interface Region {
  x: number;
  y: number;
  width: number;
  height: number;
}

/**
 * The luma (0-255) of a region of the live video, resampled to `width`×`height` on a small
 * canvas: what the guidance measures light, sharpness, motion and glare on.
 */
export function lumaGrid(
  video: HTMLVideoElement,
  canvas: HTMLCanvasElement,
  region: Region,
  width: number,
  height: number,
): Float32Array | null {
  const vw = video.videoWidth;
  const vh = video.videoHeight;
  if (vw === 0 || vh === 0) return null;
  canvas.width = width;
  canvas.height = height;
  const context = canvas.getContext('2d', { willReadFrequently: true });
  if (!context) return null;
  const sx = Math.max(0, region.x * vw);
  const sy = Math.max(0, region.y * vh);
  const sw = Math.max(1, Math.min(vw - sx, region.width * vw));
  const sh = Math.max(1, Math.min(vh - sy, region.height * vh));
  context.drawImage(video, sx, sy, sw, sh, 0, 0, width, height);
  const { data } = context.getImageData(0, 0, width, height);
  const grid = new Float32Array(width * height);
  for (let i = 0; i < grid.length; i++) {
    grid[i] =
      0.299 * (data[i * 4] ?? 0) + 0.587 * (data[i * 4 + 1] ?? 0) + 0.114 * (data[i * 4 + 2] ?? 0);
  }
  return grid;
}

/** The current frame as a JPEG blob at most `maxWidth` wide (the guidance's downscaled frame). */
export function grabBlob(
  video: HTMLVideoElement,
  canvas: HTMLCanvasElement,
  maxWidth: number,
  quality = 0.8,
): Promise<Blob | null> {
  const width = Math.min(maxWidth, video.videoWidth);
  if (width === 0) return Promise.resolve(null);
  canvas.width = width;
  canvas.height = Math.round((video.videoHeight * width) / video.videoWidth);
  const context = canvas.getContext('2d');
  if (!context) return Promise.resolve(null);
  context.drawImage(video, 0, 0, canvas.width, canvas.height);
  return new Promise((resolve) => canvas.toBlob((blob) => resolve(blob), 'image/jpeg', quality));
}
