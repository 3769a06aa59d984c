// Llama decoder with GATED XATTN-DENSE blocks (docs/model-spec.md section 4): the full
// sequence at once, causal, no cache.
import { type FlamingoConfig, lmHeadDim, xattnLayers } from '../../src/flamingo/config';
import { getWeight, type HostTensor, tensor, type WeightMap } from '../../src/builder/weights';
import { type Act, addScaledInPlace, attention, layerNorm, linear, mapInPlace, rmsNorm, silu, softmaxInPlace } from './ops';
import { feedForward, type MediaKeyValue, mediaKeysValues } from './resampler';

/**
 * inputIds [S]; mediaIds [S]: per token the 1-based media item it belongs to, 0 = none;
 * media: latents [N, Dv] per media item -> logits [S, vocab].
 */
export function decoderForward(
  config: FlamingoConfig, weights: WeightMap, inputIds: number[], mediaIds: number[], media: HostTensor[],
): HostTensor {
  const lm = config.lm;
  const d = lm.dim;
  const s = inputIds.length;
  if (mediaIds.length !== s) throw new Error(`decoderForward: ${mediaIds.length} media ids for ${s} tokens`);
  for (const m of mediaIds) {
    if (!Number.isInteger(m) || m < 0 || m > media.length) throw new Error(`decoderForward: media id ${m} with ${media.length} media items`);
  }
  const kvByMedia = media.map((latents) => mediaKeysValues(config, weights, latents));
  const gated = new Set(xattnLayers(config));

  // h = tok_embeddings[input_ids]: [S, d]
  const embeddings = getWeight(weights, 'lm.tok_embeddings.weight', [lm.vocab_size, d]).data;
  const h = new Float64Array(s * d);
  inputIds.forEach((id, t) => {
    if (!Number.isInteger(id) || id < 0 || id >= lm.vocab_size) throw new Error(`decoderForward: token id ${id} outside the vocabulary of ${lm.vocab_size}`);
    for (let c = 0; c < d; c++) h[t * d + c] = embeddings[id * d + c];
  });

  for (let i = 0; i < lm.n_layers; i++) {
    if (gated.has(i)) gatedXattnBlock(config, weights, i, h, mediaIds, kvByMedia.map((kv) => kv.get(i)!));
    llamaBlock(config, weights, i, h, s);
  }

  const normed = rmsNorm(h, s, getWeight(weights, 'lm.norm.weight', [d]), lm.norm_eps);
  const classifier = getWeight(weights, lm.tie_embeddings ? 'lm.tok_embeddings.weight' : 'lm.output.weight', [lm.vocab_size, d]);
  return tensor([s, lm.vocab_size], Float32Array.from(linear(normed, s, classifier)));
}

/** h [S, d] updated in place: masked cross-attention to the token's own media, then the dense block. */
function gatedXattnBlock(
  config: FlamingoConfig, weights: WeightMap, i: number, h: Act, mediaIds: number[], kvs: MediaKeyValue[],
): void {
  const d = config.lm.dim;
  const s = mediaIds.length;
  const { heads, head_dim: hd, ff_mult: mult, ln_eps: eps } = config.xattn;
  const inner = heads * hd;
  const name = `xattn.${i}`;

  const t = layerNorm(h, s, getWeight(weights, `${name}.attn.norm.weight`, [d]), getWeight(weights, `${name}.attn.norm.bias`, [d]), eps);
  const q = linear(t, s, getWeight(weights, `${name}.attn.to_q.weight`, [inner, d])); // [S, xH*xhd]
  const a = new Float64Array(s * inner); // stays 0 for tokens with no media
  for (let tok = 0; tok < s; tok++) {
    const m = mediaIds[tok];
    if (m === 0) continue;
    const { key, value } = kvs[m - 1]; // [xH, N, xhd]
    const n = key.shape[1];
    const scores = new Float64Array(n);
    for (let head = 0; head < heads; head++) {
      for (let j = 0; j < n; j++) {
        let dot = 0;
        for (let c = 0; c < hd; c++) dot += q[(tok * heads + head) * hd + c] * key.data[(head * n + j) * hd + c];
        scores[j] = dot / Math.sqrt(hd);
      }
      softmaxInPlace(scores, 0, n);
      for (let c = 0; c < hd; c++) {
        let acc = 0;
        for (let j = 0; j < n; j++) acc += scores[j] * value.data[(head * n + j) * hd + c];
        a[(tok * heads + head) * hd + c] = acc;
      }
    }
  }
  const attnGate = Math.tanh(getWeight(weights, `${name}.attn_gate`, [1]).data[0]);
  addScaledInPlace(h, linear(a, s, getWeight(weights, `${name}.attn.to_out.weight`, [d, inner])), attnGate);
  const ffGate = Math.tanh(getWeight(weights, `${name}.ff_gate`, [1]).data[0]);
  addScaledInPlace(h, feedForward(weights, `${name}.ff`, h, s, d, mult, eps), ffGate);
}

/** h [S, d] updated in place: causal GQA self-attention with RoPE, then SwiGLU feed-forward. */
function llamaBlock(config: FlamingoConfig, weights: WeightMap, i: number, h: Act, s: number): void {
  const lm = config.lm;
  const d = lm.dim;
  const hd = lmHeadDim(lm);
  const kvDim = lm.n_kv_heads * hd;
  const name = `lm.layers.${i}`;

  const x = rmsNorm(h, s, getWeight(weights, `${name}.attention_norm.weight`, [d]), lm.norm_eps);
  const q = linear(x, s, getWeight(weights, `${name}.attention.wq.weight`, [d, d])); // [S, H*hd]
  const k = linear(x, s, getWeight(weights, `${name}.attention.wk.weight`, [kvDim, d])); // [S, kvH*hd]
  const v = linear(x, s, getWeight(weights, `${name}.attention.wv.weight`, [kvDim, d])); // [S, kvH*hd]
  rope(q, s, lm.n_heads, hd, lm.rope_theta);
  rope(k, s, lm.n_kv_heads, hd, lm.rope_theta);
  const a = attention(q, k, v, s, s, lm.n_heads, lm.n_kv_heads, hd, (qi, kj) => kj <= qi);
  addScaledInPlace(h, linear(a, s, getWeight(weights, `${name}.attention.wo.weight`, [d, d])));

  const xf = rmsNorm(h, s, getWeight(weights, `${name}.ffn_norm.weight`, [d]), lm.norm_eps);
  const gate = mapInPlace(linear(xf, s, getWeight(weights, `${name}.feed_forward.w1.weight`, [lm.hidden_dim, d])), silu);
  const up = linear(xf, s, getWeight(weights, `${name}.feed_forward.w3.weight`, [lm.hidden_dim, d]));
  for (let j = 0; j < gate.length; j++) gate[j] *= up[j];
  addScaledInPlace(h, linear(gate, s, getWeight(weights, `${name}.feed_forward.w2.weight`, [d, lm.hidden_dim])));
}

/** Rotate consecutive pairs (x[2j], x[2j+1]) of each head by pos * theta^(-2j/hd); x [S, heads*hd], pos = row. */
function rope(x: Act, s: number, heads: number, hd: number, theta: number): void {
  for (let pos = 0; pos < s; pos++) {
    for (let head = 0; head < heads; head++) {
      for (let j = 0; j < hd / 2; j++) {
        const f = pos * Math.pow(theta, (-2 * j) / hd);
        const at = (pos * heads + head) * hd + 2 * j;
        const x0 = x[at];
        const x1 = x[at + 1];
        x[at] = x0 * Math.cos(f) - x1 * Math.sin(f);
        x[at + 1] = x0 * Math.sin(f) + x1 * Math.cos(f);
      }
    }
  }
}

export interface GenerateMedia {
  mediaIds: number[]; // per prompt token, as in decoderForward
  latents: HostTensor[]; // [N, Dv] per media item
}

/**
 * Greedy (argmax) decoding, recomputing the whole sequence each step. Returns the new tokens
 * only, ending before the first stop id (not included). New tokens belong to the last media item.
 */
export function greedyGenerate(
  config: FlamingoConfig, weights: WeightMap, promptIds: number[], maxNewTokens: number, stopIds: number[] = [],
  media: GenerateMedia = { mediaIds: promptIds.map(() => 0), latents: [] },
): number[] {
  if (promptIds.length === 0) throw new Error('greedyGenerate: the prompt is empty');
  const ids = [...promptIds];
  const mediaIds = [...media.mediaIds];
  const generated: number[] = [];
  for (let step = 0; step < maxNewTokens; step++) {
    const logits = decoderForward(config, weights, ids, mediaIds, media.latents);
    const vocab = logits.shape[1];
    const last = logits.data.subarray((ids.length - 1) * vocab, ids.length * vocab);
    let best = 0;
    for (let j = 1; j < vocab; j++) if (last[j] > last[best]) best = j;
    if (stopIds.includes(best)) break;
    generated.push(best);
    ids.push(best);
    mediaIds.push(media.latents.length);
  }
  return generated;
}
