// The Flamingo engine: vision encoder -> Perceiver Resampler -> decoder with a KV cache, on
// whichever onnxruntime module the host passes in (onnxruntime-web, onnxruntime-web/webgpu
// or onnxruntime-node). Visual keys and values are computed once per media item and once per
// prompt concatenated, then reused at every decoding step.
import type * as OrtModule from 'onnxruntime-common';
import type { Bundle } from './bundle';
import { lmHeadDim, visionPositions, visionWidth, xattnLayers, type FlamingoConfig } from './config';
import { BundleError } from './errors';
import type { Manifest } from './manifest';
import { attentionBias, mediaBias, mediaGate, visualTokens } from './masks';
import { KvCache } from './kvCache';
import { concatMedia, MediaHandle } from './media';
import { BufferPool, imageViews, toPixels, videoViews, type RgbaImage } from './preprocess';
import { tokenizePrompt, type PromptPart } from './prompt';
import { sampleToken, seededRandom } from './sampling';
import { byteFallbackValue, StopStrings, TextStream } from './stream';
import { TextTokenizer } from './tokenizer';

/** The onnxruntime module: onnxruntime-web, onnxruntime-web/webgpu or onnxruntime-node. */
export type Ort = typeof OrtModule;
type Session = OrtModule.InferenceSession;
type SessionOptions = OrtModule.InferenceSession.SessionOptions;
type Tensor = OrtModule.Tensor;

export type PromptSegment =
  | { type: 'text'; text: string }
  | { type: 'image'; image: RgbaImage | MediaHandle }
  | { type: 'video'; frames: RgbaImage[] }
  | { type: 'answer'; text: string }; // a previous model turn, closed with <|endofchunk|>

/** Token ids of a prompt, the media id of each token, and the encoded media they refer to. */
export interface PreparedPrompt {
  ids: number[];
  mediaIds: number[];
  media: MediaHandle[];
}

export interface Timings {
  encodeMs: number;        // vision + resampler for the prompt's new media
  prefillMs: number;       // the decoder run over the whole prompt
  decodeMs: number;        // all later decoder runs
  promptTokens: number;
  generatedTokens: number;
  tokensPerSecond: number; // generated tokens per second of prefill + decode
}

export interface GenerateOptions {
  maxTokens?: number;
  /** The answer's stop tokens are not chosen before this many tokens (default 0). */
  minTokens?: number;
  temperature?: number;
  topK?: number;
  topP?: number;
  repetitionPenalty?: number;
  seed?: number;
  stop?: string[];
  /** Checked before and after every decoder run: generation then throws signal.reason (an AbortError). */
  signal?: AbortSignal;
  onTimings?(t: Timings): void;
}

export interface CreateOptions {
  /** Tried in order, one at a time; the first that creates the sessions wins. Default: 'cpu' on onnxruntime-node, 'wasm' on onnxruntime-web. */
  executionProviders?: string[];
  /**
   * Merged into every session (threads, spinning, logging...). The engine's own fields win:
   * executionProviders, externalData and preferredOutputLocation are ignored here.
   * E.g. onnxruntime-node on a shared machine:
   * `{ intraOpNumThreads: 1, extra: { session: { 'intra_op.allow_spinning': '0' } } }`.
   */
  sessionOptions?: SessionOptions;
  /** Where the decoder runs. Default: decoderPlacement (WASM beside a WebGPU encoder for a small decoder). */
  decoderExecutionProvider?: string;
  onProgress?(stage: string, fraction: number): void;
}

/** Decoders up to this many bytes of weights run on WASM even when the vision encoder got WebGPU. */
const SMALL_DECODER_BYTES = 32 * 2 ** 20;

/**
 * Where the decoder runs, given where the vision encoder runs. A decode step is one token: on
 * WebGPU its time is mostly fixed cost (a few hundred small kernel dispatches, the logits read
 * back); on WASM it grows with the weights read. Measured on an NVIDIA H200 through Dawn
 * (bench/results-webgpu.md): the bundled model's step took 18 ms on WebGPU and 0.9 ms on WASM,
 * so its answers stream 13x faster with the decoder on WASM; a 10x config (120 MB of decoder
 * weights) took 26 and 13 ms, but its prompt prefill took 25 and 168 ms, and a 32-token answer
 * took about as long either way: decoders that large stay on the GPU.
 */
export function decoderPlacement(bundle: Bundle, visionBackend: string): string {
  if (visionBackend !== 'webgpu') return visionBackend;
  const graph = bundle.manifest.graphs.decoder;
  const bytes = Object.entries(bundle.manifest.files).filter(([path]) => path === graph || path.startsWith(`${graph}.data`))
    .reduce((sum, [, f]) => sum + f.size, 0);
  return bytes <= SMALL_DECODER_BYTES ? 'wasm' : 'webgpu';
}

const now = () => globalThis.performance.now();

/** The warm-up's request: a prompt of ordinary length, then decode steps whatever the model says. */
const WARM_UP_QUESTION = 'Describe the screen and explain any error that it shows.';
const WARM_UP_TOKENS = 24;
/** Rounds of warmUp(): in Chromium, three cut the first answers' time several-fold (bench/README.md, item 9). */
export const WARM_UP_ROUNDS = 3;

export class FlamingoModel {
  private readonly gated: number[];
  /** past_|present_|new_ key.{i}, value.{i} for every layer, in KvCache entry order. */
  private readonly kvNames: Record<'past' | 'present' | 'new', string[]>;
  /** Preprocessing's buffers, reused by one encode after another (see Buffers); busy during one. */
  private readonly buffers = new BufferPool();
  private buffersBusy = false;

  private constructor(
    readonly manifest: Manifest,
    /** Where the vision encoder and resampler run. */
    readonly backend: string,
    /** Where the decoder runs (decoderPlacement). */
    readonly decoderBackend: string,
    readonly tokenizer: TextTokenizer,
    private readonly ort: Ort,
    private readonly vision: Session,
    private readonly resampler: Session,
    private readonly decoder: Session,
  ) {
    this.gated = xattnLayers(manifest.config);
    const names = (prefix: string) => Array.from({ length: manifest.config.lm.n_layers }, (_, i) => [`${prefix}_key.${i}`, `${prefix}_value.${i}`]).flat();
    this.kvNames = { past: names('past'), present: names('present'), new: names('new') };
  }

  static async create(bundle: Bundle, ort: Ort, opts: CreateOptions = {}): Promise<FlamingoModel> {
    const { manifest } = bundle;
    const progress = opts.onProgress ?? (() => {});
    const isNode = Boolean((ort.env.versions as Record<string, string | undefined>).node);
    const providers = opts.executionProviders ?? [isNode ? 'cpu' : 'wasm'];
    const host = opts.sessionOptions ?? {};
    progress('tokenizer', 0);
    const tokenizer = TextTokenizer.fromBytes(bundleFile(bundle, manifest.tokenizer));
    const opened: Session[] = []; // released again if a later step fails
    try {
      progress('vision', 0.1);
      const { session: vision, backend } = await createWithFallback(ort, bundle, manifest.graphs.vision, providers, host);
      opened.push(vision);
      progress('resampler', 0.3);
      const resampler = await createSession(ort, bundle, manifest.graphs.resampler, backend, host);
      opened.push(resampler);
      progress('decoder', 0.5);
      const decoderBackend = opts.decoderExecutionProvider ?? decoderPlacement(bundle, backend);
      // On WebGPU the KV cache stays on the GPU between steps.
      const presentNames = Array.from({ length: manifest.config.lm.n_layers }, (_, i) => [`present_key.${i}`, `present_value.${i}`]).flat();
      const decoder = await createSession(ort, bundle, manifest.graphs.decoder, decoderBackend, host, decoderBackend === 'webgpu'
        ? { preferredOutputLocation: Object.fromEntries(presentNames.map((n) => [n, 'gpu-buffer' as const])) }
        : {});
      opened.push(decoder);
      checkGraphs(manifest.config, vision, resampler, decoder);
      progress('ready', 1);
      return new FlamingoModel(manifest, backend, decoderBackend, tokenizer, ort, vision, resampler, decoder);
    } catch (e) {
      await Promise.all(opened.map((session) => session.release()));
      throw e;
    }
  }

  /** Whether the decoder has gated cross-attention layers (a plain LM ignores media). */
  get hasCrossAttention(): boolean { return this.gated.length > 0; }

  /** Runs vision + resampler over one media item: one image (with tiles if configured) or the frames of a recording. */
  async encodeMedia(frames: RgbaImage[]): Promise<MediaHandle> {
    if (frames.length === 0) throw new Error('encodeMedia: no frames given');
    const start = now();
    const { preprocess, config } = this.manifest;
    // Encodes that overlap (a caller not awaiting the last) get fresh buffers: the pool's
    // pixels are the vision run's input until it ends.
    const pooled = !this.buffersBusy;
    const buffers = pooled ? this.buffers : undefined;
    if (pooled) { this.buffersBusy = true; this.buffers.reset(); }
    let features: Tensor, frameCount: number;
    try {
      const views = frames.length === 1 ? imageViews(frames[0], preprocess, buffers) : videoViews(frames, preprocess, buffers);
      const maxFrames = config.resampler.max_frames;
      if (maxFrames > 0 && views.length > maxFrames) {
        throw new Error(`encodeMedia: ${views.length} frames, but the resampler takes at most ${maxFrames}`);
      }
      const [H, W] = preprocess.image_size;
      frameCount = views.length;
      const pixels = new this.ort.Tensor('float32', toPixels(views, preprocess, buffers), [frameCount, 3, H, W]);
      ({ features } = await this.vision.run({ pixels }));
    } finally {
      if (pooled) this.buffersBusy = false;
    }
    const out = await this.resampler.run({ features });
    features.dispose();
    const keys = new Map<number, Float32Array>(), values = new Map<number, Float32Array>();
    for (const i of this.gated) {
      keys.set(i, await floats(out[`media_key.${i}`]));
      values.set(i, await floats(out[`media_value.${i}`]));
    }
    const latents = await floats(out.latents);
    for (const t of Object.values(out)) t.dispose();
    return new MediaHandle(frameCount, latents, keys, values, now() - start);
  }

  /** Encodes the prompt's media (reusing handles) and tokenises its text. */
  async preparePrompt(segments: readonly PromptSegment[]): Promise<PreparedPrompt> {
    const media: MediaHandle[] = [];
    const parts: PromptPart[] = [];
    for (const s of segments) {
      if (s.type === 'text' || s.type === 'answer') { parts.push(s); continue; }
      const handle = s.type === 'video' ? await this.encodeMedia(s.frames)
        : s.image instanceof MediaHandle ? s.image : await this.encodeMedia([s.image]);
      media.push(handle);
      parts.push({ type: 'media' });
    }
    const { ids, mediaIds } = tokenizePrompt(parts, (t) => this.tokenizer.encode(t), this.manifest.tokens);
    return { ids, mediaIds, media };
  }

  /** Streams the answer as text deltas that never split a UTF-8 character. */
  async *generate(prompt: readonly PromptSegment[], opts: GenerateOptions = {}): AsyncGenerator<string> {
    const start = now();
    const prepared = await this.preparePrompt(prompt);
    const encodeMs = now() - start;
    let timings: Timings | undefined;
    const text = new TextStream((ids) => this.tokenizer.decode(ids), (id) => byteFallbackValue(this.tokenizer.tokenOf(id)));
    const stops = new StopStrings(opts.stop ?? []);
    try {
      for await (const id of this.generateTokens(prepared, { ...opts, onTimings: (t) => { timings = t; } })) {
        const delta = stops.push(text.push(id));
        if (delta) yield delta;
        if (stops.done) return;
      }
      const tail = stops.push(text.flush()) + stops.flush();
      if (tail) yield tail;
    } finally {
      if (timings) opts.onTimings?.({ ...timings, encodeMs });
    }
  }

  /**
   * Lower level: yields generated token ids (stop tokens are not yielded). New tokens belong
   * to the last media item of the prompt.
   */
  async *generateTokens(prompt: PreparedPrompt, opts: GenerateOptions = {}): AsyncGenerator<number> {
    const { config, generation, tokens } = this.manifest;
    const o = {
      maxTokens: opts.maxTokens ?? generation.max_tokens,
      temperature: opts.temperature ?? generation.temperature,
      topK: opts.topK ?? generation.top_k,
      topP: opts.topP ?? generation.top_p,
      repetitionPenalty: opts.repetitionPenalty ?? generation.repetition_penalty,
    };
    const { ids, mediaIds, media } = prompt;
    if (ids.length === 0 || ids.length !== mediaIds.length) throw new Error(`generate: ${ids.length} prompt tokens but ${mediaIds.length} media ids`);
    if (ids.length >= config.lm.max_seq_len) throw new Error(`generate: the prompt has ${ids.length} tokens, the model's limit is ${config.lm.max_seq_len}`);
    const random = seededRandom(opts.seed ?? Math.floor(Math.random() * 2 ** 32));
    const stopIds = new Set([tokens.eos, tokens.endofchunk]);
    const mediaFeeds = this.mediaFeeds(media);
    const cache = this.kvCache();
    const fetches = ['logits', ...this.kvNames[cache ? 'new' : 'present']]; // the CPU cache needs only the new positions
    let past = this.cachedPast(cache);
    const seen = [...ids];
    const timings: Timings = { encodeMs: 0, prefillMs: 0, decodeMs: 0, promptTokens: ids.length, generatedTokens: 0, tokensPerSecond: 0 };
    let stepIds = ids, stepMedia = mediaIds, position = 0;
    try {
      for (let step = 0; step < o.maxTokens && position + stepIds.length <= config.lm.max_seq_len; step++) {
        opts.signal?.throwIfAborted();
        const start = now();
        const feeds = { ...this.stepFeeds(stepIds, stepMedia, position, media.length), ...mediaFeeds, ...past };
        const out = await this.decoder.run(pick(feeds, this.decoder.inputNames), fetches);
        disposeAll(past);
        if (cache) this.kvNames.new.forEach((name, e) => cache.append(e, out[name].data as Float32Array, stepIds.length));
        past = cache ? this.cachedPast(cache) : this.presentAsPast(out);
        const logits = await lastRow(out.logits, stepIds.length);
        out.logits.dispose();
        timings[step === 0 ? 'prefillMs' : 'decodeMs'] += now() - start;
        opts.signal?.throwIfAborted();
        position += stepIds.length;
        if (timings.generatedTokens < (opts.minTokens ?? 0)) for (const id of stopIds) logits[id] = -Infinity;
        const next = sampleToken(logits, o, seen, random);
        if (stopIds.has(next)) return;
        seen.push(next);
        timings.generatedTokens++;
        yield next;
        stepIds = [next];
        stepMedia = [media.length];
      }
    } finally {
      disposeAll(past);
      const ms = timings.prefillMs + timings.decodeMs;
      timings.tokensPerSecond = ms > 0 ? (timings.generatedTokens * 1000) / ms : 0;
      opts.onTimings?.(timings);
    }
  }

  /**
   * Answers a few made-up requests and throws the answers away, so that the person's first
   * requests run at full speed. On onnxruntime-web's WASM, V8 first runs the module's code
   * unoptimised and compiles each hot kernel in the background once it has been used enough
   * (dynamic tiering): in Chromium the first ten or so answers took 2-13x as long as later
   * ones (bench/README.md, item 9). On WebGPU the first runs also compile the shader pipelines.
   * Each round encodes a blank 1280x800 screenshot (all its views) and streams a short answer.
   * Rejects with signal.reason once `signal` aborts (checked between graph runs). WASM runs
   * resolve in microtasks only, so it waits for the next task after each graph run: the
   * host's events (a request, the abort itself) get through.
   */
  async warmUp(opts: { rounds?: number; signal?: AbortSignal } = {}): Promise<void> {
    const { rounds = WARM_UP_ROUNDS, signal } = opts;
    const width = 1280, height = 800;
    const blank: RgbaImage = { width, height, data: new Uint8Array(width * height * 4).fill(255) };
    for (let round = 0; round < rounds; round++) {
      signal?.throwIfAborted();
      const prompt = await this.preparePrompt([{ type: 'image', image: blank }, { type: 'text', text: WARM_UP_QUESTION }]);
      await nextTask();
      for await (const _ of this.generateTokens(prompt, { maxTokens: WARM_UP_TOKENS, minTokens: WARM_UP_TOKENS, temperature: 0, signal })) await nextTask();
    }
  }

  async dispose(): Promise<void> {
    await Promise.all([this.vision.release(), this.resampler.release(), this.decoder.release()]);
  }

  /** media_key|value.{i} [1, xH, V, xhd] over the prompt's media, once per prompt. */
  private mediaFeeds(media: readonly MediaHandle[]): Record<string, Tensor> {
    const { xattn, resampler } = this.manifest.config;
    const shape = [1, xattn.heads, visualTokens(media.length, resampler.num_latents), xattn.head_dim];
    const feeds: Record<string, Tensor> = {};
    for (const i of this.gated) {
      for (const kind of ['key', 'value'] as const) {
        const blocks = media.map((m) => (kind === 'key' ? m.keys : m.values).get(i)!);
        feeds[`media_${kind}.${i}`] = new this.ort.Tensor('float32', concatMedia(blocks, xattn.heads, resampler.num_latents, xattn.head_dim), shape);
      }
    }
    return feeds;
  }

  /** input_ids, position_ids and the three masks for S new tokens after `past` cached ones. */
  private stepFeeds(ids: readonly number[], mediaIds: readonly number[], past: number, mediaCount: number): Record<string, Tensor> {
    const S = ids.length, latents = this.manifest.config.resampler.num_latents;
    const Tensor = this.ort.Tensor;
    return {
      input_ids: new Tensor('int64', BigInt64Array.from(ids, BigInt), [1, S]),
      position_ids: new Tensor('int64', BigInt64Array.from(ids, (_, j) => BigInt(past + j)), [1, S]),
      attention_bias: new Tensor('float32', attentionBias(past, S), [1, 1, S, past + S]),
      media_bias: new Tensor('float32', mediaBias(mediaIds, mediaCount, latents), [1, 1, S, visualTokens(mediaCount, latents)]),
      media_gate: new Tensor('float32', mediaGate(mediaIds), [1, S, 1]),
    };
  }

  /** A runtime-side cache when the decoder runs on the CPU; on WebGPU the cache stays on the GPU as present_* outputs. */
  private kvCache(): KvCache | undefined {
    const { lm } = this.manifest.config;
    return this.decoderBackend === 'webgpu' ? undefined : new KvCache(2 * lm.n_layers, lm.n_kv_heads, lmHeadDim(lm));
  }

  /** past_key|value.{i} [1, kvH, P, hd] as views of the runtime-side cache; without one (the first WebGPU call), empty. */
  private cachedPast(cache: KvCache | undefined): Record<string, Tensor> {
    const { lm } = this.manifest.config;
    return Object.fromEntries(this.kvNames.past.map((name, e) => {
      const { data, positions } = cache ? cache.view(e) : { data: new Float32Array(0), positions: 0 };
      return [name, new this.ort.Tensor('float32', data, [1, lm.n_kv_heads, positions, lmHeadDim(lm)])];
    }));
  }

  /** On WebGPU the last run's present_* (GPU buffers) are the next run's past. */
  private presentAsPast(out: Record<string, Tensor>): Record<string, Tensor> {
    return Object.fromEntries(this.kvNames.past.map((name, e) => [name, out[this.kvNames.present[e]]]));
  }
}

/** Resolves in a later task (after pending timers, messages and I/O), not a microtask. */
function nextTask(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}

/** The bytes of a listed bundle file. */
function bundleFile(bundle: Bundle, path: string): Uint8Array {
  const bytes = bundle.files.get(path);
  if (!bytes) throw new BundleError('unlisted-file', `bundle: "${path}" is not among the bundle's files`);
  return bytes;
}

/** Session options only the engine sets: they follow from the backend and the bundle. */
const ENGINE_SESSION_OPTIONS = new Set(['executionProviders', 'externalData', 'preferredOutputLocation']);

async function createSession(
  ort: Ort, bundle: Bundle, graph: string, provider: string, host: SessionOptions,
  own: Pick<SessionOptions, 'preferredOutputLocation'> = {},
): Promise<Session> {
  // External data (<graph>.data) is handed over as bytes, named relative to the graph's folder.
  const folder = graph.includes('/') ? graph.slice(0, graph.lastIndexOf('/') + 1) : '';
  const externalData = [...bundle.files.keys()]
    .filter((p) => p.startsWith(`${graph}.data`))
    .map((p) => ({ path: p.slice(folder.length), data: bundle.files.get(p)! }));
  const hostOptions = Object.fromEntries(Object.entries(host).filter(([key]) => !ENGINE_SESSION_OPTIONS.has(key)));
  return ort.InferenceSession.create(bundleFile(bundle, graph), {
    graphOptimizationLevel: 'all', ...hostOptions, ...own, executionProviders: [provider],
    ...(externalData.length ? { externalData } : {}),
  });
}

/** Creates the first session with each provider in turn; the first that works is the backend. */
async function createWithFallback(ort: Ort, bundle: Bundle, graph: string, providers: string[], host: SessionOptions): Promise<{ session: Session; backend: string }> {
  const failures: string[] = [];
  for (const backend of providers) {
    try {
      return { session: await createSession(ort, bundle, graph, backend, host), backend };
    } catch (e) {
      failures.push(`${backend}: ${(e as Error).message}`);
    }
  }
  throw new Error(`cannot load ${graph} with any execution provider (${failures.join('; ')})`);
}

/** Graph inputs and outputs, by name and fixed dimension, against the config (docs/model-spec.md, section 5). */
function checkGraphs(config: FlamingoConfig, vision: Session, resampler: Session, decoder: Session): void {
  const gated = xattnLayers(config);
  const layers = Array.from({ length: config.lm.n_layers }, (_, i) => i);
  const media = gated.flatMap((i) => [`media_key.${i}`, `media_value.${i}`]);
  const expectNames = (graph: string, kind: string, actual: readonly string[], needed: string[]) => {
    const missing = needed.filter((n) => !actual.includes(n));
    const unknown = actual.filter((n) => !needed.includes(n));
    if (missing.length || unknown.length) {
      throw new BundleError('graph-mismatch', `${graph} ${kind} do not match the config:`
        + (missing.length ? ` missing ${missing.join(', ')};` : '') + (unknown.length ? ` unexpected ${unknown.join(', ')};` : '')
        + ` (config: ${config.lm.n_layers} LM layers, gated blocks before [${gated.join(', ')}])`);
    }
  };
  expectNames('vision.onnx', 'inputs', vision.inputNames, ['pixels']);
  expectNames('vision.onnx', 'outputs', vision.outputNames, ['features']);
  expectNames('resampler.onnx', 'inputs', resampler.inputNames, ['features']);
  expectNames('resampler.onnx', 'outputs', resampler.outputNames, ['latents', ...media]);
  const past = layers.flatMap((i) => [`past_key.${i}`, `past_value.${i}`]);
  const mediaInputs = gated.length ? ['media_bias', 'media_gate', ...media] : [];
  expectNames('decoder.onnx', 'inputs', decoder.inputNames, ['input_ids', 'position_ids', 'attention_bias', ...mediaInputs, ...past]);
  expectNames('decoder.onnx', 'outputs', decoder.outputNames, ['logits', ...['present', 'new'].flatMap((p) => layers.flatMap((i) => [`${p}_key.${i}`, `${p}_value.${i}`]))]);

  // Fixed dimensions (null: symbolic, any size).
  const [H, W] = config.vision.image_size;
  const P = visionPositions(config.vision), Dv = visionWidth(config.vision), N = config.resampler.num_latents;
  const { xattn, lm } = config;
  const expectDims = (graph: string, metadata: readonly OrtModule.InferenceSession.ValueMetadata[], dims: Record<string, (number | null)[]>) => {
    for (const m of metadata) {
      const want = Object.entries(dims).find(([prefix]) => m.name === prefix || m.name.startsWith(`${prefix}.`))?.[1];
      if (!want || !m.isTensor) continue;
      const bad = m.shape.length !== want.length || m.shape.some((d, i) => typeof d === 'number' && want[i] !== null && d !== want[i]);
      if (bad) throw new BundleError('graph-mismatch', `${graph}: "${m.name}" has shape [${m.shape}], the config needs [${want.map((d) => d ?? '?')}]`);
    }
  };
  expectDims('vision.onnx', [...vision.inputMetadata, ...vision.outputMetadata], { pixels: [null, 3, H, W], features: [null, P, Dv] });
  expectDims('resampler.onnx', [...resampler.inputMetadata, ...resampler.outputMetadata], {
    features: [null, P, Dv], latents: [N, Dv], media_key: [xattn.heads, N, xattn.head_dim], media_value: [xattn.heads, N, xattn.head_dim],
  });
  const kv = [null, lm.n_kv_heads, null, lmHeadDim(lm)], mediaKv = [null, xattn.heads, null, xattn.head_dim];
  expectDims('decoder.onnx', [...decoder.inputMetadata, ...decoder.outputMetadata], {
    logits: [null, null, lm.vocab_size], past_key: kv, past_value: kv, present_key: kv, present_value: kv, new_key: kv, new_value: kv,
    media_key: mediaKv, media_value: mediaKv,
  });
}

/** The feeds a session declares, and only those (a plain-LM decoder has no media inputs). */
function pick(feeds: Record<string, Tensor>, names: readonly string[]): Record<string, Tensor> {
  return Object.fromEntries(names.map((n) => {
    if (!feeds[n]) throw new Error(`decoder: no value for input "${n}"`);
    return [n, feeds[n]];
  }));
}

/** A tensor's float data on the CPU (downloads GPU tensors). */
async function floats(t: Tensor): Promise<Float32Array> {
  const data = t.location === 'cpu' ? t.data : await t.getData();
  return new Float32Array(data as Float32Array);
}

/** logits [1, S, vocab] -> the last position's row. */
async function lastRow(logits: Tensor, S: number): Promise<Float32Array> {
  const vocab = logits.dims[logits.dims.length - 1];
  const data = (logits.location === 'cpu' ? logits.data : await logits.getData()) as Float32Array;
  return data.slice((S - 1) * vocab, S * vocab);
}

function disposeAll(tensors: Record<string, Tensor>): void {
  for (const t of Object.values(tensors)) t.dispose();
}
