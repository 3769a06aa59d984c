// The weights a config needs, by name and shape (docs/model-spec.md §2-4), and the check that
// a weight map has exactly those: the builder refuses anything else before writing a graph.

import { FlamingoConfig, lmHeadDim, visionPositions, visionWidth, xattnLayers } from '../flamingo/config';
import { WeightMap } from './weights';

export function expectedWeights(config: FlamingoConfig): Map<string, number[]> {
  const shapes = new Map<string, number[]>();
  const add = (name: string, shape: number[]) => shapes.set(name, shape);
  const layerNorm = (name: string, d: number) => { add(`${name}.weight`, [d]); add(`${name}.bias`, [d]); };
  const feedForward = (prefix: string, d: number, m: number) => {
    layerNorm(`${prefix}.0`, d);
    add(`${prefix}.1.weight`, [d * m, d]);
    add(`${prefix}.3.weight`, [d, d * m]);
  };
  const Dv = visionWidth(config.vision);
  const P = visionPositions(config.vision);

  const vision = config.vision;
  if (vision.type === 'vit') {
    const { width: w, patch_size: p, layers, mlp_dim: mlp } = vision.vit!;
    add('vision.conv1.weight', [w, 3, p, p]);
    add('vision.class_embedding', [w]);
    add('vision.positional_embedding', [1 + P, w]);
    layerNorm('vision.ln_pre', w);
    for (let i = 0; i < layers; i++) {
      const b = `vision.transformer.resblocks.${i}`;
      layerNorm(`${b}.ln_1`, w);
      layerNorm(`${b}.ln_2`, w);
      add(`${b}.attn.in_proj_weight`, [3 * w, w]);
      add(`${b}.attn.in_proj_bias`, [3 * w]);
      add(`${b}.attn.out_proj.weight`, [w, w]);
      add(`${b}.attn.out_proj.bias`, [w]);
      add(`${b}.mlp.c_fc.weight`, [mlp, w]);
      add(`${b}.mlp.c_fc.bias`, [mlp]);
      add(`${b}.mlp.c_proj.weight`, [w, mlp]);
      add(`${b}.mlp.c_proj.bias`, [w]);
    }
    layerNorm('vision.ln_post', w);
  } else if (vision.type === 'nfnet') {
    const nf = vision.nfnet!;
    const wsConv = (name: string, inCh: number, out: number, k: number) => {
      add(`${name}.weight`, [out, inCh, k, k]);
      add(`${name}.gain`, [out]);
      add(`${name}.bias`, [out]);
    };
    let ch = 3;
    nf.stem.forEach((s, i) => { wsConv(`vision.stem.${i}`, ch, s.channels, s.kernel); ch = s.channels; });
    nf.stages.forEach((stage, i) => {
      for (let b = 0; b < stage.blocks; b++) {
        const prefix = `vision.stages.${i}.blocks.${b}`;
        const stride = b === 0 ? stage.stride : 1;
        if (b === 0 && (stride !== 1 || ch !== stage.channels)) wsConv(`${prefix}.shortcut`, ch, stage.channels, 1);
        wsConv(`${prefix}.conv1`, ch, stage.channels, 3);
        wsConv(`${prefix}.conv2`, stage.channels, stage.channels, 3);
        add(`${prefix}.skip_gain`, [1]);
        ch = stage.channels;
      }
    });
    if (nf.pos_embed) add('vision.pos_embed', [P, Dv]);
  } else {
    throw new Error(`config: vision.type "${String(vision.type)}" is neither "nfnet" nor "vit"`);
  }

  const r = config.resampler;
  const inner = r.heads * r.head_dim;
  add('resampler.latents', [r.num_latents, Dv]);
  if (r.max_frames > 0) add('resampler.frame_embs', [r.max_frames, Dv]);
  for (let l = 0; l < r.depth; l++) {
    const prefix = `resampler.layers.${l}`;
    layerNorm(`${prefix}.attn.norm_media`, Dv);
    layerNorm(`${prefix}.attn.norm_latents`, Dv);
    add(`${prefix}.attn.to_q.weight`, [inner, Dv]);
    add(`${prefix}.attn.to_kv.weight`, [2 * inner, Dv]);
    add(`${prefix}.attn.to_out.weight`, [Dv, inner]);
    feedForward(`${prefix}.ff`, Dv, r.ff_mult);
  }
  layerNorm('resampler.norm', Dv);

  const lm = config.lm;
  const d = lm.dim;
  const kvDim = lm.n_kv_heads * lmHeadDim(lm);
  add('lm.tok_embeddings.weight', [lm.vocab_size, d]);
  for (let i = 0; i < lm.n_layers; i++) {
    const prefix = `lm.layers.${i}`;
    add(`${prefix}.attention_norm.weight`, [d]);
    add(`${prefix}.attention.wq.weight`, [d, d]);
    add(`${prefix}.attention.wk.weight`, [kvDim, d]);
    add(`${prefix}.attention.wv.weight`, [kvDim, d]);
    add(`${prefix}.attention.wo.weight`, [d, d]);
    add(`${prefix}.ffn_norm.weight`, [d]);
    add(`${prefix}.feed_forward.w1.weight`, [lm.hidden_dim, d]);
    add(`${prefix}.feed_forward.w2.weight`, [d, lm.hidden_dim]);
    add(`${prefix}.feed_forward.w3.weight`, [lm.hidden_dim, d]);
  }
  add('lm.norm.weight', [d]);
  if (!lm.tie_embeddings) add('lm.output.weight', [lm.vocab_size, d]);

  const x = config.xattn;
  const xInner = x.heads * x.head_dim;
  for (const i of xattnLayers(config)) {
    const prefix = `xattn.${i}`;
    layerNorm(`${prefix}.attn.norm`, d);
    add(`${prefix}.attn.to_q.weight`, [xInner, d]);
    add(`${prefix}.attn.to_kv.weight`, [2 * xInner, Dv]);
    add(`${prefix}.attn.to_out.weight`, [d, xInner]);
    add(`${prefix}.attn_gate`, [1]);
    feedForward(`${prefix}.ff`, d, x.ff_mult);
    add(`${prefix}.ff_gate`, [1]);
  }
  return shapes;
}

/** Throws one error listing every missing, unexpected or misshaped tensor. */
export function validateWeights(config: FlamingoConfig, weights: WeightMap): void {
  const expected = expectedWeights(config);
  const problems: string[] = [];
  for (const [name, shape] of expected) {
    const t = weights.get(name);
    if (!t) problems.push(`missing "${name}" [${shape}]`);
    else if (!sameShape(t.shape, shape)) problems.push(`"${name}" has shape [${t.shape}], expected [${shape}]`);
    else if (t.data.length !== shape.reduce((a, b) => a * b, 1)) problems.push(`"${name}" has ${t.data.length} values for shape [${shape}]`);
  }
  for (const name of weights.keys()) if (!expected.has(name)) problems.push(`unexpected "${name}"`);
  if (problems.length) {
    const shown = problems.slice(0, 20).join('\n  ');
    const more = problems.length > 20 ? `\n  ... and ${problems.length - 20} more` : '';
    throw new Error(`weights do not match the config (${problems.length} problems):\n  ${shown}${more}`);
  }
}

function sameShape(a: number[], b: number[]): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}
