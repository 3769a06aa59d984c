// The onnxruntime module for Node: onnxruntime-web's WASM build (what the webview runs) or
// onnxruntime-node (native CPU, several times faster).
import { availableParallelism } from 'node:os';
import type { Ort } from '../flamingo';

export type NodeBackend = 'wasm' | 'node';

export async function loadOrt(backend: NodeBackend, opts: { threads?: number } = {}): Promise<Ort> {
  if (backend === 'node') return (await import('onnxruntime-node')) as unknown as Ort;
  if (backend !== 'wasm') throw new Error(`unknown backend "${backend}" (use wasm or node)`);
  const ort = (await import('onnxruntime-web')) as unknown as Ort;
  ort.env.wasm.numThreads = opts.threads ?? Math.min(4, availableParallelism());
  return ort;
}
