// The Chromium page's script: the same stage measurements on onnxruntime-web inside the browser,
// through the builds the webview's engine worker ships: onnxruntime-web/webgpu for WebGPU, the
// WASM-only onnxruntime-web/wasm for WASM (src/webview/worker/engine.ts).
// Parameters come in the page's query string; the result lands in window.__bench.
import * as ortWebGpu from 'onnxruntime-web/webgpu';
import * as ortWasm from 'onnxruntime-web/wasm';
import type { FileSource, Ort, RgbaImage } from '../../src/flamingo/index';
import { measureStages } from './stages';

declare global { interface Window { __bench?: { ok: true; result: unknown } | { ok: false; error: string } } }

const q = new URLSearchParams(location.search);
const param = (name: string) => {
  const v = q.get(name);
  if (v === null) throw new Error(`page: query parameter "${name}" is missing`);
  return v;
};

async function fetchBytes(url: string): Promise<Uint8Array> {
  const r = await fetch(url);
  if (!r.ok) throw new Error(`page: GET ${url}: ${r.status}`);
  return new Uint8Array(await r.arrayBuffer());
}

async function decodeImage(bytes: Uint8Array): Promise<RgbaImage> {
  const bitmap = await createImageBitmap(new Blob([bytes as Uint8Array<ArrayBuffer>], { type: 'image/png' }));
  const canvas = new OffscreenCanvas(bitmap.width, bitmap.height);
  const ctx = canvas.getContext('2d')!;
  ctx.drawImage(bitmap, 0, 0);
  const { data } = ctx.getImageData(0, 0, bitmap.width, bitmap.height);
  return { width: bitmap.width, height: bitmap.height, data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) };
}

/** The GPU adapter in words (SwiftShader on these machines: a software GPU). */
async function adapterInfo(): Promise<string> {
  const gpu = (navigator as Navigator & { gpu?: { requestAdapter(): Promise<{ info?: Record<string, unknown> } | null> } }).gpu;
  const adapter = await gpu?.requestAdapter();
  if (!adapter) return 'no WebGPU adapter';
  const info = adapter.info ?? {};
  return ['vendor', 'architecture', 'description'].map((k) => info[k]).filter(Boolean).join(' ') + (info.isFallbackAdapter ? ' (fallback adapter)' : '');
}

async function main(): Promise<void> {
  const provider = param('backend');
  const ort = (provider === 'webgpu' ? ortWebGpu : ortWasm) as unknown as Ort;
  ort.env.wasm.wasmPaths = '/node_modules/onnxruntime-web/dist/';
  ort.env.wasm.numThreads = 1; // as the webview (no cross-origin isolation there)
  const bundle = param('bundle');
  const source: FileSource = { read: (path) => fetchBytes(bundle + path) };
  const images = await Promise.all(param('images').split(',').map(async (url) => ({ name: url.split('/').pop()!.replace(/\.png$/, ''), bytes: await fetchBytes(url) })));
  const result = await measureStages({
    ort, provider, source, images, decodeImage,
    matmulModel: await fetchBytes(param('matmul')), matmulFlops: Number(param('flops')),
    contexts: param('contexts').split(',').map(Number),
    reps: { warmup: Number(param('warmup')), reps: Number(param('reps')) }, generateTokens: Number(param('tokens')),
    log: (line) => console.log(`[${provider}] ${line}`), light: provider === 'webgpu',
  });
  window.__bench = { ok: true, result: { ...result, pixels: undefined, adapter: provider === 'webgpu' ? await adapterInfo() : 'none', threads: 1,
    crossOriginIsolated: globalThis.crossOriginIsolated } };
}

main().catch((e: Error) => { window.__bench = { ok: false, error: e.stack ?? String(e) }; });
