// Perceiver Resampler graph (model-spec §3), one media item:
//   features [F, P, Dv] -> latents [N, Dv], and for every gated cross-attention layer i the
//   media keys/values media_key.{i}, media_value.{i} [xH, N, xhd] (they depend only on the image).

import { FlamingoConfig, visionPositions, visionWidth, xattnLayers } from '../flamingo/config';
import { Graph } from './onnx/graph';
import { attentionInQueryBlocks, feedForward, layerNorm, linear, linearWeight, rows, transposedInit, weight } from './layers';
import { WeightMap, getWeight } from './weights';

export function buildResampler(config: FlamingoConfig, weights: WeightMap): Graph {
  const r = config.resampler;
  const Dv = visionWidth(config.vision);
  const P = visionPositions(config.vision);
  const N = r.num_latents;
  const inner = r.heads * r.head_dim;
  const g = new Graph('resampler');
  const features = g.input('features', 'float32', ['frames', P, Dv]);

  // Temporal embeddings: x[f] += frame_embs[f] for the F frames given.
  let x = features;
  if (r.max_frames > 0) {
    x = g.scope('frame_embs', () => {
      const frameEmbs = weight(g, weights, 'resampler.frame_embs', [r.max_frames, Dv]);
      const F = g.op('', 'Shape', [features], { start: 0, end: 1 })[0]; // [1] = [F]
      const used = g.op('', 'Slice', [frameEmbs, g.constInt64([0]), F, g.constInt64([0])])[0]; // [F, Dv]
      return g.add(features, g.op('', 'Unsqueeze', [used, g.constInt64([1])])[0]); // + [F, 1, Dv]
    });
  }
  x = g.reshape(x, [1, -1, Dv]); // [1, F*P, Dv]: one batch for attention
  let lat = g.init('resampler.latents', [1, N, Dv], getWeight(weights, 'resampler.latents', [N, Dv]).data);

  for (let l = 0; l < r.depth; l++) {
    const prefix = `resampler.layers.${l}`;
    lat = g.scope(`layers.${l}`, () => {
      // Latents attend to [media; latents]; queries are the latents alone.
      const xn = layerNorm(g, weights, x, `${prefix}.attn.norm_media`, Dv, r.ln_eps);
      const ln = layerNorm(g, weights, lat, `${prefix}.attn.norm_latents`, Dv, r.ln_eps);
      const q = linear(g, ln, linearWeight(g, weights, `${prefix}.attn.to_q.weight`, [inner, Dv])); // [1, N, inner]
      const kvIn = g.concat([xn, ln], 1); // [1, F*P+N, Dv]
      const toKv = getWeight(weights, `${prefix}.attn.to_kv.weight`, [2 * inner, Dv]);
      const k = linear(g, kvIn, transposedInit(g, `${prefix}.attn.to_kv.weight.k_T`, rows(toKv, 0, inner)));
      const v = linear(g, kvIn, transposedInit(g, `${prefix}.attn.to_kv.weight.v_T`, rows(toKv, inner, 2 * inner)));
      const a = attentionInQueryBlocks(g, q, k, v, r.heads, N); // [1, N, inner]
      let h = g.add(linear(g, a, linearWeight(g, weights, `${prefix}.attn.to_out.weight`, [Dv, inner])), lat);
      h = g.add(feedForward(g, weights, h, `${prefix}.ff`, Dv, r.ff_mult, r.ln_eps), h);
      return h;
    });
  }
  const out = layerNorm(g, weights, lat, 'resampler.norm', Dv, r.ln_eps); // [1, N, Dv]
  g.output(g.reshape(out, [N, Dv]), 'latents', 'float32', [N, Dv]);

  // Cross-attention keys and values of each gated layer: [1, N, xH*xhd] -> [xH, N, xhd].
  const { heads: xH, head_dim: xhd } = config.xattn;
  for (const i of xattnLayers(config)) {
    g.scope(`media_kv.${i}`, () => {
      const toKv = getWeight(weights, `xattn.${i}.attn.to_kv.weight`, [2 * xH * xhd, Dv]);
      const halves = { key: rows(toKv, 0, xH * xhd), value: rows(toKv, xH * xhd, 2 * xH * xhd) };
      for (const [kind, w] of Object.entries(halves)) {
        const wT = transposedInit(g, `xattn.${i}.attn.to_kv.weight.${kind === 'key' ? 'k' : 'v'}_T`, w);
        const perHead = g.transpose(g.reshape(linear(g, out, wT), [N, xH, xhd]), [1, 0, 2]);
        g.output(perHead, `media_${kind}.${i}`, 'float32', [xH, N, xhd]);
      }
    });
  }
  return g;
}
