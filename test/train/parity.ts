// Runs a built bundle's three ONNX graphs directly (no runtime code) on the trainer's parity
// fixture and returns the largest differences from PyTorch's vision features and logits.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import * as ortNode from 'onnxruntime-node';
import * as ortWeb from 'onnxruntime-web';
import { maxAbsDiff } from '../builder/helpers';

ortWeb.env.wasm.numThreads = 1; // shared machine; the graphs are small
ortWeb.env.logLevel = 'error';

type Ort = typeof ortNode;
type Tensor = ortNode.Tensor;
export const RUNTIMES: [string, Ort][] = [['onnxruntime-node', ortNode], ['onnxruntime-web (WASM)', ortWeb as unknown as Ort]];

interface Fixture {
  input_ids: number[]; media_index: number[]; media: string[][]; features: string[];
  logits: string; logits_shape: [number, number]; mean: number; std: number;
}

async function session(ort: Ort, dir: string, file: string) {
  if (ort === ortNode) return ortNode.InferenceSession.create(join(dir, file));
  const data = join(dir, `${file}.data`);
  const externalData = existsSync(data) ? [{ path: `${file}.data`, data: new Uint8Array(readFileSync(data)) }] : undefined;
  return ort.InferenceSession.create(new Uint8Array(readFileSync(join(dir, file))), { externalData });
}

/** uint8 PNG frames -> normalised float pixels [F, 3, H, W]. */
async function pixels(dir: string, files: string[], mean: number, std: number): Promise<{ data: Float32Array; dims: number[] }> {
  const frames = await Promise.all(files.map((f) => sharp(join(dir, f)).removeAlpha().raw().toBuffer({ resolveWithObject: true })));
  const { width: W, height: H } = frames[0].info;
  const data = new Float32Array(files.length * 3 * H * W);
  frames.forEach(({ data: px }, f) => {
    for (let i = 0; i < H * W; i++) for (let c = 0; c < 3; c++) data[((f * 3 + c) * H * W) + i] = (px[i * 3 + c] / 255 - mean) / std;
  });
  return { data, dims: [files.length, 3, H, W] };
}

/** max |got - expected|, the lengths checked (as 1-D tensors) by the builder suite's helper. */
function diff(what: string, got: Float32Array, expected: Float32Array): number {
  if (got.length !== expected.length) throw new Error(`${what}: got ${got.length} values, the fixture has ${expected.length}`);
  return maxAbsDiff({ shape: [got.length], data: got }, { shape: [expected.length], data: expected });
}

function readF32(path: string): Float32Array {
  const buf = readFileSync(path);
  return new Float32Array(buf.buffer, buf.byteOffset, buf.byteLength / 4);
}

export async function maxDiffs(ort: Ort, bundleDir: string, fixtureDir: string): Promise<{ features: number; logits: number }> {
  const fx = JSON.parse(readFileSync(join(fixtureDir, 'fixture.json'), 'utf8')) as Fixture;
  const manifest = JSON.parse(readFileSync(join(bundleDir, 'manifest.json'), 'utf8'));
  const { config } = manifest;
  const vision = await session(ort, bundleDir, manifest.graphs.vision);
  const resampler = await session(ort, bundleDir, manifest.graphs.resampler);
  const decoder = await session(ort, bundleDir, manifest.graphs.decoder);
  const gated = Array.from({ length: config.lm.n_layers }, (_, i) => i).filter((i) => config.xattn.every && (i + 1) % config.xattn.every === 0);

  // Media keys/values of every item, concatenated over items: [xH, M*N, xhd] per gated layer.
  const keys = new Map<number, Float32Array[]>(), values = new Map<number, Float32Array[]>();
  let featuresDiff = 0;
  for (const [m, files] of fx.media.entries()) {
    const px = await pixels(fixtureDir, files, fx.mean, fx.std);
    const { features } = await vision.run({ pixels: new ort.Tensor('float32', px.data, px.dims) });
    featuresDiff = Math.max(featuresDiff, diff(`features of media ${m}`, features.data as Float32Array, readF32(join(fixtureDir, fx.features[m]))));
    const out = await resampler.run({ features });
    for (const i of gated) {
      (keys.get(i) ?? keys.set(i, []).get(i)!).push(out[`media_key.${i}`].data as Float32Array);
      (values.get(i) ?? values.set(i, []).get(i)!).push(out[`media_value.${i}`].data as Float32Array);
    }
  }
  const S = fx.input_ids.length, N = config.resampler.num_latents, M = fx.media.length, V = M * N;
  const xH = config.xattn.heads, xhd = config.xattn.head_dim, kvH = config.lm.n_kv_heads, hd = config.lm.dim / config.lm.n_heads;
  const concat = (parts: Float32Array[]) => { // items' [xH, N, xhd] -> [1, xH, V, xhd]
    const out = new Float32Array(xH * V * xhd);
    parts.forEach((p, m) => { for (let h = 0; h < xH; h++) out.set(p.subarray(h * N * xhd, (h + 1) * N * xhd), (h * V + m * N) * xhd); });
    return new ort.Tensor('float32', out, [1, xH, V, xhd]);
  };
  const i64 = (v: number[]) => new ort.Tensor('int64', BigInt64Array.from(v.map(BigInt)), [1, v.length]);
  const feeds: Record<string, Tensor> = {
    input_ids: i64(fx.input_ids),
    position_ids: i64(fx.input_ids.map((_, s) => s)),
    attention_bias: new ort.Tensor('float32', Float32Array.from({ length: S * S }, (_, k) => (k % S <= Math.floor(k / S) ? 0 : -1e9)), [1, 1, S, S]),
    media_bias: new ort.Tensor('float32', Float32Array.from({ length: S * V }, (_, k) => (Math.floor((k % V) / N) + 1 === fx.media_index[Math.floor(k / V)] ? 0 : -1e9)), [1, 1, S, V]),
    media_gate: new ort.Tensor('float32', Float32Array.from(fx.media_index, (m) => (m > 0 ? 1 : 0)), [1, S, 1]),
  };
  for (const i of gated) { feeds[`media_key.${i}`] = concat(keys.get(i)!); feeds[`media_value.${i}`] = concat(values.get(i)!); }
  for (let i = 0; i < config.lm.n_layers; i++) {
    feeds[`past_key.${i}`] = new ort.Tensor('float32', new Float32Array(0), [1, kvH, 0, hd]);
    feeds[`past_value.${i}`] = new ort.Tensor('float32', new Float32Array(0), [1, kvH, 0, hd]);
  }
  const { logits } = await decoder.run(feeds);
  return { features: featuresDiff, logits: diff(`logits [${fx.logits_shape}]`, logits.data as Float32Array, readF32(join(fixtureDir, fx.logits))) };
}
