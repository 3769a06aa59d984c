// Image preprocessing (docs/model-spec.md, section 7): RGBA bytes -> normalised float pixels
// [F, 3, H, W]. The box resize reproduces PIL's Image.resize(..., Image.BOX) on RGB bytes
// bit for bit (two 8-bit passes, horizontal then vertical, 22-bit fixed-point weights), so
// the runtime sees exactly what the trainer saw.
import type { PreprocessSpec } from './manifest';

export interface RgbaImage { width: number; height: number; data: Uint8Array | Uint8ClampedArray }

/** RGB bytes, row-major [height, width, 3]. */
export interface RgbImage { width: number; height: number; data: Uint8Array }

/**
 * RGB pixels to resize: RGB bytes (stride 3), or the bytes of an opaque RGBA image read in
 * place (stride 4, alpha skipped), which saves screenshots a composite pass and a copy.
 */
export interface RgbSource { width: number; height: number; data: Uint8Array | Uint8ClampedArray; stride: 3 | 4 }

function checkRgba(img: RgbaImage): void {
  const { width, height, data } = img;
  if (!Number.isInteger(width) || !Number.isInteger(height) || width <= 0 || height <= 0) {
    throw new Error(`image: size ${width}x${height} is not a positive integer size`);
  }
  if (data.length !== width * height * 4) {
    throw new Error(`image: ${width}x${height} RGBA needs ${width * height * 4} bytes, got ${data.length}`);
  }
}

/** The RGB pixels of an RGBA image composited over `pad`: read in place when it is opaque. */
export function rgbSource(img: RgbaImage, pad: readonly [number, number, number]): RgbSource {
  checkRgba(img);
  if (isOpaque(img.data)) return { width: img.width, height: img.height, data: img.data, stride: 4 };
  return { ...composite(img, pad), stride: 3 };
}

/** Composites RGBA over `pad` (straight alpha): c' = round((c*a + pad*(255-a)) / 255). */
export function compositeOver(img: RgbaImage, pad: readonly [number, number, number]): RgbImage {
  checkRgba(img);
  return composite(img, pad);
}

function composite(img: RgbaImage, pad: readonly [number, number, number]): RgbImage {
  const { width, height, data } = img;
  const out = new Uint8Array(width * height * 3);
  const [pr, pg, pb] = pad;
  for (let i = 0, j = 0; i < data.length; i += 4, j += 3) {
    const a = data[i + 3], rest = 255 - a;
    out[j] = div255(data[i] * a + pr * rest);
    out[j + 1] = div255(data[i + 1] * a + pg * rest);
    out[j + 2] = div255(data[i + 2] * a + pb * rest);
  }
  return { width, height, data: out };
}

function isOpaque(rgba: Uint8Array | Uint8ClampedArray): boolean {
  for (let i = 3; i < rgba.length; i += 4) if (rgba[i] !== 255) return false;
  return true;
}

/** round(v / 255) for integers 0 <= v <= 65535 (v / 255 is never a half, 255 being odd). */
const div255 = (v: number) => (v + 128 + ((v + 128) >> 8)) >> 8;

const PRECISION_BITS = 32 - 8 - 2;

/** PIL's precompute_coeffs for the box filter, normalised to fixed point (normalize_coeffs_8bpc). */
function boxCoefficients(inSize: number, outSize: number): { start: Int32Array; count: Int32Array; weights: Int32Array; ksize: number } {
  const scale = inSize / outSize;
  const filterScale = Math.max(scale, 1);
  const support = 0.5 * filterScale;
  const ksize = Math.ceil(support) * 2 + 1;
  const start = new Int32Array(outSize), count = new Int32Array(outSize), weights = new Int32Array(outSize * ksize);
  const k = new Float64Array(ksize);
  for (let xx = 0; xx < outSize; xx++) {
    const center = (xx + 0.5) * scale;
    const xmin = Math.max(0, Math.trunc(center - support + 0.5));
    const xmax = Math.min(inSize, Math.trunc(center + support + 0.5)) - xmin;
    let total = 0;
    for (let x = 0; x < xmax; x++) {
      const t = (x + xmin - center + 0.5) / filterScale;
      k[x] = t > -0.5 && t <= 0.5 ? 1 : 0;
      total += k[x];
    }
    for (let x = 0; x < xmax; x++) {
      const w = total !== 0 ? k[x] / total : k[x];
      weights[xx * ksize + x] = Math.trunc(0.5 + w * (1 << PRECISION_BITS));
    }
    start[xx] = xmin;
    count[xx] = xmax;
  }
  return { start, count, weights, ksize };
}

/**
 * Fixed-point accumulator -> byte, as PIL's clip8. Box weights are never negative, so the
 * accumulator is not either, and an integer shift is the floor of the division.
 */
const toByte = (acc: number) => Math.min(255, acc >> PRECISION_BITS);

/** Box (area-average) resize of RGB bytes, as PIL's Image.BOX: horizontal pass, then vertical. */
export function resizeBox(img: RgbImage | RgbSource, outWidth: number, outHeight: number): RgbImage {
  const src = 'stride' in img ? img : { ...img, stride: 3 as const };
  const cur = outWidth !== src.width ? resizeRows(src, outWidth) : toRgb(src);
  return outHeight !== cur.height ? resizeColumns(cur, outHeight) : cur;
}

function toRgb(src: RgbSource): RgbImage {
  const { width, height, data, stride } = src;
  if (stride === 3) return { width, height, data: data instanceof Uint8Array ? data : new Uint8Array(data) };
  const out = new Uint8Array(width * height * 3);
  for (let i = 0, j = 0; j < out.length; i += 4, j += 3) {
    out[j] = data[i];
    out[j + 1] = data[i + 1];
    out[j + 2] = data[i + 2];
  }
  return { width, height, data: out };
}

/** Horizontal pass: each output pixel is a weighted sum of `count` neighbours in its row. */
function resizeRows(img: RgbSource, outWidth: number): RgbImage {
  const { width, height, data, stride } = img;
  const { start, count, weights, ksize } = boxCoefficients(width, outWidth);
  const out = new Uint8Array(outWidth * height * 3);
  const half = 1 << (PRECISION_BITS - 1);
  for (let y = 0, o = 0; y < height; y++) {
    const row = y * width * stride;
    for (let xx = 0; xx < outWidth; xx++, o += 3) {
      const taps = count[xx], w0 = xx * ksize;
      let r = half, g = half, b = half;
      for (let x = 0, p = row + start[xx] * stride; x < taps; x++, p += stride) {
        const w = weights[w0 + x];
        r += data[p] * w;
        g += data[p + 1] * w;
        b += data[p + 2] * w;
      }
      out[o] = toByte(r);
      out[o + 1] = toByte(g);
      out[o + 2] = toByte(b);
    }
  }
  return { width: outWidth, height, data: out };
}

/** Vertical pass: each output row is a weighted sum of `count` input rows, accumulated row by row. */
function resizeColumns(img: RgbImage, outHeight: number): RgbImage {
  const { width, height, data } = img;
  const { start, count, weights, ksize } = boxCoefficients(height, outHeight);
  const rowBytes = width * 3;
  const out = new Uint8Array(rowBytes * outHeight);
  // [width * 3]: below 2^31 (weights sum to about 2^22, bytes are below 2^8).
  const acc = new Int32Array(rowBytes);
  const half = 1 << (PRECISION_BITS - 1);
  for (let yy = 0; yy < outHeight; yy++) {
    acc.fill(half);
    for (let y = 0; y < count[yy]; y++) {
      const w = weights[yy * ksize + y], row = (start[yy] + y) * rowBytes;
      for (let i = 0; i < rowBytes; i++) acc[i] += data[row + i] * w;
    }
    const o = yy * rowBytes;
    for (let i = 0; i < rowBytes; i++) out[o + i] = toByte(acc[i]);
  }
  return { width, height: outHeight, data: out };
}

/** Python's round(): halves go to the even neighbour. */
function roundHalfEven(v: number): number {
  const r = Math.round(v);
  return Math.abs(v % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** Size of the image scaled to fit inside [height, width] with its aspect ratio kept. */
export function letterboxSize(width: number, height: number, boxHeight: number, boxWidth: number): [number, number] {
  // Compare W/w and H/h exactly in integers; round the other side as Python would.
  if (boxWidth * height <= boxHeight * width) return [boxWidth, Math.max(1, roundHalfEven((height * boxWidth) / width))];
  return [Math.max(1, roundHalfEven((width * boxHeight) / height)), boxHeight];
}

/** Fits an RGB image into [height, width]: letterbox (top-left, padded) or stretch. */
export function fitImage(img: RgbImage | RgbSource, height: number, width: number, spec: Pick<PreprocessSpec, 'resize' | 'pad_rgb'>): RgbImage {
  if (spec.resize === 'stretch') return resizeBox(img, width, height);
  const [w, h] = letterboxSize(img.width, img.height, height, width);
  const scaled = resizeBox(img, w, h);
  const out = new Uint8Array(width * height * 3);
  const padRow = new Uint8Array(width * 3);
  for (let x = 0; x < width; x++) padRow.set(spec.pad_rgb, x * 3);
  for (let y = 0; y < height; y++) {
    const o = y * width * 3;
    if (y >= h) { out.set(padRow, o); continue; }
    out.set(scaled.data.subarray(y * w * 3, (y + 1) * w * 3), o);
    out.set(padRow.subarray(w * 3), o + w * 3);
  }
  return { width, height, data: out };
}

/** Writes (v/255 - mean[c]) / std[c] as [3, H, W] at `offset` of `out`. */
export function normalizeInto(img: RgbImage, spec: Pick<PreprocessSpec, 'mean' | 'std'>, out: Float32Array, offset: number): void {
  const plane = img.width * img.height;
  const table = new Float32Array(256); // the normalised value of each byte, for this channel
  for (let c = 0; c < 3; c++) {
    const mean = spec.mean[c], std = spec.std[c];
    for (let v = 0; v < 256; v++) table[v] = (v / 255 - mean) / std;
    const o = offset + c * plane;
    for (let i = 0, j = c; i < plane; i++, j += 3) out[o + i] = table[img.data[j]];
  }
}

/** Copies the region [x, y, width, height] of an RGB image. */
function crop(img: RgbImage, x: number, y: number, width: number, height: number): RgbImage {
  const out = new Uint8Array(width * height * 3);
  for (let r = 0; r < height; r++) {
    const from = ((y + r) * img.width + x) * 3;
    out.set(img.data.subarray(from, from + width * 3), r * width * 3);
  }
  return { width, height, data: out };
}

/** Frames of one still image: the whole view, or (with tiles) the global view then rows x cols tiles. */
export function imageViews(img: RgbaImage, spec: PreprocessSpec): RgbImage[] {
  const [H, W] = spec.image_size;
  const rgb = rgbSource(img, spec.pad_rgb);
  if (!spec.tiles) return [fitImage(rgb, H, W, spec)];
  const { rows, cols } = spec.tiles;
  const views = spec.tiles.global ? [fitImage(rgb, H, W, spec)] : [];
  const big = fitImage(rgb, rows * H, cols * W, spec);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) views.push(crop(big, c * W, r * H, W, H));
  return views;
}

/** Frames of a recording: each frame one whole view, uniformly subsampled to at most max_frames. */
export function videoViews(frames: readonly RgbaImage[], spec: PreprocessSpec): RgbImage[] {
  const [H, W] = spec.image_size;
  return subsample(frames.length, spec.max_frames).map((i) => fitImage(rgbSource(frames[i], spec.pad_rgb), H, W, spec));
}

/** Normalised pixels [F, 3, H, W] of the given views. */
export function toPixels(views: readonly RgbImage[], spec: PreprocessSpec): Float32Array {
  const [H, W] = spec.image_size;
  const out = new Float32Array(views.length * 3 * H * W);
  views.forEach((v, f) => normalizeInto(v, spec, out, f * 3 * H * W));
  return out;
}

/** `count` indices spread evenly over [0, n), starting at 0; all of them when n <= count. */
export function subsample(n: number, count: number): number[] {
  if (n <= count || count <= 0) return Array.from({ length: n }, (_, i) => i);
  return Array.from({ length: count }, (_, i) => Math.floor((i * n) / count));
}

/**
 * Which frames of an animation to keep: one every 1/fps seconds starting at t = 0 (the frame
 * showing at that time), then uniformly subsampled to at most maxFrames.
 * `durationsMs[i]` is how long frame i shows.
 */
export function sampleVideoFrames(durationsMs: readonly number[], fps: number, maxFrames: number): number[] {
  if (!(fps > 0)) throw new Error(`video: fps must be positive, got ${fps}`);
  const picked: number[] = [];
  let frameStart = 0;
  let frame = 0;
  const total = durationsMs.reduce((a, b) => a + b, 0);
  for (let k = 0; k === 0 || (k * 1000) / fps < total; k++) {
    const t = (k * 1000) / fps;
    while (frame < durationsMs.length - 1 && frameStart + durationsMs[frame] <= t) frameStart += durationsMs[frame++];
    picked.push(frame);
  }
  return subsample(picked.length, maxFrames).map((i) => picked[i]);
}
