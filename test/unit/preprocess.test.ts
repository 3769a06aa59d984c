// Preprocessing (docs/model-spec.md, section 7): compositing, box resize, letterbox geometry,
// normalisation, tiles, video frame sampling, and the engine's reusable buffers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import type { PreprocessSpec } from '../../src/flamingo/manifest';
import {
  BufferPool, imageViews, letterboxSize, packedSource, resizePacked, sampleVideoFrames, subsample, toPixels, unpack, videoViews,
  type PackedRgb, type RgbaImage, type RgbImage,
} from '../../src/flamingo/preprocess';

const spec = (over: Partial<PreprocessSpec> = {}): PreprocessSpec => ({
  image_size: [8, 8], resize: 'letterbox', pad_rgb: [255, 255, 255], mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5],
  tiles: null, max_frames: 4, video_fps: 1, ...over,
});

function solid(width: number, height: number, rgba: [number, number, number, number]): RgbaImage {
  const data = new Uint8Array(width * height * 4);
  for (let i = 0; i < width * height; i++) data.set(rgba, i * 4);
  return { width, height, data };
}
/** Box resize of RGB bytes, through the packed form the runtime uses. */
function resizeBox(img: RgbImage, width: number, height: number): RgbImage {
  const pixels = new Uint32Array(img.width * img.height);
  for (let i = 0; i < pixels.length; i++) pixels[i] = img.data[3 * i] | (img.data[3 * i + 1] << 8) | (img.data[3 * i + 2] << 16);
  return unpack(resizePacked({ width: img.width, height: img.height, pixels }, width, height));
}
const pixel = (img: PackedRgb, x: number, y: number) => { const v = img.pixels[y * img.width + x]; return [v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff]; };

test('alpha is composited over the pad colour', () => {
  const rgb = unpack(packedSource(solid(1, 1, [0, 100, 200, 51]), [255, 255, 255]));
  // (c*51 + 255*204) / 255 = c/5 + 204
  assert.deepEqual([...rgb.data], [204, 224, 244]);
  assert.throws(() => packedSource({ width: 2, height: 2, data: new Uint8Array(15) }, [0, 0, 0]), /needs 16 bytes, got 15/);
  // An opaque image is read in place, even from a Uint8ClampedArray or at an odd offset.
  const opaque = solid(2, 1, [1, 2, 3, 255]);
  assert.equal(packedSource(opaque, [0, 0, 0]).pixels.buffer, opaque.data.buffer);
  const odd = new Uint8ClampedArray(9).fill(255, 1);
  assert.deepEqual([...unpack(packedSource({ width: 2, height: 1, data: odd.subarray(1) }, [0, 0, 0])).data], [255, 255, 255, 255, 255, 255]);
});

test('box resize averages whole blocks, rounding to nearest', () => {
  // 4x1 -> 2x1: each output is the mean of two neighbours.
  const img: RgbImage = { width: 4, height: 1, data: Uint8Array.from([0, 0, 0, 1, 10, 255, 2, 20, 0, 4, 40, 0]) };
  assert.deepEqual([...resizeBox(img, 2, 1).data], [1, 5, 128, 3, 30, 0]);
});

test('box resize matches PIL Image.BOX byte for byte (when python3 with PIL is present)', (t) => {
  const probe = spawnSync('/usr/bin/python3', ['-c', 'import PIL'], { encoding: 'utf8' });
  if (probe.status !== 0) { t.skip('skipped: /usr/bin/python3 with PIL is not available'); return; }
  const cases = [[7, 5, 3, 2], [50, 30, 16, 16], [3, 3, 8, 5], [97, 13, 20, 7]];
  let seed = 7;
  const rand = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) % 256;
  for (const [w, h, W, H] of cases) {
    const data = Uint8Array.from({ length: w * h * 3 }, rand);
    const script = `import sys\nfrom PIL import Image\nd=bytes.fromhex(sys.stdin.read())\nsys.stdout.write(Image.frombytes('RGB',(${w},${h}),d).resize((${W},${H}),Image.BOX).tobytes().hex())`;
    const py = spawnSync('/usr/bin/python3', ['-c', script], { input: Buffer.from(data).toString('hex'), encoding: 'utf8' });
    assert.equal(py.status, 0, py.stderr);
    assert.equal(Buffer.from(resizeBox({ width: w, height: h, data }, W, H).data).toString('hex'), py.stdout, `${w}x${h} -> ${W}x${H}`);
  }
});

/**
 * PIL's reference for RGBA bytes: alpha_composite over an opaque `pad` (as tools/train/data.py
 * reads images), then Image.BOX to each size. Returns the composited RGB, then each resized RGB.
 */
function pilCompositeAndResize(img: RgbaImage, pad: number[], sizes: [number, number][]): Buffer[] {
  const script = [
    'import sys', 'from PIL import Image',
    `img = Image.frombytes('RGBA', (${img.width}, ${img.height}), sys.stdin.buffer.read())`,
    `rgb = Image.alpha_composite(Image.new('RGBA', img.size, (${pad.join(', ')}, 255)), img).convert('RGB')`,
    'sys.stdout.buffer.write(rgb.tobytes())',
    ...sizes.map(([w, h]) => `sys.stdout.buffer.write(rgb.resize((${w}, ${h}), Image.BOX).tobytes())`),
  ].join('\n');
  const py = spawnSync('/usr/bin/python3', ['-c', script], { input: img.data, maxBuffer: 64 << 20 });
  assert.equal(py.status, 0, py.stderr.toString());
  const out: Buffer[] = [];
  let at = 0;
  for (const [w, h] of [[img.width, img.height], ...sizes]) out.push(py.stdout.subarray(at, (at += w * h * 3)));
  assert.equal(at, py.stdout.length, 'PIL wrote an unexpected number of bytes');
  return out;
}

function assertMatchesPil(img: RgbaImage, pad: [number, number, number], sizes: [number, number][]): void {
  const [composited, ...resized] = pilCompositeAndResize(img, pad, sizes);
  // What imageViews resizes: an opaque image's RGBA bytes in place, else the composite.
  const source = packedSource(img, pad);
  const rgb = unpack(source);
  assert.ok(Buffer.from(rgb.data).equals(composited), `the composite over [${pad}] differs from PIL's alpha_composite`);
  sizes.forEach(([w, h], i) => {
    assert.ok(Buffer.from(resizeBox(rgb, w, h).data).equals(resized[i]), `${img.width}x${img.height} -> ${w}x${h} differs from PIL`);
    assert.ok(Buffer.from(unpack(resizePacked(source, w, h)).data).equals(resized[i]), `${img.width}x${img.height} -> ${w}x${h} from packed pixels differs from PIL`);
  });
}

test('an opaque 1280x800 screenshot: composite and box resize match PIL byte for byte (when python3 with PIL is present)', (t) => {
  const probe = spawnSync('/usr/bin/python3', ['-c', 'import PIL'], { encoding: 'utf8' });
  if (probe.status !== 0) { t.skip('skipped: /usr/bin/python3 with PIL is not available'); return; }
  let seed = 11;
  const rand = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) % 256;
  const img = solid(1280, 800, [255, 255, 255, 255]);
  // Noise in bands on white, as screenshots mix text and plain areas.
  for (let i = 0; i < 1280 * 800; i++) if ((i / 1280) % 100 < 60) img.data.set([rand(), rand(), rand()], i * 4);
  // The bundled model's sizes: the global view and the 2x2-tile canvas, letterboxed (section 7).
  assertMatchesPil(img, [255, 255, 255], [[384, 240], [768, 480], [1000, 799], [1280, 1], [1280, 800], [3, 800]]);
});

test('partial alpha: every (colour, alpha) pair composites and resizes as PIL does (when python3 with PIL is present)', (t) => {
  const probe = spawnSync('/usr/bin/python3', ['-c', 'import PIL'], { encoding: 'utf8' });
  if (probe.status !== 0) { t.skip('skipped: /usr/bin/python3 with PIL is not available'); return; }
  // Row a, column c: RGB (c, 255 - c, 7c mod 256) with alpha a.
  const img = solid(256, 256, [0, 0, 0, 0]);
  for (let a = 0; a < 256; a++) for (let c = 0; c < 256; c++) img.data.set([c, 255 - c, (7 * c) % 256, a], (a * 256 + c) * 4);
  for (const pad of [[255, 255, 255], [0, 0, 0], [12, 200, 77]] as [number, number, number][]) assertMatchesPil(img, pad, [[100, 60], [384, 240]]);
});

test('letterbox keeps the aspect ratio, scaling down or up to fit', () => {
  assert.deepEqual(letterboxSize(64, 32, 8, 8), [8, 4]);
  assert.deepEqual(letterboxSize(32, 64, 8, 8), [4, 8]);
  assert.deepEqual(letterboxSize(2, 1, 8, 8), [8, 4]);
  assert.deepEqual(letterboxSize(1000, 1, 8, 8), [8, 1]);
  assert.deepEqual(letterboxSize(5, 2, 8, 8), [8, 3]);  // 3.2
  assert.deepEqual(letterboxSize(16, 5, 8, 8), [8, 2]); // 2.5 rounds to even, as Python's round
});

test('letterbox places the image top-left and pads the rest', () => {
  const [view] = imageViews(solid(64, 32, [10, 20, 30, 255]), spec());
  assert.equal(view.width, 8);
  assert.equal(view.height, 8);
  for (let y = 0; y < 8; y++) for (let x = 0; x < 8; x++) assert.deepEqual(pixel(view, x, y), y < 4 ? [10, 20, 30] : [255, 255, 255], `(${x}, ${y})`);
  const [stretched] = imageViews(solid(64, 32, [10, 20, 30, 255]), spec({ resize: 'stretch' }));
  assert.deepEqual(pixel(stretched, 7, 7), [10, 20, 30]);
});

test('normalisation: (v/255 - mean) / std, channel planes [F, 3, H, W]', () => {
  const s = spec({ image_size: [1, 1], mean: [0, 0.5, 1], std: [1, 0.5, 2] });
  const pixels = toPixels([{ width: 1, height: 1, pixels: Uint32Array.of(255 | (51 << 16)) }, { width: 1, height: 1, pixels: Uint32Array.of(0xffff00) }], s);
  const expected = [1, -1, (0.2 - 1) / 2, 0, 1, 0];
  pixels.forEach((v, i) => assert.ok(Math.abs(v - expected[i]) < 1e-6, `value ${i}: ${v} vs ${expected[i]}`));
});

test('tiles: the global view, then rows x cols tiles in row-major order', () => {
  // A 16x16 image with four coloured 8x8 quadrants, 2x2 tiles of 8x8.
  const img = solid(16, 16, [0, 0, 0, 255]);
  const colours = [[255, 0, 0], [0, 255, 0], [0, 0, 255], [255, 255, 0]];
  for (let y = 0; y < 16; y++) for (let x = 0; x < 16; x++) img.data.set(colours[(y < 8 ? 0 : 2) + (x < 8 ? 0 : 1)], (y * 16 + x) * 4);
  const views = imageViews(img, spec({ tiles: { rows: 2, cols: 2, global: true } }));
  assert.equal(views.length, 5);
  assert.deepEqual(pixel(views[0], 0, 0), colours[0]);
  assert.deepEqual(pixel(views[0], 7, 7), colours[3]);
  for (let t = 0; t < 4; t++) {
    for (let y = 0; y < 8; y++) for (let x = 0; x < 8; x++) assert.deepEqual(pixel(views[1 + t], x, y), colours[t], `tile ${t} (${x}, ${y})`);
  }
  assert.equal(imageViews(img, spec({ tiles: { rows: 1, cols: 3, global: false } })).length, 3);
});

/** Gradients and noise; with `alpha`, a varying alpha channel (the composite path). */
function noisy(width: number, height: number, seed: number, alpha: boolean): RgbaImage {
  const data = new Uint8Array(width * height * 4);
  let state = seed;
  for (let i = 0; i < data.length; i++) {
    state = (state * 1103515245 + 12345) >>> 0;
    data[i] = i % 4 === 3 && !alpha ? 255 : ((i * 7) % 256) ^ (state >>> 24);
  }
  return { width, height, data };
}

test('a BufferPool gives the same pixels as fresh buffers, image after image, and reuses its memory', () => {
  const s = spec({ image_size: [16, 24], tiles: { rows: 2, cols: 2, global: true } });
  const pool = new BufferPool();
  const pooled = (run: (buffers: BufferPool) => Float32Array) => { pool.reset(); return run(pool); };
  const images = [noisy(300, 200, 1, false), noisy(123, 77, 2, true), noisy(300, 200, 3, false)];
  const first = pooled((b) => toPixels(imageViews(images[0], s, b), s, b));
  assert.deepEqual(first, toPixels(imageViews(images[0], s), s));
  for (const img of images.slice(1)) {
    const again = pooled((b) => toPixels(imageViews(img, s, b), s, b));
    assert.deepEqual(again, toPixels(imageViews(img, s), s), `${img.width}x${img.height}`);
    assert.equal(again, first, 'the same pixels buffer, refilled');
  }
  const frames = [noisy(40, 30, 4, true), noisy(40, 30, 5, false)];
  assert.deepEqual(pooled((b) => toPixels(videoViews(frames, s, b), s, b)), toPixels(videoViews(frames, s), s));
});

test('video frames: sampled at fps from frame durations, then capped at max_frames', () => {
  // Frames showing 0-500, 500-1500, 1500-4000 ms, 1 fps: t = 0, 1, 2, 3 s.
  assert.deepEqual(sampleVideoFrames([500, 1000, 2500], 1, 8), [0, 1, 2, 2]);
  assert.deepEqual(sampleVideoFrames([500, 1000, 2500], 2, 8), [0, 1, 1, 2, 2, 2, 2, 2]);
  assert.deepEqual(sampleVideoFrames([100], 1, 8), [0]);
  assert.deepEqual(sampleVideoFrames(new Array(20).fill(1000), 1, 4), [0, 5, 10, 15]);
  assert.deepEqual(subsample(3, 8), [0, 1, 2]);
  const frames = [0, 1, 2, 3, 4, 5].map((v) => solid(2, 2, [v, v, v, 255]));
  assert.deepEqual(videoViews(frames, spec({ max_frames: 3 })).map((f) => pixel(f, 0, 0)[0]), [0, 2, 4]);
});
