// CLIP ViT vision encoder as open_clip's VisionTransformer (docs/model-spec.md section 2),
// one frame at a time: pixels [3, H, W] -> features [P, width] (patch tokens, no CLS).
import type { VitConfig } from '../../src/flamingo/config';
import { getWeight, type WeightMap } from '../../src/builder/weights';
import {
  type Act, addScaledInPlace, attention, conv2d, gelu, layerNorm, linear, mapInPlace, quickGelu, splitColumns, toFloat64,
} from './ops';

export function vitFrame(cfg: VitConfig, weights: WeightMap, pixels: Act, height: number, width: number): Act {
  const w = cfg.width;
  const p = cfg.patch_size;
  const ln = (x: Act, rows: number, name: string) =>
    layerNorm(x, rows, getWeight(weights, `${name}.weight`, [w]), getWeight(weights, `${name}.bias`, [w]), cfg.ln_eps);

  // patchify: conv stride p, no padding, no bias -> [width, gh, gw]
  const conv = conv2d(pixels, 3, height, width, toFloat64(getWeight(weights, 'vision.conv1.weight', [w, 3, p, p])), w, p, null, p, 0);
  const positions = conv.h * conv.w;
  const tokens = 1 + positions;

  // x = [CLS; patches] + positional_embedding: [1+P, width]
  const cls = getWeight(weights, 'vision.class_embedding', [w]).data;
  const posEmbed = getWeight(weights, 'vision.positional_embedding', [tokens, w]).data;
  let x: Act = new Float64Array(tokens * w);
  for (let c = 0; c < w; c++) x[c] = cls[c] + posEmbed[c];
  for (let t = 1; t < tokens; t++) {
    for (let c = 0; c < w; c++) x[t * w + c] = conv.data[c * positions + (t - 1)] + posEmbed[t * w + c];
  }
  x = ln(x, tokens, 'vision.ln_pre');

  const act = cfg.act === 'quick_gelu' ? quickGelu : gelu;
  const hd = w / cfg.heads;
  for (let i = 0; i < cfg.layers; i++) {
    const name = `vision.transformer.resblocks.${i}`;
    // attention: x = x + out_proj(mha(ln_1(x)))
    const qkv = linear(ln(x, tokens, `${name}.ln_1`), tokens,
      getWeight(weights, `${name}.attn.in_proj_weight`, [3 * w, w]), getWeight(weights, `${name}.attn.in_proj_bias`, [3 * w]));
    const [q, k, v] = splitColumns(qkv, tokens, 3 * w, 3); // [tokens, w] each
    const a = attention(q, k, v, tokens, tokens, cfg.heads, cfg.heads, hd);
    addScaledInPlace(x, linear(a, tokens,
      getWeight(weights, `${name}.attn.out_proj.weight`, [w, w]), getWeight(weights, `${name}.attn.out_proj.bias`, [w])));
    // mlp: x = x + c_proj(act(c_fc(ln_2(x))))
    const hidden = mapInPlace(linear(ln(x, tokens, `${name}.ln_2`), tokens,
      getWeight(weights, `${name}.mlp.c_fc.weight`, [cfg.mlp_dim, w]), getWeight(weights, `${name}.mlp.c_fc.bias`, [cfg.mlp_dim])), act);
    addScaledInPlace(x, linear(hidden, tokens,
      getWeight(weights, `${name}.mlp.c_proj.weight`, [w, cfg.mlp_dim]), getWeight(weights, `${name}.mlp.c_proj.bias`, [w])));
  }
  x = ln(x, tokens, 'vision.ln_post');
  return x.slice(w); // drop CLS: [P, width]
}
