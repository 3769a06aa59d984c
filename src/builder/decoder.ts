// Decoder graph (model-spec §4, §5): a Llama LM with GATED XATTN-DENSE blocks and a KV cache.
//   input_ids, position_ids [B, S]; attention_bias [B, 1, S, T] (causal mask, 0 or -1e9);
//   media_bias [B, 1, S, V], media_gate [B, S, 1], media_key|value.{i} [B, xH, V, xhd]
//   (only when the model has gated blocks); past_key|value.{i} [B, kvH, P, hd]
//   -> logits [B, S, vocab], present_key|value.{i} [B, kvH, T, hd], T = P + S,
//      new_key|value.{i} [B, kvH, S, hd] (the S new positions alone: a runtime that keeps the
//      cache itself fetches these, not the whole present cache, see src/flamingo/kvCache.ts).
// The cache stays at the kv-head count and is never expanded: grouped-query attention runs the
// group's query heads as extra query rows of their kv head (selfAttention).
// tanh(gate) of each gated block is folded into its output projections (frozen weights), so
// with gates at 0 the block adds exact zeros and the decoder equals the bare LM.

import { FlamingoConfig, lmHeadDim, visionWidth, xattnLayers } from '../flamingo/config';
import { Graph, MS } from './onnx/graph';
import { attention, feedForward, layerNorm, linear, linearWeight, rmsNorm, weight } from './layers';
import { WeightMap, getWeight } from './weights';

const B = 'batch', S = 'sequence', T = 'total_sequence', P = 'past_sequence', V = 'media_tokens';

interface MediaInputs { bias: string; gate: string } // media_bias expanded to [B, xH, S, V]; media_gate

export function buildDecoder(config: FlamingoConfig, weights: WeightMap): Graph {
  const lm = config.lm;
  const { dim: d, n_heads: H, n_kv_heads: kvH, vocab_size: vocab } = lm;
  const hd = lmHeadDim(lm);
  if (H % kvH !== 0) throw new Error(`config: lm.n_heads (${H}) must be a multiple of lm.n_kv_heads (${kvH})`);
  const gated = new Set(xattnLayers(config));
  const { heads: xH, head_dim: xhd } = config.xattn;
  const g = new Graph('decoder');

  const inputIds = g.input('input_ids', 'int64', [B, S]);
  const positionIds = g.input('position_ids', 'int64', [B, S]);
  const attentionBias = g.input('attention_bias', 'float32', [B, 1, S, T]);
  let media: MediaInputs | undefined;
  if (gated.size) {
    const mediaBias = g.input('media_bias', 'float32', [B, 1, S, V]);
    const gate = g.input('media_gate', 'float32', [B, S, 1]);
    media = { bias: g.scope('media_bias', () => expandHeads(g, mediaBias, xH)), gate };
    for (const i of gated) {
      g.input(`media_key.${i}`, 'float32', [B, xH, V, xhd]);
      g.input(`media_value.${i}`, 'float32', [B, xH, V, xhd]);
    }
  }
  for (let i = 0; i < lm.n_layers; i++) {
    g.input(`past_key.${i}`, 'float32', [B, kvH, P, hd]);
    g.input(`past_value.${i}`, 'float32', [B, kvH, P, hd]);
  }

  const embeddings = weight(g, weights, 'lm.tok_embeddings.weight', [vocab, d]);
  let h = g.op('', 'Gather', [embeddings, inputIds], { axis: 0 })[0]; // [B, S, d]
  const group = H / kvH;
  const selfBias = g.scope('attention_bias', () => groupRows(g, attentionBias, group)); // [B, 1, group*S, T]
  const [cos, sin] = ropeCaches(g, lm.max_seq_len, hd, lm.rope_theta);

  const presents: [string, string][] = []; // per layer: keys and values [B, kvH, T, hd]
  const news: [string, string][] = []; // per layer: the new positions' keys and values [B, kvH, S, hd]
  for (let i = 0; i < lm.n_layers; i++) {
    if (media && gated.has(i)) h = g.scope(`xattn.${i}`, () => gatedXattn(g, config, weights, h, i, media!));
    h = g.scope(`layers.${i}`, () => {
      const prefix = `lm.layers.${i}`;
      // Self-attention with RoPE and the KV cache.
      const x = rmsNorm(g, weights, h, `${prefix}.attention_norm.weight`, d, lm.norm_eps);
      const proj = (name: string, heads: number) => linear(g, x, linearWeight(g, weights, `${prefix}.attention.${name}.weight`, [heads * hd, d]));
      const rope = (t: string) => g.op(MS, 'RotaryEmbedding', [t, positionIds, cos, sin], { interleaved: 1 })[0];
      const q = rope(proj('wq', H)); // [B, S, H*hd]
      const kNew = toHeads(g, rope(proj('wk', kvH)), kvH, hd); // [B, kvH, S, hd]
      const vNew = toHeads(g, proj('wv', kvH), kvH, hd);
      const k = g.concat([`past_key.${i}`, kNew], 2); // [B, kvH, T, hd]
      const v = g.concat([`past_value.${i}`, vNew], 2);
      const a = selfAttention(g, q, k, v, kvH, group, hd, selfBias); // [B, S, H*hd]
      presents.push([k, v]);
      news.push([kNew, vNew]);
      const h1 = g.add(h, linear(g, a, linearWeight(g, weights, `${prefix}.attention.wo.weight`, [d, H * hd])));

      // SwiGLU feed-forward: w2(silu(w1 x) * (w3 x)).
      const y = rmsNorm(g, weights, h1, `${prefix}.ffn_norm.weight`, d, lm.norm_eps);
      const ffn = (name: string, shape: [number, number]) => linearWeight(g, weights, `${prefix}.feed_forward.${name}.weight`, shape);
      const gateProj = linear(g, y, ffn('w1', [lm.hidden_dim, d]));
      const silu = g.mul(gateProj, g.op('', 'Sigmoid', [gateProj])[0]);
      const up = linear(g, y, ffn('w3', [lm.hidden_dim, d]));
      return g.add(h1, linear(g, g.mul(silu, up), ffn('w2', [d, lm.hidden_dim])));
    });
  }

  const logits = g.scope('lm_head', () => {
    const x = rmsNorm(g, weights, h, 'lm.norm.weight', d, lm.norm_eps);
    // Tied embeddings share the one initializer: the head multiplies by its transpose.
    const headT = lm.tie_embeddings
      ? g.transpose(embeddings, [1, 0])
      : linearWeight(g, weights, 'lm.output.weight', [vocab, d]);
    return g.matmul(x, headT);
  });
  g.output(logits, 'logits', 'float32', [B, S, vocab]);
  presents.forEach(([k, v], i) => {
    g.output(k, `present_key.${i}`, 'float32', [B, kvH, T, hd]);
    g.output(v, `present_value.${i}`, 'float32', [B, kvH, T, hd]);
  });
  news.forEach(([k, v], i) => {
    g.output(k, `new_key.${i}`, 'float32', [B, kvH, S, hd]);
    g.output(v, `new_value.${i}`, 'float32', [B, kvH, S, hd]);
  });
  return g;
}

/**
 * GATED XATTN-DENSE block before LM layer i: masked cross-attention to the media tokens,
 * then a feed-forward, each added through tanh(gate) (folded into the output weights).
 */
function gatedXattn(g: Graph, config: FlamingoConfig, weights: WeightMap, h: string, i: number, media: MediaInputs): string {
  const { dim: d } = config.lm;
  const { heads: xH, head_dim: xhd, ff_mult, ln_eps } = config.xattn;
  const prefix = `xattn.${i}`;
  const attnGate = Math.tanh(getWeight(weights, `${prefix}.attn_gate`, [1]).data[0]);
  const ffGate = Math.tanh(getWeight(weights, `${prefix}.ff_gate`, [1]).data[0]);
  // The resampler graph uses to_kv; check it here too so a bad shape fails the same way.
  getWeight(weights, `${prefix}.attn.to_kv.weight`, [2 * xH * xhd, visionWidth(config.vision)]);

  const t = layerNorm(g, weights, h, `${prefix}.attn.norm`, d, ln_eps);
  const q = linear(g, t, linearWeight(g, weights, `${prefix}.attn.to_q.weight`, [xH * xhd, d])); // [B, S, xH*xhd]
  const a = attention(g, q, `media_key.${i}`, `media_value.${i}`, xH, media.bias); // [B, S, xH*xhd]
  const gatedA = g.mul(a, media.gate); // tokens with no media before them get exactly zero
  const h1 = g.add(h, linear(g, gatedA, linearWeight(g, weights, `${prefix}.attn.to_out.weight`, [d, xH * xhd], attnGate)));
  return g.add(h1, feedForward(g, weights, h1, `${prefix}.ff`, d, ff_mult, ln_eps, ffGate));
}

/** [B, 1, S, L] -> [B, heads, S, L]: MultiHeadAttention gets a full bias (no broadcast). */
function expandHeads(g: Graph, bias: string, heads: number): string {
  return g.op('', 'Expand', [bias, g.constInt64([1, heads, 1, 1])])[0];
}

/** [B, S, heads*hd] -> [B, heads, S, hd] */
function toHeads(g: Graph, x: string, heads: number, hd: number): string {
  return g.transpose(g.reshape(x, [0, 0, heads, hd]), [0, 2, 1, 3]);
}

/**
 * Causal self-attention with grouped-query heads, in plain MatMul/Softmax. Query head n*group + j
 * uses kv head n, so each kv head's group of query heads becomes group*S query rows (row j*S + s)
 * and the cache is read as it is:
 *   q [B, S, H*hd] -> [B, kvH, group*S, hd]; k, v [B, kvH, T, hd]; bias [B, 1, group*S, T]
 *   -> scores [B, kvH, group*S, T] -> [B, S, H*hd].
 * Expanding k and v to H heads instead (for MultiHeadAttention) copied the whole cache group
 * times per layer and step, which made decode on WASM grow with the context (bench/README);
 * MultiHeadAttention given the folded rows made other greedy tokens on WebGPU. onnxruntime fuses
 * the transpose of k into the MatMul on the CPU (FusedMatMul), so the cache is not copied for it.
 */
function selfAttention(g: Graph, q: string, k: string, v: string, kvH: number, group: number, hd: number, bias: string): string {
  const q5 = g.transpose(g.reshape(q, [0, 0, kvH, group, hd]), [0, 2, 3, 1, 4]); // [B, kvH, group, S, hd]
  const rowsQ = g.mul(g.reshape(q5, [0, 0, -1, hd]), g.constFloat([1 / Math.sqrt(hd)], [])); // [B, kvH, group*S, hd]
  const scores = g.add(g.matmul(rowsQ, g.transpose(k, [0, 1, 3, 2])), bias); // [B, kvH, group*S, T]
  const probs = g.op('', 'Softmax', [scores], { axis: -1 })[0];
  const out = g.reshape(g.matmul(probs, v), [0, 0, group, -1, hd]); // [B, kvH, group, S, hd]
  return g.reshape(g.transpose(out, [0, 3, 1, 2, 4]), [0, 0, kvH * group * hd]);
}

/** attention_bias [B, 1, S, T] -> [B, 1, group*S, T], row j*S + s being row s (selfAttention's rows). */
function groupRows(g: Graph, bias: string, group: number): string {
  return group === 1 ? bias : g.op('', 'Tile', [bias, g.constInt64([1, 1, group, 1])])[0];
}

/** cos/sin of f = pos * theta^(-2j/hd) for every position and pair j: [max_seq_len, hd/2] each. */
function ropeCaches(g: Graph, maxSeqLen: number, hd: number, theta: number): [string, string] {
  const half = hd / 2;
  const cos = new Float32Array(maxSeqLen * half);
  const sin = new Float32Array(maxSeqLen * half);
  for (let pos = 0; pos < maxSeqLen; pos++) {
    for (let j = 0; j < half; j++) {
      const f = pos * Math.pow(theta, (-2 * j) / hd);
      cos[pos * half + j] = Math.cos(f);
      sin[pos * half + j] = Math.sin(f);
    }
  }
  return [g.init('rope.cos', [maxSeqLen, half], cos), g.init('rope.sin', [maxSeqLen, half], sin)];
}
