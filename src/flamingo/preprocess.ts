// Image preprocessing (docs/model-spec.md, section 7): RGBA bytes -> normalised float pixels
// [F, 3, H, W]. The box resize reproduces PIL's Image.resize(..., Image.BOX) on RGB bytes
// bit for bit (two 8-bit passes, horizontal then vertical, 22-bit fixed-point weights), so
// the runtime sees exactly what the trainer saw. Pixels travel packed in 32-bit words, so that
// an opaque screenshot is never copied before its resize and each input pixel is one load.
import type { PreprocessSpec } from './manifest';

export interface RgbaImage { width: number; height: number; data: Uint8Array | Uint8ClampedArray }

/** RGB bytes, row-major [height, width, 3]. */
export interface RgbImage { width: number; height: number; data: Uint8Array }

/**
 * Opaque RGB pixels, one 32-bit word each: R | G << 8 | B << 16 (the bits above are ignored).
 * This is how little-endian RGBA bytes read as Uint32, so an opaque screenshot is used in
 * place, and the resize can add a pixel's red and blue in one integer add (see `horizontalPass`).
 */
export interface PackedRgb { width: number; height: number; pixels: Uint32Array }

/**
 * Where preprocessing gets its buffers. By default each call allocates. An engine passes a
 * BufferPool, so that one image after another writes into the same memory: in Chromium on the
 * test machines, filling a new 6 MB array took 16 ms and refilling one 0.1 ms, and
 * preprocessing a screenshot writes about 15 MB.
 */
export interface Buffers {
  words(length: number): Uint32Array;
  floats(length: number): Float32Array;
}

const fresh: Buffers = { words: (n) => new Uint32Array(n), floats: (n) => new Float32Array(n) };

/**
 * Buffers handed out in order and handed out again after reset(): what one call got stays
 * valid until the next reset(). It keeps the largest sizes it has seen.
 */
export class BufferPool implements Buffers {
  private readonly wordBuffers: Uint32Array[] = [];
  private floatBuffer = new Float32Array(0);
  private next = 0;

  reset(): void { this.next = 0; }

  words(length: number): Uint32Array {
    const i = this.next++;
    if ((this.wordBuffers[i]?.length ?? -1) < length) this.wordBuffers[i] = new Uint32Array(length);
    return this.wordBuffers[i].subarray(0, length);
  }

  /** The one float buffer (the pixels), exactly `length` long: it becomes a tensor's data. */
  floats(length: number): Float32Array {
    if (this.floatBuffer.length !== length) this.floatBuffer = new Float32Array(length);
    return this.floatBuffer;
  }
}

function checkRgba(img: RgbaImage): void {
  const { width, height, data } = img;
  if (!Number.isInteger(width) || !Number.isInteger(height) || width <= 0 || height <= 0) {
    throw new Error(`image: size ${width}x${height} is not a positive integer size`);
  }
  if (data.length !== width * height * 4) {
    throw new Error(`image: ${width}x${height} RGBA needs ${width * height * 4} bytes, got ${data.length}`);
  }
}

/**
 * The image composited over `pad` (straight alpha: c' = round((c*a + pad*(255-a)) / 255), as
 * PIL's alpha_composite), packed. An opaque image's bytes are read in place, without a copy.
 */
export function packedSource(img: RgbaImage, pad: readonly [number, number, number], buffers: Buffers = fresh): PackedRgb {
  checkRgba(img);
  const { width, height, data } = img;
  const aligned = data.byteOffset % 4 === 0;
  const words = new Uint32Array(aligned ? data.buffer : data.slice().buffer, aligned ? data.byteOffset : 0, width * height);
  if (isOpaque(words)) return { width, height, pixels: words };
  const out = buffers.words(width * height);
  const [pr, pg, pb] = pad;
  for (let i = 0, j = 0; i < out.length; i++, j += 4) {
    const a = data[j + 3], rest = 255 - a;
    out[i] = div255(data[j] * a + pr * rest) | (div255(data[j + 1] * a + pg * rest) << 8) | (div255(data[j + 2] * a + pb * rest) << 16);
  }
  return { width, height, pixels: out };
}

function isOpaque(words: Uint32Array): boolean {
  for (let i = 0; i < words.length; i++) if (words[i] >>> 24 !== 255) return false;
  return true;
}

/** RGB bytes of packed pixels. */
export function unpack(img: PackedRgb): RgbImage {
  const { width, height, pixels } = img;
  const data = new Uint8Array(width * height * 3);
  for (let i = 0, j = 0; i < pixels.length; i++, j += 3) {
    const v = pixels[i];
    data[j] = v & 0xff;
    data[j + 1] = (v >>> 8) & 0xff;
    data[j + 2] = (v >>> 16) & 0xff;
  }
  return { width, height, data };
}

/** round(v / 255) for integers 0 <= v <= 65535 (v / 255 is never a half, 255 being odd). */
const div255 = (v: number) => (v + 128 + ((v + 128) >> 8)) >> 8;

const PRECISION_BITS = 32 - 8 - 2;
const HALF = 1 << (PRECISION_BITS - 1);

/**
 * PIL's box-filter coefficients (precompute_coeffs, normalize_coeffs_8bpc) for each output
 * position: the input run it averages, [first, first + taps), and the run's fixed-point weight.
 * A box weighs each input wholly in or out, so every tap of a run has the same weight.
 */
function boxRuns(inSize: number, outSize: number): { first: Int32Array; taps: Int32Array; weight: Int32Array } {
  const scale = inSize / outSize;
  const filterScale = Math.max(scale, 1);
  const support = 0.5 * filterScale;
  const first = new Int32Array(outSize), taps = new Int32Array(outSize), weight = new Int32Array(outSize);
  for (let xx = 0; xx < outSize; xx++) {
    const center = (xx + 0.5) * scale;
    const xmin = Math.max(0, Math.trunc(center - support + 0.5));
    const xmax = Math.min(inSize, Math.trunc(center + support + 0.5));
    let lo = -1, n = 0;
    for (let x = xmin; x < xmax; x++) {
      const t = (x - center + 0.5) / filterScale;
      if (t > -0.5 && t <= 0.5) { if (lo < 0) lo = x; n++; }
    }
    first[xx] = Math.max(lo, xmin);
    taps[xx] = n;
    weight[xx] = n > 0 ? Math.trunc(0.5 + (1 / n) * (1 << PRECISION_BITS)) : 0;
  }
  return { first, taps, weight };
}

/**
 * Fixed-point sum -> byte, as PIL's clip8 (weights are never negative, so a shift is the floor).
 * sum * weight stays below 2^31: the run's weights add up to about 2^22 and bytes are below 2^8.
 */
const toByte = (sum: number, weight: number) => Math.min(255, (HALF + sum * weight) >> PRECISION_BITS);

// Red and blue are summed together in one integer, 16 bits each, green alone. Runs of up to
// 256 pixels keep red from carrying into blue (256 * 255 < 2^16); longer ones (shrinking an
// image more than 255 times) take `longRunMean`.
const MAX_PACKED_RUN = 256;

/** The weighted mean of `count` packed pixels from `start`, `step` apart, any count. */
function longRunMean(pixels: Uint32Array, start: number, count: number, step: number, weight: number): number {
  let r = 0, g = 0, b = 0;
  for (let k = 0, p = start; k < count; k++, p += step) {
    const v = pixels[p];
    r += v & 0xff;
    g += (v >>> 8) & 0xff;
    b += (v >>> 16) & 0xff;
  }
  return toByte(r, weight) | (toByte(g, weight) << 8) | (toByte(b, weight) << 16);
}

/** Horizontal pass: each output pixel averages a run of its row. */
function horizontalPass(img: PackedRgb, outWidth: number, buffers: Buffers): PackedRgb {
  const { width, height, pixels } = img;
  const { first, taps, weight } = boxRuns(width, outWidth);
  const long = taps.some((n) => n > MAX_PACKED_RUN);
  const out = buffers.words(outWidth * height);
  for (let y = 0, o = 0; y < height; y++) {
    const row = y * width;
    for (let xx = 0; xx < outWidth; xx++, o++) {
      const start = row + first[xx], end = start + taps[xx], w = weight[xx];
      if (long) { out[o] = longRunMean(pixels, start, taps[xx], 1, w); continue; }
      let rb = 0, g = 0;
      for (let p = start; p < end; p++) {
        const v = pixels[p];
        rb += v & 0xff00ff;
        g += (v >>> 8) & 0xff;
      }
      out[o] = toByte(rb & 0xffff, w) | (toByte(g, w) << 8) | (toByte(rb >>> 16, w) << 16);
    }
  }
  return { width: outWidth, height, pixels: out };
}

/** Vertical pass: each output row averages a run of rows, pixel by pixel. */
function verticalPass(img: PackedRgb, outHeight: number, buffers: Buffers): PackedRgb {
  const { width, pixels } = img;
  const { first, taps, weight } = boxRuns(img.height, outHeight);
  const long = taps.some((n) => n > MAX_PACKED_RUN);
  const out = buffers.words(width * outHeight);
  for (let yy = 0, o = 0; yy < outHeight; yy++) {
    const top = first[yy] * width, end = top + taps[yy] * width, w = weight[yy];
    for (let x = 0; x < width; x++, o++) {
      if (long) { out[o] = longRunMean(pixels, top + x, taps[yy], width, w); continue; }
      let rb = 0, g = 0;
      for (let p = top + x; p < end; p += width) {
        const v = pixels[p];
        rb += v & 0xff00ff;
        g += (v >>> 8) & 0xff;
      }
      out[o] = toByte(rb & 0xffff, w) | (toByte(g, w) << 8) | (toByte(rb >>> 16, w) << 16);
    }
  }
  return { width, height: outHeight, pixels: out };
}

/**
 * Box (area-average) resize, as PIL's Image.BOX bit for bit: a horizontal pass to 8 bits, then
 * a vertical one (each skipped when its size does not change, as PIL does).
 */
export function resizePacked(img: PackedRgb, outWidth: number, outHeight: number, buffers: Buffers = fresh): PackedRgb {
  if (!(outWidth > 0 && outHeight > 0)) throw new Error(`resize: output size ${outWidth}x${outHeight} is not positive`);
  const rows = outWidth !== img.width ? horizontalPass(img, outWidth, buffers) : img;
  return outHeight !== rows.height ? verticalPass(rows, outHeight, buffers) : rows;
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

/** Fits an image into [height, width]: letterbox (top-left, padded with pad_rgb) or stretch. */
export function fitImage(img: PackedRgb, height: number, width: number, spec: Pick<PreprocessSpec, 'resize' | 'pad_rgb'>, buffers: Buffers = fresh): PackedRgb {
  if (spec.resize === 'stretch') return resizePacked(img, width, height, buffers);
  const [w, h] = letterboxSize(img.width, img.height, height, width);
  const scaled = resizePacked(img, w, h, buffers);
  const [pr, pg, pb] = spec.pad_rgb;
  const out = buffers.words(width * height).fill(pr | (pg << 8) | (pb << 16));
  for (let y = 0; y < h; y++) out.set(scaled.pixels.subarray(y * w, (y + 1) * w), y * width);
  return { width, height, pixels: out };
}

/** Writes (v/255 - mean[c]) / std[c] as [3, H, W] at `offset` of `out`. */
export function normalizeInto(img: PackedRgb, spec: Pick<PreprocessSpec, 'mean' | 'std'>, out: Float32Array, offset: number): void {
  const plane = img.width * img.height, { pixels } = img;
  // The normalised value of each byte, per channel: [3 * 256].
  const table = new Float32Array(3 * 256);
  for (let c = 0; c < 3; c++) for (let v = 0; v < 256; v++) table[c * 256 + v] = (v / 255 - spec.mean[c]) / spec.std[c];
  for (let i = 0, o = offset; i < plane; i++, o++) {
    const v = pixels[i];
    out[o] = table[v & 0xff];
    out[o + plane] = table[256 + ((v >>> 8) & 0xff)];
    out[o + 2 * plane] = table[512 + ((v >>> 16) & 0xff)];
  }
}

/** The region [x, y, width, height] of an image. */
function crop(img: PackedRgb, x: number, y: number, width: number, height: number, buffers: Buffers): PackedRgb {
  const out = buffers.words(width * height);
  for (let r = 0; r < height; r++) {
    const from = (y + r) * img.width + x;
    out.set(img.pixels.subarray(from, from + width), r * width);
  }
  return { width, height, pixels: out };
}

/** Frames of one still image: the whole view, or (with tiles) the global view then rows x cols tiles. */
export function imageViews(img: RgbaImage, spec: PreprocessSpec, buffers: Buffers = fresh): PackedRgb[] {
  const [H, W] = spec.image_size;
  const source = packedSource(img, spec.pad_rgb, buffers);
  if (!spec.tiles) return [fitImage(source, H, W, spec, buffers)];
  const { rows, cols } = spec.tiles;
  const views = spec.tiles.global ? [fitImage(source, H, W, spec, buffers)] : [];
  const big = fitImage(source, rows * H, cols * W, spec, buffers);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) views.push(crop(big, c * W, r * H, W, H, buffers));
  return views;
}

/** Frames of a recording: each frame one whole view, uniformly subsampled to at most max_frames. */
export function videoViews(frames: readonly RgbaImage[], spec: PreprocessSpec, buffers: Buffers = fresh): PackedRgb[] {
  const [H, W] = spec.image_size;
  return subsample(frames.length, spec.max_frames).map((i) => fitImage(packedSource(frames[i], spec.pad_rgb, buffers), H, W, spec, buffers));
}

/** Normalised pixels [F, 3, H, W] of the given views. */
export function toPixels(views: readonly PackedRgb[], spec: PreprocessSpec, buffers: Buffers = fresh): Float32Array {
  const [H, W] = spec.image_size;
  const out = buffers.floats(views.length * 3 * H * W);
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
