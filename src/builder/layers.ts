// Building blocks shared by the graphs: linear layers, norms, activations, attention.
// Weights come from a WeightMap (names as in docs/model-spec.md) and become initializers.

import { Graph, MS, float } from './onnx/graph';
import { HostTensor, WeightMap, getWeight } from './weights';

/** A Linear weight W [out, in] as the initializer W^T [in, out], so that y = x @ W^T is one MatMul. */
export function linearWeight(g: Graph, weights: WeightMap, name: string, shape: [number, number], scale = 1): string {
  return transposedInit(g, `${name}_T`, getWeight(weights, name, shape), scale);
}

/** The initializer scale * W^T for a weight W [out, in] (e.g. one slice of a packed weight). */
export function transposedInit(g: Graph, name: string, w: HostTensor, scale = 1): string {
  return g.init(name, [w.shape[1], w.shape[0]], transpose2d(w, scale));
}

/** y = x @ W^T (+ b). */
export function linear(g: Graph, x: string, weightT: string, bias?: string): string {
  const y = g.matmul(x, weightT);
  return bias ? g.add(y, bias) : y;
}

/** A weight used as is, under its own name. */
export function weight(g: Graph, weights: WeightMap, name: string, shape: number[]): string {
  return g.init(name, shape, getWeight(weights, name, shape).data);
}

export function layerNorm(g: Graph, weights: WeightMap, x: string, prefix: string, dim: number, eps: number): string {
  const scale = weight(g, weights, `${prefix}.weight`, [dim]);
  const bias = weight(g, weights, `${prefix}.bias`, [dim]);
  return g.op('', 'LayerNormalization', [x, scale, bias], { axis: -1, epsilon: float(eps) })[0];
}

/** RMSNorm(x) = x / sqrt(mean(x^2) + eps) * weight (ORT's SimplifiedLayerNormalization). */
export function rmsNorm(g: Graph, weights: WeightMap, x: string, name: string, dim: number, eps: number): string {
  const scale = weight(g, weights, name, [dim]);
  return g.op('', 'SimplifiedLayerNormalization', [x, scale], { axis: -1, epsilon: float(eps) })[0];
}

/** Exact (erf) GELU. */
export function gelu(g: Graph, x: string): string {
  return g.op(MS, 'Gelu', [x])[0];
}

/**
 * Multi-head attention: softmax(q k^T / sqrt(hd) + bias) v per head.
 * q [B, S, H*hd]; k, v either [B, L, H*hd] or [B, H, L, hd]; bias [B or 1, H, S, L].
 * Returns [B, S, H*hd].
 */
export function attention(g: Graph, q: string, k: string, v: string, heads: number, bias = ''): string {
  return g.op(MS, 'MultiHeadAttention', [q, k, v, '', '', bias], { num_heads: heads })[0];
}

/**
 * attention() with the queries cut into blocks of at most 16 rows, then concatenated (exact:
 * every query row attends on its own). onnxruntime-web 1.30's WebGPU MultiHeadAttention gave
 * wrong outputs (max error 0.07-0.9) from 32 query rows on, whatever the key count or head
 * size, on SwiftShader, for keys and values given as [B, L, H*hd]; up to 17 rows it matched
 * onnxruntime-node. The decoder's calls (keys and values [B, H, L, hd], a bias) matched at 72
 * rows. test/browser checks both on the shipped model. Used where the query count is fixed:
 * the resampler's latents and ViT's positions (the same form; ViT was not run on WebGPU).
 */
export function attentionInQueryBlocks(g: Graph, q: string, k: string, v: string, heads: number, rows: number): string {
  const BLOCK = 16;
  if (rows <= BLOCK) return attention(g, q, k, v, heads);
  const blocks: string[] = [];
  for (let start = 0; start < rows; start += BLOCK) {
    const end = Math.min(rows, start + BLOCK);
    const qBlock = g.op('', 'Slice', [q, g.constInt64([start]), g.constInt64([end]), g.constInt64([1])])[0]; // [B, end-start, H*hd]
    blocks.push(attention(g, qBlock, k, v, heads));
  }
  return g.concat(blocks, 1);
}

function transpose2d(t: HostTensor, scale: number): Float32Array {
  const [rows, cols] = t.shape;
  const out = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = t.data[r * cols + c] * scale;
  return out;
}

/** Rows [start, end) of a 2-D weight, e.g. the k or v half of a packed to_kv weight. */
export function rows(w: HostTensor, start: number, end: number): HostTensor {
  const cols = w.shape[1];
  return { shape: [end - start, cols], data: w.data.subarray(start * cols, end * cols) };
}

/** ff = LN, Linear(d, d*m), GELU, Linear(d*m, d) (weights `${prefix}.0|1|3`), times outScale. */
export function feedForward(g: Graph, weights: WeightMap, x: string, prefix: string, d: number, mult: number, eps: number, outScale = 1): string {
  const t = layerNorm(g, weights, x, `${prefix}.0`, d, eps);
  const h = gelu(g, linear(g, t, linearWeight(g, weights, `${prefix}.1.weight`, [d * mult, d])));
  return linear(g, h, linearWeight(g, weights, `${prefix}.3.weight`, [d, d * mult], outScale));
}
