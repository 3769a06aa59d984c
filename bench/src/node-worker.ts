// One backend in its own Node process (so thread settings and peak memory are its own):
//   node out/bench/worker.mjs --bundle DIR --backend wasm|node [--threads N] --images A.png,B.png
//     --matmul FILE --contexts 32,512 --reps R --warmup W --tokens T --out FILE.json [--dump DIR] [--sweep]
// Writes StageResults (plus peak RSS and the encoder-vs-image-size sweep) as JSON.
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { basename, join } from 'node:path';
import { parseArgs } from 'node:util';
import type { FlamingoConfig } from '../../src/flamingo/config';
import { loadOrt } from '../../src/node/ort';
import { folderSource } from '../../src/node/files';
import { decodeImage } from '../../src/node/images';
import { buildNfnetVision } from '../../src/builder/vision-nfnet';
import { encodeModel } from '../../src/builder/onnx/model';
import { randomVisionResamplerXattn } from '../../src/builder/random-weights';
import type { Ort } from '../../src/flamingo/index';
import { measureStages } from './stages';
import { timeIt, type Repetitions, type Sample } from './stats';

const { values: a } = parseArgs({
  options: {
    bundle: { type: 'string' }, backend: { type: 'string' }, threads: { type: 'string', default: '1' }, images: { type: 'string' },
    matmul: { type: 'string' }, 'matmul-flops': { type: 'string' }, contexts: { type: 'string' }, reps: { type: 'string' },
    warmup: { type: 'string' }, tokens: { type: 'string' }, out: { type: 'string' }, dump: { type: 'string' }, sweep: { type: 'string' },
  },
});
const need = (v: string | undefined, flag: string) => { if (v === undefined) throw new Error(`worker: ${flag} is required`); return v; };

async function main(): Promise<void> {
  const backend = need(a.backend, '--backend');
  if (backend !== 'wasm' && backend !== 'node') throw new Error(`worker: --backend must be wasm or node, got "${backend}"`);
  const threads = Number(a.threads);
  if (!Number.isInteger(threads) || threads < 1) throw new Error(`worker: --threads must be a positive integer, got "${a.threads}"`);
  const loaded = await loadOrt(backend, { threads });
  const ort = backend === 'node' ? withIntraOpThreads(loaded, threads) : loaded;
  const reps: Repetitions = { warmup: Number(need(a.warmup, '--warmup')), reps: Number(need(a.reps, '--reps')) };
  const rssBefore = process.memoryUsage().rss;
  let peakRssAfterEngine = 0;
  const results = await measureStages({
    ort, provider: backend === 'node' ? 'cpu' : 'wasm', source: folderSource(need(a.bundle, '--bundle')),
    images: need(a.images, '--images').split(',').map((path) => ({ name: basename(path, '.png'), bytes: new Uint8Array(readFileSync(path)) })),
    decodeImage: async (bytes) => (await decodeImage(bytes)).frames[0],
    matmulModel: new Uint8Array(readFileSync(need(a.matmul, '--matmul'))), matmulFlops: Number(need(a['matmul-flops'], '--matmul-flops')),
    contexts: need(a.contexts, '--contexts').split(',').map(Number), reps, generateTokens: Number(need(a.tokens, '--tokens')),
    log: (line) => console.error(`  [${backend}${backend === 'wasm' ? `-${threads}t` : ''}] ${line}`),
    afterEngine: () => { peakRssAfterEngine = process.resourceUsage().maxRSS * 1024; },
  });
  const sweep = a.sweep ? await visionSweep(ort, backend === 'node' ? 'cpu' : 'wasm', JSON.parse(readFileSync(join(need(a.bundle, '--bundle'), 'manifest.json'), 'utf8')).config,
    a.sweep.split(',').map(Number), reps) : [];
  if (a.dump) {
    mkdirSync(a.dump, { recursive: true });
    writeFileSync(join(a.dump, 'pixels.f32'), new Uint8Array(results.pixels!.buffer));
    writeFileSync(join(a.dump, 'prompt.json'), JSON.stringify({ ids: results.promptIds, generated: results.generated }));
  }
  const { pixels: _omit, ...rest } = results;
  writeFileSync(need(a.out, '--out'), JSON.stringify({
    ...rest, backend, threads, rssBeforeModel: rssBefore, peakRssAfterEngine, sweep,
  }));
}

/** The module with every session created with `threads` intra-op threads (the engine takes the module from its host). */
function withIntraOpThreads(ort: Ort, threads: number): Ort {
  const create = ort.InferenceSession.create.bind(ort.InferenceSession) as (model: Uint8Array, options?: object) => ReturnType<Ort['InferenceSession']['create']>;
  const InferenceSession = { create: (model: Uint8Array, options: object = {}) => create(model, { ...options, intraOpNumThreads: threads }) };
  return { ...ort, InferenceSession } as unknown as Ort;
}

export interface SweepPoint { scale: number; imageSize: [number, number]; sample: Sample }

/** The vision encoder alone at several image sizes (one frame, random weights of the same config). */
async function visionSweep(ort: Ort, provider: string, config: FlamingoConfig, scales: number[], reps: Repetitions): Promise<SweepPoint[]> {
  const out: SweepPoint[] = [];
  for (const scale of scales) {
    const [H, W] = config.vision.image_size.map((s) => Math.round((s * scale) / 32) * 32) as [number, number];
    const cfg: FlamingoConfig = { ...config, vision: { ...config.vision, image_size: [H, W] } };
    const session = await ort.InferenceSession.create(encodeModel(buildNfnetVision(cfg, randomVisionResamplerXattn(cfg, 3))).model,
      { executionProviders: [provider], graphOptimizationLevel: 'all' });
    const pixels = new ort.Tensor('float32', new Float32Array(3 * H * W).fill(0.25), [1, 3, H, W]);
    out.push({ scale, imageSize: [H, W], sample: await timeIt(async () => { for (const t of Object.values(await session.run({ pixels }))) t.dispose(); }, reps) });
    await session.release();
  }
  return out;
}

main().catch((e) => {
  console.error(`worker: ${(e as Error).stack ?? e}`);
  process.exitCode = 1;
});
