// CLIP ViT vision encoder graph (open_clip's VisionTransformer):
// pixels [F, 3, H, W] -> features [F, P, width], the patch tokens after ln_post (model-spec §2).

import { FlamingoConfig, visionPositions } from '../flamingo/config';
import { Graph } from './onnx/graph';
import { attentionInQueryBlocks, gelu, layerNorm, linear, linearWeight, transposedInit, weight } from './layers';
import { WeightMap, getWeight } from './weights';

export function buildVitVision(config: FlamingoConfig, weights: WeightMap): Graph {
  const vision = config.vision;
  const vit = vision.vit;
  if (!vit) throw new Error('config: vision.type is "vit" but "vision.vit" is missing');
  const [H, W] = vision.image_size;
  const { width: w, patch_size: p, heads, mlp_dim: mlp, ln_eps: eps } = vit;
  const P = visionPositions(vision);
  const g = new Graph('vision');
  const pixels = g.input('pixels', 'float32', ['frames', 3, H, W]);

  // Patches: [F, 3, H, W] -> conv -> [F, w, H/p, W/p] -> [F, P, w].
  const conv = weight(g, weights, 'vision.conv1.weight', [w, 3, p, p]);
  const patches = g.scope('patch_embed', () => {
    const c = g.op('', 'Conv', [pixels, conv], { kernel_shape: [p, p], strides: [p, p] })[0];
    return g.transpose(g.reshape(c, [0, w, -1]), [0, 2, 1]);
  });

  // cat(class_embedding, patches) + positional_embedding, as one Pad and one Add: a zero row
  // is padded in front, and row 0 of the added constant is class_embedding + pos[0].
  const cls = getWeight(weights, 'vision.class_embedding', [w]).data;
  const pos = getWeight(weights, 'vision.positional_embedding', [1 + P, w]).data;
  const embed = Float32Array.from(pos);
  for (let j = 0; j < w; j++) embed[j] += cls[j];
  let x = g.scope('embed', () => {
    const padded = g.op('', 'Pad', [patches, g.constInt64([0, 1, 0, 0, 0, 0])])[0]; // [F, 1+P, w]
    return g.add(padded, g.init('vision.class_and_positional_embedding', [1 + P, w], embed));
  });
  x = layerNorm(g, weights, x, 'vision.ln_pre', w, eps);

  for (let i = 0; i < vit.layers; i++) {
    const prefix = `vision.transformer.resblocks.${i}`;
    x = g.scope(`resblocks.${i}`, () => {
      // x = x + attn(ln_1(x)); in_proj packs q, k, v (in that order) along the output dim.
      const t = layerNorm(g, weights, x, `${prefix}.ln_1`, w, eps);
      const inW = getWeight(weights, `${prefix}.attn.in_proj_weight`, [3 * w, w]).data;
      const inB = getWeight(weights, `${prefix}.attn.in_proj_bias`, [3 * w]).data;
      const [q, k, v] = ['q', 'k', 'v'].map((name, j) => {
        const part = { shape: [w, w], data: inW.subarray(j * w * w, (j + 1) * w * w) };
        const wT = transposedInit(g, `${prefix}.attn.in_proj_weight.${name}_T`, part);
        return linear(g, t, wT, g.init(`${prefix}.attn.in_proj_bias.${name}`, [w], inB.slice(j * w, (j + 1) * w)));
      });
      const a = attentionInQueryBlocks(g, q, k, v, heads, 1 + P); // [F, 1+P, w]
      const out = linear(g, a, linearWeight(g, weights, `${prefix}.attn.out_proj.weight`, [w, w]),
        weight(g, weights, `${prefix}.attn.out_proj.bias`, [w]));
      const h = g.add(x, out);

      // h = h + mlp(ln_2(h))
      const t2 = layerNorm(g, weights, h, `${prefix}.ln_2`, w, eps);
      let m = linear(g, t2, linearWeight(g, weights, `${prefix}.mlp.c_fc.weight`, [mlp, w]),
        weight(g, weights, `${prefix}.mlp.c_fc.bias`, [mlp]));
      m = vit.act === 'gelu' ? gelu(g, m) : quickGelu(g, m);
      m = linear(g, m, linearWeight(g, weights, `${prefix}.mlp.c_proj.weight`, [w, mlp]),
        weight(g, weights, `${prefix}.mlp.c_proj.bias`, [w]));
      return g.add(h, m);
    });
  }

  x = layerNorm(g, weights, x, 'vision.ln_post', w, eps);
  const features = g.scope('drop_cls', () =>
    g.op('', 'Slice', [x, g.constInt64([1]), g.constInt64([1 + P]), g.constInt64([1])])[0]);
  g.output(features, 'features', 'float32', ['frames', P, w]);
  return g;
}

/** quick_gelu(x) = x * sigmoid(1.702 x) */
function quickGelu(g: Graph, x: string): string {
  return g.mul(x, g.op('', 'Sigmoid', [g.mul(x, g.constFloat([1.702], [1]))])[0]);
}
