// Perceiver Resampler (docs/model-spec.md section 3) and the per-layer cross-attention
// keys/values that the resampler graph also outputs.
import { type FlamingoConfig, visionWidth, xattnLayers } from '../../src/flamingo/config';
import { getWeight, type HostTensor, tensor, type WeightMap } from '../../src/builder/weights';
import { type Act, addScaledInPlace, attention, gelu, layerNorm, linear, mapInPlace, splitColumns } from './ops';

/** LN -> Linear(d, d*m) -> GELU -> Linear(d*m, d), names `${prefix}.0|1|3`: x [rows, d] -> [rows, d]. */
export function feedForward(weights: WeightMap, prefix: string, x: Act, rows: number, dim: number, mult: number, eps: number): Act {
  const normed = layerNorm(x, rows, getWeight(weights, `${prefix}.0.weight`, [dim]), getWeight(weights, `${prefix}.0.bias`, [dim]), eps);
  const hidden = mapInPlace(linear(normed, rows, getWeight(weights, `${prefix}.1.weight`, [dim * mult, dim])), gelu);
  return linear(hidden, rows, getWeight(weights, `${prefix}.3.weight`, [dim, dim * mult]));
}

/** features [F, P, Dv] of one media item -> latents [N, Dv]. */
export function resamplerForward(config: FlamingoConfig, weights: WeightMap, features: HostTensor): HostTensor {
  const rc = config.resampler;
  const dv = visionWidth(config.vision);
  const [frames, positions, width] = features.shape;
  if (features.shape.length !== 3 || width !== dv) {
    throw new Error(`resamplerForward: features have shape [${features.shape}], expected [F, P, ${dv}]`);
  }
  if (rc.max_frames > 0 && frames > rc.max_frames) {
    throw new Error(`resamplerForward: ${frames} frames, but resampler.max_frames is ${rc.max_frames}`);
  }
  const n = rc.num_latents;
  const inner = rc.heads * rc.head_dim;
  const rows = frames * positions;

  // x [F*P, Dv], with the frame embedding added per frame
  const x = Float64Array.from(features.data);
  if (rc.max_frames > 0) {
    const frameEmbs = getWeight(weights, 'resampler.frame_embs', [rc.max_frames, dv]).data;
    for (let f = 0; f < frames; f++) {
      for (let p = 0; p < positions; p++) {
        for (let c = 0; c < dv; c++) x[(f * positions + p) * dv + c] += frameEmbs[f * dv + c];
      }
    }
  }
  const lat = Float64Array.from(getWeight(weights, 'resampler.latents', [n, dv]).data); // [N, Dv]

  for (let l = 0; l < rc.depth; l++) {
    const name = `resampler.layers.${l}`;
    const ln = (v: Act, r: number, norm: string) =>
      layerNorm(v, r, getWeight(weights, `${name}.attn.${norm}.weight`, [dv]), getWeight(weights, `${name}.attn.${norm}.bias`, [dv]), rc.ln_eps);
    const xn = ln(x, rows, 'norm_media'); // [F*P, Dv]
    const latn = ln(lat, n, 'norm_latents'); // [N, Dv]
    const q = linear(latn, n, getWeight(weights, `${name}.attn.to_q.weight`, [inner, dv])); // [N, H*hd]
    const kvInput = new Float64Array((rows + n) * dv); // cat(xn, latn): [F*P+N, Dv]
    kvInput.set(xn, 0);
    kvInput.set(latn, rows * dv);
    const kv = linear(kvInput, rows + n, getWeight(weights, `${name}.attn.to_kv.weight`, [2 * inner, dv])); // [F*P+N, 2*H*hd]
    const [k, v] = splitColumns(kv, rows + n, 2 * inner, 2);
    const a = attention(q, k, v, n, rows + n, rc.heads, rc.heads, rc.head_dim); // [N, H*hd]
    addScaledInPlace(lat, linear(a, n, getWeight(weights, `${name}.attn.to_out.weight`, [dv, inner])));
    addScaledInPlace(lat, feedForward(weights, `${name}.ff`, lat, n, dv, rc.ff_mult, rc.ln_eps));
  }
  const out = layerNorm(lat, n, getWeight(weights, 'resampler.norm.weight', [dv]), getWeight(weights, 'resampler.norm.bias', [dv]), rc.ln_eps);
  return tensor([n, dv], Float32Array.from(out));
}

export interface MediaKeyValue { key: HostTensor; value: HostTensor } // [xH, N, xhd] each

/** latents [N, Dv] -> for each LM layer i with a gated block: keys and values [xH, N, xhd]. */
export function mediaKeysValues(config: FlamingoConfig, weights: WeightMap, latents: HostTensor): Map<number, MediaKeyValue> {
  const dv = visionWidth(config.vision);
  const n = config.resampler.num_latents;
  if (latents.shape.length !== 2 || latents.shape[0] !== n || latents.shape[1] !== dv) {
    throw new Error(`mediaKeysValues: latents have shape [${latents.shape}], expected [${n}, ${dv}]`);
  }
  const { heads, head_dim: hd } = config.xattn;
  const inner = heads * hd;
  const result = new Map<number, MediaKeyValue>();
  for (const i of xattnLayers(config)) {
    const kv = linear(Float64Array.from(latents.data), n, getWeight(weights, `xattn.${i}.attn.to_kv.weight`, [2 * inner, dv]));
    const [k, v] = splitColumns(kv, n, 2 * inner, 2); // [N, xH*xhd] each
    result.set(i, { key: headsFirst(k, n, heads, hd), value: headsFirst(v, n, heads, hd) });
  }
  return result;
}

/** [N, H*hd] -> [H, N, hd]. */
function headsFirst(x: Act, n: number, heads: number, hd: number): HostTensor {
  const out = tensor([heads, n, hd]);
  for (let t = 0; t < n; t++) {
    for (let h = 0; h < heads; h++) {
      for (let d = 0; d < hd; d++) out.data[(h * n + t) * hd + d] = x[(t * heads + h) * hd + d];
    }
  }
  return out;
}
