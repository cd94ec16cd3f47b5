/** The kiosk camera: open, grab frames as JPEG, measure light; always stopped on leave. */
export async function openCamera(video: HTMLVideoElement): Promise<MediaStream> {
  const stream = await navigator.mediaDevices.getUserMedia({
    audio: false,
    video: { facingMode: 'user', width: { ideal: 640 }, height: { ideal: 480 } },
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

/** Mean luma (0-255) of the centre of the frame, on a small copy. */
export function meanLuma(video: HTMLVideoElement, canvas: HTMLCanvasElement): number | null {
  if (video.videoWidth === 0) return null;
  canvas.width = 32;
  canvas.height = 24;
  const context = canvas.getContext('2d', { willReadFrequently: true });
  if (!context) return null;
  const sx = video.videoWidth / 4;
  const sy = video.videoHeight / 4;
  context.drawImage(video, sx, sy, video.videoWidth / 2, video.videoHeight / 2, 0, 0, 32, 24);
  const { data } = context.getImageData(0, 0, 32, 24);
  let sum = 0;
  for (let i = 0; i < data.length; i += 4) {
    sum += 0.299 * (data[i] ?? 0) + 0.587 * (data[i + 1] ?? 0) + 0.114 * (data[i + 2] ?? 0);
  }
  return sum / (data.length / 4);
}

/** Wipes a canvas's pixels (and its size) so no frame is left in the page. */
export function wipeCanvas(canvas: HTMLCanvasElement | null): void {
  if (!canvas) return;
  canvas.getContext('2d')?.clearRect(0, 0, canvas.width, canvas.height);
  canvas.width = 0;
  canvas.height = 0;
}
