// The page side of test/browser: the Flamingo engine on the onnxruntime-web builds the webview
// ships (onnxruntime-web/webgpu; the WASM-only onnxruntime-web/wasm when there is no WebGPU
// adapter), bundles fetched from the test server, PNGs decoded the way the webview decodes
// them. The test drives it through `globalThis.harness` (page.evaluate).
import * as ortWebGpu from 'onnxruntime-web/webgpu';
import * as ortWasm from 'onnxruntime-web/wasm';
import { FlamingoModel, loadBundle, type FileSource, type RgbaImage } from '../../../src/flamingo';
import { cancel, greedy, type PromptSpec } from './scenario';

export interface AdapterInfo {
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  isFallbackAdapter: boolean;
  features: string[];
}

// The little of WebGPU used here (TypeScript's DOM library does not declare it).
interface GpuAdapter {
  info: Omit<AdapterInfo, 'features'>;
  features: Set<string>;
}
const gpu = () => (navigator as Navigator & { gpu?: { requestAdapter(): Promise<GpuAdapter | null> } }).gpu;

let model: FlamingoModel | undefined;

async function fetchBytes(url: string): Promise<Uint8Array> {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`GET ${url}: ${response.status} ${response.statusText}`);
  return new Uint8Array(await response.arrayBuffer());
}

/** As src/webview/mediaDecode.ts: createImageBitmap without premultiplication or colour conversion, read back through an OffscreenCanvas. */
async function decodePng(png: string): Promise<RgbaImage> {
  const blob = new Blob([await fetchBytes(`/png/${png}`) as Uint8Array<ArrayBuffer>], { type: 'image/png' });
  const bitmap = await createImageBitmap(blob, { premultiplyAlpha: 'none', colorSpaceConversion: 'none' });
  try {
    const { width, height } = bitmap;
    const ctx = new OffscreenCanvas(width, height).getContext('2d', { willReadFrequently: true });
    if (!ctx) throw new Error('no 2D context on an OffscreenCanvas');
    ctx.drawImage(bitmap, 0, 0);
    return { width, height, data: ctx.getImageData(0, 0, width, height, { colorSpace: 'srgb' }).data };
  } finally {
    bitmap.close();
  }
}

function current(): FlamingoModel {
  if (!model) throw new Error('harness: no model is open (call open first)');
  return model;
}

const harness = {
  /** The WebGPU adapter the page gets, or null without one. */
  async adapter(): Promise<AdapterInfo | null> {
    const adapter = await gpu()?.requestAdapter();
    if (!adapter) return null;
    const { vendor, architecture, device, description, isFallbackAdapter } = adapter.info;
    return { vendor, architecture, device, description, isFallbackAdapter, features: [...adapter.features].sort() };
  },

  /** RGBA bytes of a served PNG, as plain numbers (page.evaluate passes JSON). */
  async decodePng(png: string): Promise<{ width: number; height: number; data: number[] }> {
    const { width, height, data } = await decodePng(png);
    return { width, height, data: Array.from(data) };
  },

  /** Loads /bundles/<name>/ and creates the engine; returns the backends it runs on. `decoder`: where the decoder runs (default: the engine's placement). */
  async open(bundle: string, executionProviders: string[], decoder?: string): Promise<{ backend: string; decoderBackend: string; threads: number }> {
    await model?.dispose();
    model = undefined;
    // As the webview's worker: the WebGPU build when there is an adapter, else the WASM-only one;
    // only the .wasm location (the JS glue is bundled in).
    const webgpu = Boolean(await (navigator as Navigator & { gpu?: { requestAdapter(): Promise<unknown> } }).gpu?.requestAdapter());
    const ort = webgpu ? ortWebGpu : ortWasm;
    ort.env.wasm.wasmPaths = { wasm: webgpu ? '/ort/ort-wasm-simd-threaded.asyncify.wasm' : '/ort/ort-wasm-simd-threaded.wasm' };
    // One thread, as in the webview (not cross-origin isolated). With 2 threads and both builds
    // in this script the WebGPU tests hung (not looked into; emscripten starts its pthread
    // workers from the page's script, which here holds two builds' glue).
    ort.env.wasm.numThreads = 1;
    const source: FileSource = { read: (path) => fetchBytes(`/bundles/${bundle}/${path}`) };
    model = await FlamingoModel.create(await loadBundle(source), ort, { executionProviders, decoderExecutionProvider: decoder });
    return { backend: model.backend, decoderBackend: model.decoderBackend, threads: ort.env.wasm.numThreads };
  },

  /** The media latents [N, Dv] of one served PNG, as plain numbers. */
  async latents(png: string): Promise<number[]> {
    const { latents } = await current().encodeMedia([await decodePng(png)]);
    return Array.from(latents);
  },

  greedy: (spec: PromptSpec, maxTokens: number) => greedy(current(), spec, decodePng, maxTokens),

  cancel: (spec: PromptSpec, abortAfter: number) => cancel(current(), spec, decodePng, abortAfter),
};

export type Harness = typeof harness;
(globalThis as { harness?: Harness }).harness = harness;

