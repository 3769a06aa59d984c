// The engine inside the webview's worker: loads the bundle through the page, picks the backend
// (WebGPU when an adapter exists, else WASM; WASM again if the GPU device is lost), and runs
// one job at a time in arrival order, so answers never interleave.
import * as ortWebGpu from 'onnxruntime-web/webgpu';
import * as ortWasm from 'onnxruntime-web/wasm';
import { FlamingoModel, loadBundle, WARM_UP_ROUNDS, type FileSource, type Ort, type PromptSegment, type Timings } from '../../flamingo/index';
import type { BackendChoice, EngineState, ModelLocation, OrtBinaries } from '../../extension/protocol';
import { executionProvidersFor, type AdapterInfo } from './backendChoice';
import type { AnswerTimings } from './protocol';

// The little of WebGPU used here (TypeScript's DOM library does not declare it).
interface GpuAdapter { info?: AdapterInfo }
interface GpuLost { reason: string; message: string }
interface GpuDevice { lost: Promise<GpuLost> }
const gpu = () => (navigator as Navigator & { gpu?: { requestAdapter(): Promise<GpuAdapter | null> } }).gpu;

/**
 * onnxruntime-web's two builds. The WebGPU one's binary is asyncify-instrumented (26.8 MB); the
 * WASM-only one's is 14.2 MB and compiles in half the time (session creation in Chromium:
 * 1.6 s against 2.8-2.9 s), with the same kernels (the vision encoder ran at the same speed on
 * both). A load without WebGPU takes the WASM-only build.
 */
const BUILDS: Record<keyof OrtBinaries, Ort> = { webgpu: ortWebGpu, wasm: ortWasm };

/** `load` numbers the configurations, so that the page can tell which one a report is about. */
export interface EngineConfig { load: number; model: ModelLocation; backend: BackendChoice; ortBinaries: OrtBinaries }

export interface EngineEvents {
  report(state: EngineState, config: EngineConfig): void;
  /** A model is ready (after a configuration, or reloaded on WASM after a lost GPU device). */
  loaded(model: FlamingoModel, config: EngineConfig): void;
  log(line: string): void;
  /** Reads a file by URL (the page fetches it). */
  fetchBytes(url: string): Promise<Uint8Array>;
}

export interface RunOptions {
  maxTokens: number;
  temperature: number;
  signal: AbortSignal;
  onToken(text: string): void;
}

export class WebviewEngine {
  private model: Promise<FlamingoModel> | undefined;
  private config: EngineConfig | undefined;
  private queue: Promise<unknown> = Promise.resolve();
  /** Aborts the warm-up that follows a load: a request or a new configuration takes over. */
  private warming: AbortController | undefined;
  /** What the loaded model's WebGPU adapter says of itself (undefined off WebGPU), asked once per load. */
  private gpuInfo: AdapterInfo | undefined;
  /** For a model on WebGPU: resolves if its device is lost. */
  private readonly deviceLoss = new WeakMap<FlamingoModel, Promise<GpuLost | undefined>>();

  constructor(private readonly on: EngineEvents) {}

  /** Loads the model of `config` after the jobs queued so far, in place of the current one. */
  configure(config: EngineConfig): void {
    this.config = config;
    this.warming?.abort();
    const previous = this.model;
    this.model = this.enqueue(async () => {
      await previous?.then((m) => m.dispose(), () => undefined);
      return this.load(config, config.backend);
    });
    this.model.catch(() => undefined); // reported through `report`; requests see it too
    this.warmUp(this.model);
  }

  /** Runs `job` after every earlier job, with the loaded model. */
  run<T>(job: (model: FlamingoModel) => Promise<T>): Promise<T> {
    this.warming?.abort();
    return this.enqueue(async () => {
      if (!this.model) throw new Error('no model is configured yet');
      const model = await this.model;
      try {
        return await job(model);
      } catch (e) {
        throw await this.explainDeviceLoss(model, e);
      }
    });
  }

  /**
   * A job on WebGPU that fails because the device was lost gets onnxruntime's raw error
   * (a failed OrtRun with a C++ source path): say what happened instead. The loss may be
   * reported a moment after the failed run, so wait for it briefly.
   */
  private async explainDeviceLoss(model: FlamingoModel, e: unknown): Promise<unknown> {
    const lost = this.deviceLoss.get(model);
    if (!lost || (e as Error).name === 'AbortError') return e;
    const info = await Promise.race([lost, new Promise<undefined>((resolve) => setTimeout(resolve, 1000))]);
    if (!info || info.reason === 'destroyed') return e;
    return new Error(`the GPU device was lost mid-answer (${info.message || info.reason}); Flamingo reloads the model on WebAssembly: ask again`);
  }

  /** Streams one answer; returns its timings. Throws an AbortError when cancelled. */
  async generate(model: FlamingoModel, segments: PromptSegment[], o: RunOptions): Promise<AnswerTimings> {
    let timings: Timings | undefined;
    for await (const delta of model.generate(segments, {
      maxTokens: o.maxTokens, temperature: o.temperature, signal: o.signal, onTimings: (t) => { timings = t; },
    })) {
      o.onToken(delta);
      // WASM inference resolves in microtasks only: without a real yield, no message (cancel)
      // would get through until the whole answer is done.
      await yieldToEventLoop();
    }
    const t = timings;
    const decodeSteps = t ? t.generatedTokens - 1 : 0;
    return {
      tokens: t?.generatedTokens ?? 0,
      tokensPerSecond: t && t.decodeMs > 0 ? (decodeSteps * 1000) / t.decodeMs : 0,
      encode: t?.encodeMs ?? 0, prefill: t?.prefillMs ?? 0, decode: t?.decodeMs ?? 0,
    };
  }

  /**
   * Queued right after a load, ahead of any later request: a few throw-away answers, so that
   * the person's first ones do not run on WASM code V8 has not optimised yet (FlamingoModel.
   * warmUp). It spends some seconds of CPU once per load, and gives way to the first request:
   * skipped if one came during the load, stopped between graph runs if one comes during it.
   */
  private warmUp(loaded: Promise<FlamingoModel>): void {
    const warming = new AbortController();
    this.warming = warming;
    void this.enqueue(async () => {
      const model = await loaded.catch(() => undefined);
      if (!model || warming.signal.aborted) return;
      if (model.backend === 'webgpu' && this.gpuInfo?.isFallbackAdapter) {
        // Each graph run takes seconds there, and a request cannot interrupt one.
        this.on.log('warm-up: skipped on a software GPU');
        return;
      }
      const started = performance.now();
      const took = () => `${Math.round(performance.now() - started)} ms`;
      try {
        await model.warmUp({ signal: warming.signal });
        this.on.log(`warm-up: ${WARM_UP_ROUNDS} throw-away answers in ${took()}`);
      } catch (e) {
        this.on.log(warming.signal.aborted ? `warm-up: stopped after ${took()} (a request or another model came)` : `warm-up failed after ${took()}: ${(e as Error).message}`);
      }
    });
  }

  private enqueue<T>(job: () => Promise<T>): Promise<T> {
    const result = this.queue.then(job);
    this.queue = result.catch(() => undefined);
    return result;
  }

  private async load(config: EngineConfig, backend: BackendChoice): Promise<FlamingoModel> {
    const label = config.model.label;
    const started = performance.now();
    const report = (s: EngineState) => this.on.report(s, config);
    try {
      const adapter = backend === 'wasm' ? undefined : (await gpu()?.requestAdapter().catch(() => null)) ?? undefined;
      const providers = executionProvidersFor(backend, adapter);
      if (backend === 'auto' && adapter?.info?.isFallbackAdapter) this.on.log('WebGPU adapter is a software GPU: using WebAssembly (set flamingo.backend to "webgpu" to use it anyway)');
      const source = new RelaySource(config.model.baseUri, (url) => this.on.fetchBytes(url), (loaded, total) => report({ state: 'loading', model: label, loadedBytes: loaded, totalBytes: total }));
      report({ state: 'loading', model: label, loadedBytes: 0, totalBytes: 0 });
      const [ort, bundle] = await Promise.all([this.runtime(providers.includes('webgpu') ? 'webgpu' : 'wasm', config.ortBinaries), loadBundle(source)]);
      // "auto" lets the engine place a small decoder on WASM; an explicit "webgpu" puts everything on the GPU.
      const model = await FlamingoModel.create(bundle, ort, { executionProviders: providers, decoderExecutionProvider: backend === 'webgpu' ? 'webgpu' : undefined });
      const name = bundle.manifest.name || label;
      this.gpuInfo = model.backend === 'webgpu' ? adapter?.info : undefined;
      const detail = backendDetail(model.backend, this.gpuInfo) + (model.decoderBackend !== model.backend ? '; decoder on WebAssembly (faster per token for a model this small)' : '');
      this.on.log(`model "${name}" loaded from ${label} in ${Math.round(performance.now() - started)} ms on ${model.backend}, decoder on ${model.decoderBackend} (${detail})`);
      this.on.loaded(model, config);
      report({ state: 'ready', model: name, backend: model.backend === 'webgpu' ? 'webgpu' : 'wasm', detail });
      if (model.backend === 'webgpu') this.watchDevice(config, model);
      return model;
    } catch (e) {
      const message = (e as Error).message || String(e);
      report({ state: 'failed', model: label, message });
      throw new Error(`The model at ${label} could not be loaded: ${message}`);
    }
  }

  /** The onnxruntime build, its binary read (through the page) on first use. */
  private async runtime(build: keyof OrtBinaries, binaries: OrtBinaries): Promise<Ort> {
    const ort = BUILDS[build];
    if (!ort.env.wasm.wasmBinary) {
      ort.env.wasm.wasmBinary = await this.on.fetchBytes(binaries[build]).catch((e: Error) => {
        throw new Error(`the engine's files could not be read (the onnxruntime binary: ${e.message}); reinstall the extension`);
      });
      ort.env.wasm.numThreads = 1; // no cross-origin isolation in a webview: no WASM threads
    }
    return ort;
  }

  /** A lost GPU device (driver reset, GPU process crash) reloads the model on WASM. */
  private watchDevice(config: EngineConfig, model: FlamingoModel): void {
    // env.webgpu.device resolves to the device ort created (a promise in onnxruntime-web 1.30).
    const device = (ortWebGpu.env.webgpu as unknown as { device?: Promise<GpuDevice | undefined> }).device;
    const lost = Promise.resolve(device).then((d) => d?.lost, () => undefined);
    this.deviceLoss.set(model, lost);
    void lost.then((info) => {
      if (!info || this.config !== config || info.reason === 'destroyed') return;
      this.on.log(`WebGPU device lost (${info.message || info.reason}); reloading the model on WASM`);
      this.model = this.enqueue(() => this.load(config, 'wasm'));
      this.model.catch(() => undefined);
      this.warmUp(this.model);
    }, () => undefined);
  }
}

/**
 * Lets the worker take the messages queued meanwhile (a cancel). A MessageChannel task, because
 * setTimeout is clamped to 4 ms when nested.
 */
function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => {
    const channel = new MessageChannel();
    channel.port1.onmessage = () => resolve();
    channel.port2.postMessage(null);
  });
}

/** Reads bundle files from a webview URI (through the page), counting bytes for the progress bar. */
class RelaySource implements FileSource {
  private total = 0;
  private loaded = 0;
  constructor(
    private readonly base: string,
    private readonly fetchBytes: (url: string) => Promise<Uint8Array>,
    private readonly progress: (loaded: number, total: number) => void,
  ) {}

  async read(relPath: string): Promise<Uint8Array> {
    const bytes = await this.fetchBytes(this.base + relPath.split('/').map(encodeURIComponent).join('/'));
    if (relPath === 'manifest.json') {
      try {
        const files = (JSON.parse(new TextDecoder().decode(bytes)) as { files?: Record<string, { size?: number }> }).files ?? {};
        this.total = Object.values(files).reduce((sum, f) => sum + (f.size ?? 0), 0);
      } catch { /* loadBundle reports a malformed manifest */ }
    } else {
      this.loaded += bytes.byteLength;
    }
    this.progress(this.loaded, this.total);
    return bytes;
  }
}

function backendDetail(backend: string, info: AdapterInfo | undefined): string {
  if (backend !== 'webgpu') return 'WebAssembly, 1 thread';
  return info ? `WebGPU: ${[info.vendor, info.architecture, info.description].filter(Boolean).join(' ')}${info.isFallbackAdapter ? ' (software fallback)' : ''}` : 'WebGPU';
}
