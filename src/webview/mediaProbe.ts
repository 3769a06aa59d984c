// Identifies media by their first bytes (never by file name or claimed type) and reads image
// dimensions from the headers, so oversized images are refused before anything decodes them.

export type MediaFormat = 'png' | 'jpeg' | 'gif' | 'webp' | 'bmp' | 'svg' | 'webm' | 'mp4';

/** The largest still image decoded (width x height); a 8000x5000 screenshot still fits. */
export const MAX_PIXELS = 40_000_000;

export class MediaError extends Error {
  override readonly name = 'MediaError';
}

export function sniffFormat(bytes: Uint8Array, name: string): MediaFormat {
  if (bytes.byteLength === 0) throw new MediaError(`"${name}" is empty (0 bytes), not an image`);
  const ascii = (at: number, s: string) => s.split('').every((c, i) => bytes[at + i] === c.charCodeAt(0));
  if (ascii(0, '\x89PNG\r\n\x1a\n')) return 'png';
  if (bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return 'jpeg';
  if (ascii(0, 'GIF87a') || ascii(0, 'GIF89a')) return 'gif';
  if (ascii(0, 'RIFF') && ascii(8, 'WEBP')) return 'webp';
  if (ascii(0, 'BM') && bytes.byteLength > 26) return 'bmp';
  if (bytes[0] === 0x1a && bytes[1] === 0x45 && bytes[2] === 0xdf && bytes[3] === 0xa3) return 'webm';
  if (ascii(4, 'ftyp')) return 'mp4';
  const head = new TextDecoder().decode(bytes.subarray(0, 4096)).replace(/^\uFEFF/, '').trimStart();
  if (/^(<\?xml[^>]*>\s*)?(<!--[\s\S]*?-->\s*)*(<!DOCTYPE svg[^>]*>\s*)?<svg[\s>]/i.test(head)) return 'svg';
  throw new MediaError(`"${name}" is not a supported image or video: its content is not PNG, JPEG, GIF, WebP, BMP, SVG, WebM or MP4`);
}

/** Width and height from the header of a raster image, or undefined when the header does not say. */
export function rasterSize(bytes: Uint8Array, format: MediaFormat): { width: number; height: number } | undefined {
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const inside = (n: number) => n <= bytes.byteLength;
  switch (format) {
    case 'png': return inside(24) ? { width: v.getUint32(16), height: v.getUint32(20) } : undefined;
    case 'gif': return inside(10) ? { width: v.getUint16(6, true), height: v.getUint16(8, true) } : undefined;
    case 'bmp': return inside(26) ? { width: Math.abs(v.getInt32(18, true)), height: Math.abs(v.getInt32(22, true)) } : undefined;
    case 'webp': return webpSize(bytes, v);
    case 'jpeg': return jpegSize(bytes, v);
    default: return undefined;
  }
}

/** Throws a MediaError naming the problem when an image is too large to decode. */
export function checkSize(name: string, size: { width: number; height: number } | undefined): void {
  if (!size) return;
  if (size.width === 0 || size.height === 0) throw new MediaError(`"${name}" says it is ${size.width}x${size.height} pixels: not a usable image`);
  if (size.width * size.height > MAX_PIXELS) {
    throw new MediaError(`"${name}" is ${size.width}x${size.height} pixels, larger than the ${MAX_PIXELS / 1e6} megapixels Flamingo decodes; scale it down first`);
  }
}

function webpSize(bytes: Uint8Array, v: DataView): { width: number; height: number } | undefined {
  if (bytes.byteLength < 30) return undefined;
  const chunk = String.fromCharCode(...bytes.subarray(12, 16));
  if (chunk === 'VP8X') return { width: 1 + (v.getUint32(24, true) & 0xffffff), height: 1 + (v.getUint32(27, true) & 0xffffff) };
  if (chunk === 'VP8 ') return { width: v.getUint16(26, true) & 0x3fff, height: v.getUint16(28, true) & 0x3fff };
  if (chunk === 'VP8L') {
    const b = v.getUint32(21, true);
    return { width: 1 + (b & 0x3fff), height: 1 + ((b >> 14) & 0x3fff) };
  }
  return undefined;
}

function jpegSize(bytes: Uint8Array, v: DataView): { width: number; height: number } | undefined {
  let at = 2;
  while (at + 9 < bytes.byteLength) {
    if (bytes[at] !== 0xff) return undefined;
    const marker = bytes[at + 1];
    const length = v.getUint16(at + 2);
    // SOF0..SOF15 carry the frame size, except DHT (C4), JPG (C8) and DAC (CC).
    if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
      return { height: v.getUint16(at + 5), width: v.getUint16(at + 7) };
    }
    at += 2 + length;
  }
  return undefined;
}
