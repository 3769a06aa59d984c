// WebGPU on a real GPU, for machines that have one but no Chromium: Dawn (the WebGPU
// implementation inside Chromium) through its Node binding (npm `webgpu`, not a dependency of
// the project: `npm i --no-save webgpu` first), driving the webview's onnxruntime-web/webgpu
// build. Same stage measurements as the Chromium runs, plus the correctness checks of
// test/browser on the bundled model: latents and greedy tokens on WebGPU against WASM.
// Usage: node out/bench/dawn.mjs --images A.png,B.rgba --out result.json [--big] [--reps N]
//   A .png is decoded with sharp; an .rgba file (8-byte header: uint32 LE width, height; then
//   RGBA bytes, as --write-rgba makes) needs no native module, so the runner can travel to a GPU
//   machine as one folder. Images are decoded once up front: decode time is not measured here.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import * as ortWeb from 'onnxruntime-web/webgpu';
import { FlamingoModel, loadBundle, type FileSource, type Ort, type RgbaImage } from '../../src/flamingo/index';
import type { Manifest } from '../../src/flamingo/manifest';
import { matmulModel } from './matmul';
import { biggerConfig, ensureRandomBundle } from './models';
import { measureStages, type StageResults } from './stages';

const { values: a } = parseArgs({
  options: {
    images: { type: 'string' }, out: { type: 'string' }, 'write-rgba': { type: 'string' }, big: { type: 'boolean', default: false },
    reps: { type: 'string', default: '5' }, 'wasm-dir': { type: 'string' },
  },
});
const usage = 'usage: dawn.mjs --images A.png[,B.rgba] (--out result.json [--big] [--reps N] [--wasm-dir DIR] | --write-rgba DIR)';
const imageFiles = (a.images ?? '').split(',').filter(Boolean);
const outFile = a.out ?? '';
if (imageFiles.length === 0 || (!outFile && !a['write-rgba'])) throw new Error(usage);

const BUNDLED = 'models/flamingo-screens';
/** [column, vision/resampler provider, decoder provider (undefined: the engine's placement)]. */
const PLACEMENTS: [string, string, string | undefined][] = [['webgpu', 'webgpu', 'webgpu'], ['placed', 'webgpu', undefined], ['wasm', 'wasm', 'wasm']];
const log = (line: string) => console.log(`dawn: ${line}`);

/** RGBA of a .png (sharp, loaded only then) or an .rgba file. */
async function loadImage(file: string): Promise<RgbaImage> {
  if (!file.endsWith('.png')) return readRgba(new Uint8Array(readFileSync(file)));
  const { default: sharp } = await import('sharp');
  const { data, info } = await sharp(file).ensureAlpha().raw().toBuffer({ resolveWithObject: true });
  return { width: info.width, height: info.height, data: new Uint8Array(data.buffer, data.byteOffset, data.length) };
}

function encodeRgba({ width, height, data }: RgbaImage): Uint8Array {
  const bytes = new Uint8Array(8 + data.length);
  new DataView(bytes.buffer).setUint32(0, width, true);
  new DataView(bytes.buffer).setUint32(4, height, true);
  bytes.set(data, 8);
  return bytes;
}

function readRgba(bytes: Uint8Array): RgbaImage {
  const view = new DataView(bytes.buffer, bytes.byteOffset, 8);
  const width = view.getUint32(0, true);
  const height = view.getUint32(4, true);
  if (bytes.length !== 8 + width * height * 4) throw new Error(`rgba: ${bytes.length} bytes for ${width}x${height}`);
  return { width, height, data: bytes.subarray(8) };
}

/** WebGPU for Node: Dawn's navigator.gpu and its GPU* globals, as a browser has them. */
async function installDawn(): Promise<string> {
  const { create, globals } = await import('webgpu');
  Object.assign(globalThis, globals);
  // onnxruntime-web's WASM memory is a SharedArrayBuffer (threaded build); Chromium's writeBuffer takes
  // views of it, Dawn's Node binding rejects them ("Invalid argument"): hand it a copy instead.
  const queue = (globals.GPUQueue as { prototype: { writeBuffer(...args: unknown[]): void } }).prototype;
  const writeBuffer = queue.writeBuffer;
  queue.writeBuffer = function (buffer: unknown, offset: number, data: ArrayBufferView, dataOffset?: number, size?: number) {
    if (ArrayBuffer.isView(data) && data.buffer instanceof SharedArrayBuffer) {
      const copy = new Uint8Array(data.buffer, data.byteOffset, data.byteLength).slice();
      const Typed = data.constructor as new (b: ArrayBuffer) => ArrayBufferView;
      data = new Typed(copy.buffer);
    }
    return writeBuffer.call(this, buffer, offset, data, dataOffset, size);
  };
  const gpu = create([]);
  Object.defineProperty(globalThis, 'navigator', { value: { gpu, userAgent: 'node' }, configurable: true });
  const adapter = await gpu.requestAdapter();
  if (!adapter) throw new Error('Dawn found no WebGPU adapter (no Vulkan driver?)');
  const info = adapter.info as unknown as Record<string, string>;
  return ['vendor', 'architecture', 'device', 'description'].map((k) => info[k]).filter(Boolean).join(' ');
}

const maxAbsDiff = (x: ArrayLike<number>, y: ArrayLike<number>) => {
  if (x.length !== y.length) return Infinity;
  let m = 0;
  for (let i = 0; i < x.length; i++) m = Math.max(m, Math.abs(x[i] - y[i]));
  return m;
};

/** The browser suite's checks, on this adapter: latents and greedy tokens, WebGPU (decoder included) against WASM. */
async function correctness(ort: Ort, source: FileSource, images: { name: string; image: RgbaImage }[]) {
  const bundle = await loadBundle(source);
  const run = async (provider: string) => {
    const model = await FlamingoModel.create(bundle, ort, { executionProviders: [provider], decoderExecutionProvider: provider });
    const out: { backend: string; latents: Float32Array[]; tokens: number[][] } = { backend: model.backend, latents: [], tokens: [] };
    for (const { image } of images) {
      out.latents.push(Float32Array.from((await model.encodeMedia([image])).latents));
      for (const question of ['Describe the screen.', 'Explain the error.']) {
        const prompt = await model.preparePrompt([{ type: 'image', image }, { type: 'text', text: question }]);
        const ids: number[] = [];
        for await (const id of model.generateTokens(prompt, { temperature: 0, maxTokens: 48 })) ids.push(id);
        out.tokens.push(ids);
      }
    }
    const text = out.tokens.map((ids) => model.tokenizer.decode(ids));
    await model.dispose();
    return { ...out, text };
  };
  const gpu = await run('webgpu');
  const cpu = await run('wasm');
  return {
    backends: [gpu.backend, cpu.backend],
    latentsMaxDiff: images.map((img, i) => ({ image: img.name, maxAbsDiff: maxAbsDiff(gpu.latents[i], cpu.latents[i]) })),
    sameTokens: gpu.tokens.map((t, i) => t.length === cpu.tokens[i].length && t.every((id, j) => id === cpu.tokens[i][j])),
    answers: gpu.text,
  };
}

async function main(): Promise<void> {
  const decoded = await Promise.all(imageFiles.map(async (f) => ({ name: basename(f).replace(/\.(png|rgba)$/, ''), image: await loadImage(f) })));
  if (a['write-rgba']) { // only convert, for a machine without sharp
    for (const { name, image } of decoded) writeFileSync(join(a['write-rgba'], `${name}.rgba`), encodeRgba(image));
    return;
  }
  const adapter = await installDawn();
  log(`adapter: ${adapter}`);
  const ort = ortWeb as unknown as Ort;
  // The .wasm's bytes (the JS glue is bundled in; this browser build would fetch() a path).
  ort.env.wasm.wasmBinary = Uint8Array.from(readFileSync(resolve(a['wasm-dir'] ?? 'node_modules/onnxruntime-web/dist', 'ort-wasm-simd-threaded.asyncify.wasm'))).buffer;
  // 1 thread, as in the webview; with more, this browser build fetch()es its worker script, which Node cannot.
  ort.env.wasm.numThreads = 1;
  const images = decoded.map(({ name, image }) => ({ name, bytes: encodeRgba(image) }));
  const fileSource = (dir: string): FileSource => ({ read: async (path) => new Uint8Array(readFileSync(join(dir, path))) });

  const result: Record<string, unknown> = { adapter, threads: ort.env.wasm.numThreads };
  log('correctness: bundled model, WebGPU vs WASM');
  result.correctness = await correctness(ort, fileSource(BUNDLED), decoded);
  log(JSON.stringify(result.correctness));

  const manifest = JSON.parse(readFileSync(join(BUNDLED, 'manifest.json'), 'utf8')) as Manifest;
  const models: [string, string][] = [['bundled', BUNDLED]];
  if (a.big) {
    const dir = 'out/bench/models/big';
    ensureRandomBundle(dir, biggerConfig(manifest.config), manifest.preprocess, 2, log);
    models.push(['big', join(dir, 'bundle')]);
  }
  const matmul = matmulModel(1024);
  const reps = { warmup: 2, reps: Number(a.reps) };
  const stages: Record<string, Record<string, StageResults>> = {};
  for (const [key, dir] of models) {
    stages[key] = {};
    // The engine rows: everything on WebGPU, the product's placement (decoder on WASM for a small decoder), everything on WASM.
    for (const [column, provider, decoderProvider] of PLACEMENTS) {
      log(`stages: ${key} on ${column}`);
      const r = await measureStages({
        ort, provider, decoderProvider, source: fileSource(dir), images, decodeImage: async (bytes) => readRgba(bytes),
        matmulModel: matmul.bytes, matmulFlops: matmul.flops, contexts: [32, 512, 1024], reps, generateTokens: 32, log,
      });
      stages[key][column] = { ...r, pixels: undefined };
    }
    const tokens = Object.values(stages[key]).map((r) => r.generated.join());
    log(`${key}: greedy tokens the same in every placement: ${tokens.every((t) => t === tokens[0])}`);
  }
  result.stages = stages;
  writeFileSync(outFile, JSON.stringify(result, null, 1));
  log(`wrote ${outFile}`);
  printTable(stages);
}

/** Median (min-max) ms per stage, per placement. The graph rows run each graph alone on the column's vision provider. */
function printTable(stages: Record<string, Record<string, StageResults>>): void {
  const cell = (s: StageResults['samples'][string] | undefined) => (s ? `${s.median.toFixed(2)} (${s.min.toFixed(2)}-${s.max.toFixed(2)})` : '-');
  for (const [key, byColumn] of Object.entries(stages)) {
    console.log(`\n### ${key}\n\n| stage | all WebGPU (Dawn) ms | WebGPU + WASM decoder ms | all WASM ms |\n|---|---|---|---|`);
    for (const n of Object.keys(byColumn.webgpu.samples).filter((name) => !name.startsWith('image.decode'))) {
      console.log(`| ${n} | ${cell(byColumn.webgpu.samples[n])} | ${cell(byColumn.placed.samples[n])} | ${cell(byColumn.wasm.samples[n])} |`);
    }
    const tps = (r: StageResults) => r.decodeTokensPerSecond.toFixed(1);
    console.log(`| decode tokens/s (engine, 32 tokens) | ${tps(byColumn.webgpu)} | ${tps(byColumn.placed)} | ${tps(byColumn.wasm)} |`);
  }
}

if (!existsSync(BUNDLED)) throw new Error(`run from the repository root (${BUNDLED} not found)`);
main().then(() => process.exit(0), (e: Error) => { console.error(e.stack ?? String(e)); process.exit(1); });
