// Decodes image files (PNG, JPEG, GIF with all its frames, WebP, SVG) to RGBA with sharp.
import sharp from 'sharp';
import type { RgbaImage } from '../flamingo';

export interface DecodedImage {
  frames: RgbaImage[];
  /** How long each frame shows, in ms (animations only; GIF's 0 delay counts as 100 ms, as browsers do). */
  durationsMs?: number[];
}

/** Default limit: 64 megapixels over all frames. */
export const DEFAULT_MAX_PIXELS = 64 * 1024 * 1024;

export async function decodeImage(bytes: Uint8Array, opts: { maxPixels?: number; name?: string } = {}): Promise<DecodedImage> {
  const maxPixels = opts.maxPixels ?? DEFAULT_MAX_PIXELS;
  const name = opts.name ?? 'image';
  let meta: sharp.Metadata;
  try {
    meta = await sharp(bytes, { limitInputPixels: false }).metadata();
  } catch (e) {
    throw new Error(`${name}: not a readable PNG, JPEG, GIF, WebP or SVG image (${(e as Error).message})`, { cause: e });
  }
  const pages = meta.pages ?? 1;
  const width = meta.width, height = meta.pageHeight ?? meta.height;
  if (!width || !height) throw new Error(`${name}: the image has no size`);
  if (width * height * pages > maxPixels) {
    throw new Error(`${name}: ${width}x${height}${pages > 1 ? ` x ${pages} frames` : ''} is over the limit of ${maxPixels} pixels`);
  }
  let raw: { data: Buffer; info: sharp.OutputInfo };
  try {
    raw = await sharp(bytes, { animated: pages > 1, limitInputPixels: false }).ensureAlpha().raw().toBuffer({ resolveWithObject: true });
  } catch (e) {
    throw new Error(`${name}: cannot decode the image (${(e as Error).message})`, { cause: e });
  }
  const frameBytes = width * height * 4;
  const data = new Uint8Array(raw.data.buffer, raw.data.byteOffset, raw.data.byteLength);
  const frames = Array.from({ length: pages }, (_, i) => ({ width, height, data: data.subarray(i * frameBytes, (i + 1) * frameBytes) }));
  if (pages === 1) return { frames };
  const delays = meta.delay ?? [];
  return { frames, durationsMs: frames.map((_, i) => (delays[i] > 0 ? delays[i] : 100)) };
}
