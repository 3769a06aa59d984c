// The stage measurements, environment-free: the same code runs in the Node worker (onnxruntime-web
// WASM, onnxruntime-node) and in Chromium (onnxruntime-web WASM and WebGPU).
// Two phases: first the engine as the product uses it (FlamingoModel: load, time to first token,
// generation, a second question about the same image, a recording, a few-shot prompt), then
// each graph on its own with its own sessions (vision, resampler, prefill, decode at a context).
import type * as OrtModule from 'onnxruntime-common';
import { FlamingoModel, loadBundle, type FileSource, type Ort, type PromptSegment, type RgbaImage, type Timings } from '../../src/flamingo/index';
import { lmHeadDim, xattnLayers } from '../../src/flamingo/config';
import type { Manifest } from '../../src/flamingo/manifest';
import { attentionBias, mediaBias, mediaGate, visualTokens } from '../../src/flamingo/masks';
import { BufferPool, imageViews, toPixels } from '../../src/flamingo/preprocess';
import { timeIt, timeSelf, type Repetitions, type Sample } from './stats';

type Session = OrtModule.InferenceSession;
type Tensor = OrtModule.Tensor;

export interface ImageInput { name: string; bytes: Uint8Array }

export interface StageOptions {
  ort: Ort;
  provider: string;                 // execution provider: 'cpu', 'wasm', 'webgpu'
  decoderProvider?: string;         // the engine's decoder (default: its own placement, WASM beside WebGPU for a small decoder)
  source: FileSource;               // the bundle folder
  images: ImageInput[];             // PNG screenshots; the first is the one the model sees
  decodeImage(bytes: Uint8Array): Promise<RgbaImage>;
  matmulModel: Uint8Array;          // a large MatMul, for the backend's peak GFLOP/s
  matmulFlops: number;
  contexts: number[];               // decode-step contexts to time
  reps: Repetitions;
  generateTokens: number;           // greedy tokens to generate (and compare with the peer)
  log(line: string): void;
  /** Skip the requests that repeat vision work (encode, second question, recording, few-shot) and the peak MatMul: for a software GPU. */
  light?: boolean;
  /** Called after the engine phase (Node reads its peak RSS there). */
  afterEngine?(): void;
}

export interface StageResults {
  samples: Record<string, Sample>;
  contextsUsed: Record<number, number>; // requested decode context -> the one timed (below max_seq_len)
  promptIds: number[];              // the 64-token prompt (BOS, <image>, text)
  generated: number[];              // greedy tokens after it
  decodeTokensPerSecond: number;    // of that generation (engine onTimings)
  secondQuestion?: { first: Timings; second: Timings }; // absent in light runs
  fewShot?: Timings;
  pixels?: Float32Array;            // the first image's pixels [F, 3, H, W] (for the peer)
}

const PROMPT_TOKENS = 64;
const QUESTION_1 = 'Describe the screen and explain any error that it shows. ';
const QUESTION_2 = 'What should I click to fix it? ';

export async function measureStages(o: StageOptions): Promise<StageResults> {
  const samples: Record<string, Sample> = {};
  const { reps } = o;
  const few = wholeRequestReps(reps);

  // The webview warms the engine up once after loading (FlamingoModel.warmUp): on WASM, V8
  // optimises the hot code while it runs. Everything below is timed after it, as a person's
  // requests after the first few seconds would be; bench/README item 9 has the cold start.
  // On a software GPU the webview skips it, and so does this.
  const bundle = await loadBundle(o.source);
  const createOptions = { executionProviders: [o.provider], decoderExecutionProvider: o.decoderProvider };
  if (!o.light) {
    o.log('engine: warm-up');
    const warming = await FlamingoModel.create(bundle, o.ort, createOptions);
    samples['engine.warmup'] = await timeIt(() => warming.warmUp(), { warmup: 0, reps: 1 });
    await warming.dispose();
  }

  // Images: decode (PNG -> RGBA) and preprocess (letterbox, tiles, normalise) per size.
  const rgba: RgbaImage[] = [];
  samples['load.read'] = await timeIt(() => loadBundle(o.source), few);
  for (const img of o.images) {
    samples[`image.decode.${img.name}`] = await timeIt(() => o.decodeImage(img.bytes), reps);
    const decoded = await o.decodeImage(img.bytes);
    rgba.push(decoded);
    // Into reused buffers, as the engine does (BufferPool).
    const spec = bundle.manifest.preprocess, pool = new BufferPool();
    samples[`image.preprocess.${img.name}`] = await timeIt(() => { pool.reset(); return toPixels(imageViews(decoded, spec, pool), spec, pool); }, reps);
  }

  // Engine phase.
  o.log('engine: create');
  samples['load.create'] = await timeIt(async () => (await FlamingoModel.create(bundle, o.ort, createOptions)).dispose(), few);
  const model = await FlamingoModel.create(bundle, o.ort, createOptions);
  const screenshot = rgba[0];
  const prompt = async (question: string) => {
    const handle = await model.encodeMedia([screenshot]);
    return promptOfLength(model, handle, question, PROMPT_TOKENS);
  };
  o.log('engine: encode, time to first token');
  if (!o.light) samples['engine.encode'] = await timeIt(() => model.encodeMedia([screenshot]), reps);
  samples['engine.ttft'] = await timeIt(async () => {
    for await (const _ of model.generateTokens(await prompt(QUESTION_1), { maxTokens: 1, temperature: 0 })) break;
  }, reps);
  o.log('engine: generate');
  const p64 = await prompt(QUESTION_1);
  const gen = await timeSelf(async () => {
    const ids: number[] = [];
    let t: Timings | undefined;
    for await (const id of model.generateTokens(p64, { maxTokens: o.generateTokens, temperature: 0, onTimings: (x) => { t = x; } })) ids.push(id);
    return { ms: t!.prefillMs + t!.decodeMs, result: { ids, t: t! } };
  }, few);
  samples['engine.generate'] = gen.sample;

  const extras = o.light ? undefined : await measureRequests(model, screenshot, few, samples, o.log);
  await model.dispose();
  o.afterEngine?.();

  // Graph phase: each graph with its own session, fed as the engine feeds it.
  o.log('graphs: vision, resampler');
  const { manifest } = bundle;
  const sessions = await openSessions(o.ort, bundle.files, manifest, o.provider);
  const [H, W] = manifest.preprocess.image_size;
  const views = imageViews(screenshot, manifest.preprocess);
  const pixelData = toPixels(views, manifest.preprocess);
  const pixels = new o.ort.Tensor('float32', pixelData, [views.length, 3, H, W]);
  samples['graph.vision'] = await timeIt(async () => disposeAll(await sessions.vision.run({ pixels })), reps);
  const { features } = await sessions.vision.run({ pixels });
  samples['graph.resampler'] = await timeIt(async () => disposeAll(await sessions.resampler.run({ features })), reps);
  const mediaKv = await sessions.resampler.run({ features });

  o.log('graphs: prefill, decode steps');
  // What the engine fetches: on the CPU the logits and the new positions' keys/values (it keeps
  // the cache itself); on WebGPU it keeps present_* on the GPU, here everything is read back.
  const fetches = o.provider === 'webgpu' ? [...sessions.decoder.outputNames]
    : sessions.decoder.outputNames.filter((n) => n === 'logits' || n.startsWith('new_'));
  const decoderRun = (S: number, past: number) => {
    const feeds = decoderFeeds(o.ort, manifest, S, past, mediaKv);
    return async () => disposeAll(await sessions.decoder.run(pick(feeds, sessions.decoder.inputNames), fetches));
  };
  samples['graph.prefill64'] = await timeIt(decoderRun(PROMPT_TOKENS, 0), reps);
  const contextsUsed: Record<number, number> = {};
  for (const c of o.contexts) {
    contextsUsed[c] = Math.min(c, manifest.config.lm.max_seq_len - 1); // the last position a model of max_seq_len positions has
    samples[`graph.decode@${c}`] = await timeIt(decoderRun(1, contextsUsed[c]), decodeStepReps(reps, o.light));
  }
  await Promise.all([sessions.vision.release(), sessions.resampler.release(), sessions.decoder.release()]);
  if (!o.light) {
    o.log('peak MatMul');
    const matmul = await o.ort.InferenceSession.create(o.matmulModel, { executionProviders: [o.provider], graphOptimizationLevel: 'all' });
    const n = Math.round(Math.cbrt(o.matmulFlops / 2));
    const a = new o.ort.Tensor('float32', Float32Array.from({ length: n * n }, (_, i) => ((i * 7919) % 1000) / 1000 - 0.5), [n, n]);
    // The peak is the best run: take many (a few ms each), so that a busy moment on the other core does not set it.
    samples['peak.matmul'] = await timeIt(async () => disposeAll(await matmul.run({ a })), { ...reps, reps: Math.max(reps.reps, 30) });
    await matmul.release();
  }

  return {
    samples, contextsUsed, promptIds: p64.ids, generated: gen.result.ids,
    decodeTokensPerSecond: gen.result.t.generatedTokens > 1 ? ((gen.result.t.generatedTokens - 1) * 1000) / gen.result.t.decodeMs : 0,
    secondQuestion: extras?.secondQuestion, fewShot: extras?.fewShot, pixels: pixelData,
  };
}

/** Whole requests: a second question about the same image, a 4-frame recording, a 3-image few-shot prompt. */
async function measureRequests(model: FlamingoModel, screenshot: RgbaImage, few: Repetitions, samples: Record<string, Sample>, log: (line: string) => void) {
  log('engine: second question, recording, few-shot');
  const second = await timeSelf(async () => {
    const first = await timingsOf(model, [{ type: 'image', image: screenshot }, { type: 'text', text: QUESTION_1 }]);
    const handle = await model.encodeMedia([screenshot]); // what the chat keeps for the image
    const again = await timingsOf(model, [{ type: 'image', image: handle }, { type: 'text', text: QUESTION_1 }, { type: 'answer', text: 'ok' }, { type: 'text', text: QUESTION_2 }]);
    return { ms: again.encodeMs + again.prefillMs, result: { first, second: again } };
  }, few);
  samples['engine.second_question'] = second.sample;
  const frames = [0, 1, 2, 3].map((i) => shifted(screenshot, i * 8));
  samples['engine.recording4'] = await timeIt(() => model.encodeMedia(frames), few);
  const fewShotPrompt: PromptSegment[] = [
    { type: 'image', image: screenshot }, { type: 'text', text: 'Describe the screen.' }, { type: 'answer', text: 'A settings page with a red error banner.' },
    { type: 'image', image: shifted(screenshot, 16) }, { type: 'text', text: 'Describe the screen.' }, { type: 'answer', text: 'A terminal with a failing test.' },
    { type: 'image', image: shifted(screenshot, 32) }, { type: 'text', text: 'Describe the screen.' },
  ];
  const fewShot = await timeSelf(async () => {
    const t = await timingsOf(model, fewShotPrompt);
    return { ms: t.encodeMs + t.prefillMs, result: t };
  }, few);
  samples['engine.fewshot3'] = fewShot.sample;
  return { secondQuestion: second.result, fewShot: fewShot.result };
}

/** Fewer runs for the slow, whole-request stages (each encodes images): at most 3, one warm-up when there are several. */
export function wholeRequestReps(r: Repetitions): Repetitions {
  return { warmup: r.reps > 1 ? Math.min(1, r.warmup) : 0, reps: Math.min(3, r.reps) };
}

/** More runs for single decode steps (a millisecond each; one slow run moves a median of 4): at least 20, except on SwiftShader. */
export function decodeStepReps(r: Repetitions, light = false): Repetitions {
  return light ? r : { warmup: Math.max(r.warmup, 2), reps: Math.max(r.reps, 20) };
}

/** BOS, <image>, then the question's tokens repeated: exactly `length` tokens. */
async function promptOfLength(model: FlamingoModel, handle: Awaited<ReturnType<FlamingoModel['encodeMedia']>>, question: string, length: number) {
  const p = await model.preparePrompt([{ type: 'image', image: handle }, { type: 'text', text: question.repeat(length) }]);
  if (p.ids.length < length) throw new Error(`prompt: only ${p.ids.length} tokens, wanted ${length}`);
  return { ids: p.ids.slice(0, length), mediaIds: p.mediaIds.slice(0, length), media: p.media };
}

/** Timings of one answer's first token through the product path (generate), media encoding included. */
async function timingsOf(model: FlamingoModel, segments: PromptSegment[]): Promise<Timings> {
  let t: Timings | undefined;
  for await (const _ of model.generate(segments, { maxTokens: 1, temperature: 0, onTimings: (x) => { t = x; } })) break;
  if (!t) throw new Error('generate reported no timings');
  return t;
}

/** The image moved right by dx pixels (a different frame with the same cost). */
function shifted(img: RgbaImage, dx: number): RgbaImage {
  const data = new Uint8Array(img.data.length).fill(255);
  for (let y = 0; y < img.height; y++) {
    const row = y * img.width * 4;
    data.set(img.data.subarray(row, row + (img.width - dx) * 4), row + dx * 4);
  }
  return { width: img.width, height: img.height, data };
}

interface Sessions { vision: Session; resampler: Session; decoder: Session }

/** The bundle's three graphs with the engine's session options (external data as bytes). */
async function openSessions(ort: Ort, files: ReadonlyMap<string, Uint8Array>, manifest: Manifest, provider: string): Promise<Sessions> {
  const open = (graph: string) => {
    const externalData = [...files.keys()].filter((p) => p.startsWith(`${graph}.data`)).map((path) => ({ path, data: files.get(path)! }));
    return ort.InferenceSession.create(files.get(graph)!, {
      executionProviders: [provider], graphOptimizationLevel: 'all', ...(externalData.length ? { externalData } : {}),
    });
  };
  const { graphs } = manifest;
  return { vision: await open(graphs.vision), resampler: await open(graphs.resampler), decoder: await open(graphs.decoder) };
}

/**
 * Decoder feeds for S new tokens after `past` cached ones, all belonging to the one image:
 * the engine's masks, the image's visual keys/values, and a random-valued past of that length.
 */
function decoderFeeds(ort: Ort, manifest: Manifest, S: number, past: number, mediaKv: Record<string, Tensor>): Record<string, Tensor> {
  const { lm, resampler, xattn } = manifest.config;
  const N = resampler.num_latents, V = visualTokens(1, N), hd = lmHeadDim(lm);
  const mediaIds = Array.from({ length: S }, () => 1);
  const feeds: Record<string, Tensor> = {
    input_ids: new ort.Tensor('int64', BigInt64Array.from({ length: S }, (_, j) => BigInt(3 + (j % 200))), [1, S]),
    position_ids: new ort.Tensor('int64', BigInt64Array.from({ length: S }, (_, j) => BigInt(past + j)), [1, S]),
    attention_bias: new ort.Tensor('float32', attentionBias(past, S), [1, 1, S, past + S]),
    media_bias: new ort.Tensor('float32', mediaBias(mediaIds, 1, N), [1, 1, S, V]),
    media_gate: new ort.Tensor('float32', mediaGate(mediaIds), [1, S, 1]),
  };
  for (const i of xattnLayers(manifest.config)) {
    for (const kind of ['key', 'value']) {
      feeds[`media_${kind}.${i}`] = new ort.Tensor('float32', mediaKv[`media_${kind}.${i}`].data as Float32Array, [1, xattn.heads, V, xattn.head_dim]);
    }
  }
  const pastValues = Float32Array.from({ length: lm.n_kv_heads * past * hd }, (_, k) => Math.sin(k) * 0.5);
  for (let i = 0; i < lm.n_layers; i++) {
    feeds[`past_key.${i}`] = new ort.Tensor('float32', pastValues, [1, lm.n_kv_heads, past, hd]);
    feeds[`past_value.${i}`] = new ort.Tensor('float32', pastValues, [1, lm.n_kv_heads, past, hd]);
  }
  return feeds;
}

function pick(feeds: Record<string, Tensor>, names: readonly string[]): Record<string, Tensor> {
  return Object.fromEntries(names.map((n) => [n, feeds[n]]));
}

function disposeAll(tensors: Record<string, Tensor>): void {
  for (const t of Object.values(tensors)) t.dispose();
}
