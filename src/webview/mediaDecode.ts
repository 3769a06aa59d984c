// Decodes media bytes into RGBA frames in the browser: still images with createImageBitmap,
// GIFs with ImageDecoder, recordings by seeking a <video>, SVG by rasterising it through an
// <img> (which never runs its scripts nor loads what it references).
import type { RgbaImage } from '../flamingo/preprocess';
import { sampleVideoFrames, subsample } from '../flamingo/preprocess';
import { checkSize, MediaError, rasterSize, sniffFormat, type MediaFormat } from './mediaProbe';

export interface DecodedMedia {
  kind: 'image' | 'video';
  format: MediaFormat;
  frames: RgbaImage[];
}

export interface FrameSampling { fps: number; maxFrames: number }

/** Longest side an SVG is rasterised at. */
const SVG_MAX_SIDE = 2048;

export async function decodeMedia(bytes: Uint8Array, name: string, sampling: FrameSampling): Promise<DecodedMedia> {
  const format = sniffFormat(bytes, name);
  checkSize(name, rasterSize(bytes, format));
  try {
    switch (format) {
      case 'svg': return { kind: 'image', format, frames: [await rasteriseSvg(bytes)] };
      case 'gif': return await decodeGif(bytes, sampling);
      case 'webm': case 'mp4': return { kind: 'video', format, frames: await sampleVideo(bytes, format, sampling) };
      default: return { kind: 'image', format, frames: [await decodeStill(bytes, format)] };
    }
  } catch (e) {
    if (e instanceof MediaError) throw e;
    throw new MediaError(`"${name}" could not be decoded as ${format.toUpperCase()} (the file is damaged or incomplete): ${(e as Error).message || e}`);
  }
}

function blobOf(bytes: Uint8Array, type: string): Blob {
  return new Blob([bytes as Uint8Array<ArrayBuffer>], { type });
}

function pixels(source: CanvasImageSource, width: number, height: number): RgbaImage {
  const canvas = new OffscreenCanvas(width, height);
  const ctx = canvas.getContext('2d', { willReadFrequently: true });
  if (!ctx) throw new Error('no 2D canvas context');
  ctx.drawImage(source, 0, 0, width, height);
  const { data } = ctx.getImageData(0, 0, width, height, { colorSpace: 'srgb' });
  return { width, height, data };
}

async function decodeStill(bytes: Uint8Array, format: MediaFormat): Promise<RgbaImage> {
  // No premultiplication and no colour-space conversion: the same pixels the CLI decodes.
  const bitmap = await createImageBitmap(blobOf(bytes, `image/${format}`), { premultiplyAlpha: 'none', colorSpaceConversion: 'none' });
  try {
    checkSize('image', bitmap);
    return pixels(bitmap, bitmap.width, bitmap.height);
  } finally {
    bitmap.close();
  }
}

async function rasteriseSvg(bytes: Uint8Array): Promise<RgbaImage> {
  const url = URL.createObjectURL(blobOf(bytes, 'image/svg+xml'));
  try {
    const img = new Image();
    img.src = url;
    await img.decode();
    let width = img.naturalWidth || 1024;
    let height = img.naturalHeight || 768;
    const scale = Math.min(1, SVG_MAX_SIDE / Math.max(width, height));
    width = Math.max(1, Math.round(width * scale));
    height = Math.max(1, Math.round(height * scale));
    return pixels(img, width, height);
  } finally {
    URL.revokeObjectURL(url);
  }
}

async function decodeGif(bytes: Uint8Array, sampling: FrameSampling): Promise<DecodedMedia> {
  if (typeof ImageDecoder === 'undefined') return { kind: 'image', format: 'gif', frames: [await decodeStill(bytes, 'gif')] };
  const decoder = new ImageDecoder({ data: bytes, type: 'image/gif' });
  try {
    await decoder.tracks.ready;
    const count = decoder.tracks.selectedTrack?.frameCount ?? 1;
    const durations: number[] = [];
    const frames: RgbaImage[] = [];
    for (let i = 0; i < count; i++) {
      const { image } = await decoder.decode({ frameIndex: i });
      durations.push((image.duration ?? 100_000) / 1000);
      image.close();
    }
    const picked = count > 1 ? sampleVideoFrames(durations, sampling.fps, sampling.maxFrames) : [0];
    for (const i of picked) {
      const { image } = await decoder.decode({ frameIndex: i });
      frames.push(pixels(image, image.displayWidth, image.displayHeight));
      image.close();
    }
    return { kind: frames.length > 1 ? 'video' : 'image', format: 'gif', frames };
  } finally {
    decoder.close();
  }
}

async function sampleVideo(bytes: Uint8Array, format: 'webm' | 'mp4', sampling: FrameSampling): Promise<RgbaImage[]> {
  const url = URL.createObjectURL(blobOf(bytes, `video/${format}`));
  const video = document.createElement('video');
  video.muted = true;
  video.preload = 'auto';
  try {
    video.src = url;
    await once(video, 'loadeddata');
    let duration = video.duration;
    if (!Number.isFinite(duration)) {
      // Recordings from MediaRecorder carry no duration: seeking far makes the browser find it.
      video.currentTime = 1e9;
      await once(video, 'seeked');
      duration = video.duration;
    }
    checkSize('video', { width: video.videoWidth, height: video.videoHeight });
    const times = Array.from({ length: Math.max(1, Math.ceil(duration * sampling.fps - 1e-6)) }, (_, k) => k / sampling.fps);
    const frames: RgbaImage[] = [];
    for (const i of subsample(times.length, sampling.maxFrames)) {
      video.currentTime = Math.min(times[i], Math.max(0, duration - 1e-3));
      await once(video, 'seeked');
      frames.push(pixels(video, video.videoWidth, video.videoHeight));
    }
    return frames;
  } finally {
    video.removeAttribute('src');
    video.load();
    URL.revokeObjectURL(url);
  }
}

function once(el: HTMLMediaElement, event: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const ok = () => { cleanup(); resolve(); };
    const fail = () => { cleanup(); reject(new Error(el.error?.message || 'the browser cannot play it')); };
    const cleanup = () => { el.removeEventListener(event, ok); el.removeEventListener('error', fail); };
    el.addEventListener(event, ok);
    el.addEventListener('error', fail);
  });
}
