// Deterministic random weights for every tensor named in docs/model-spec.md, for parity and
// masking tests, and fresh vision/resampler/cross-attention weights to put next to an
// imported language model.
import { type FlamingoConfig, lmHeadDim, visionPositions, visionWidth, xattnLayers } from '../flamingo/config';
import { tensor, type WeightMap } from './weights';

export interface RandomWeightOptions {
  /** Value of every attn_gate and ff_gate (tanh is applied by the model); 0 = untrained Flamingo. */
  gates?: number;
}

/** All weights of a Flamingo model; gates default to 0.5 so tests exercise the cross-attention. */
export function randomWeights(config: FlamingoConfig, seed: number, opts: RandomWeightOptions = {}): WeightMap {
  const rng = new Rng(seed);
  const weights: WeightMap = new Map();
  addLm(weights, config, rng);
  addVision(weights, config, rng);
  addResampler(weights, config, rng);
  addXattn(weights, config, rng, opts.gates ?? 0.5);
  return weights;
}

/** Everything but `lm.*`, gates default to 0: extends an imported LM into an untrained Flamingo. */
export function randomVisionResamplerXattn(config: FlamingoConfig, seed: number, opts: RandomWeightOptions = {}): WeightMap {
  const rng = new Rng(seed);
  const weights: WeightMap = new Map();
  addVision(weights, config, rng);
  addResampler(weights, config, rng);
  addXattn(weights, config, rng, opts.gates ?? 0);
  return weights;
}

/** mulberry32 uniform numbers and Box-Muller normals. */
export class Rng {
  private state: number;
  constructor(seed: number) {
    this.state = seed >>> 0;
  }
  /** Uniform in [0, 1). */
  uniform(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  normal(): number {
    const u = 1 - this.uniform(); // (0, 1]: log is finite
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * this.uniform());
  }
}

function put(weights: WeightMap, name: string, shape: number[], value: () => number): void {
  const t = tensor(shape);
  for (let i = 0; i < t.data.length; i++) t.data[i] = value();
  weights.set(name, t);
}

/** Linear weight [out, in], normal / sqrt(in). */
function linear(weights: WeightMap, rng: Rng, name: string, out: number, inDim: number): void {
  put(weights, name, [out, inDim], () => rng.normal() / Math.sqrt(inDim));
}

/** LayerNorm `${name}.weight|bias`: weight near 1, bias near 0. */
function layerNorm(weights: WeightMap, rng: Rng, name: string, dim: number): void {
  put(weights, `${name}.weight`, [dim], () => 1 + 0.1 * rng.normal());
  put(weights, `${name}.bias`, [dim], () => 0.1 * rng.normal());
}

/** LN, Linear(d, d*m), GELU, Linear(d*m, d) under `${prefix}.0|1|3`. */
function feedForward(weights: WeightMap, rng: Rng, prefix: string, dim: number, mult: number): void {
  layerNorm(weights, rng, `${prefix}.0`, dim);
  linear(weights, rng, `${prefix}.1.weight`, dim * mult, dim);
  linear(weights, rng, `${prefix}.3.weight`, dim, dim * mult);
}

function addLm(weights: WeightMap, config: FlamingoConfig, rng: Rng): void {
  const lm = config.lm;
  const d = lm.dim;
  const kvDim = lm.n_kv_heads * lmHeadDim(lm);
  put(weights, 'lm.tok_embeddings.weight', [lm.vocab_size, d], () => rng.normal());
  for (let i = 0; i < lm.n_layers; i++) {
    const name = `lm.layers.${i}`;
    put(weights, `${name}.attention_norm.weight`, [d], () => 1 + 0.1 * rng.normal());
    linear(weights, rng, `${name}.attention.wq.weight`, d, d);
    linear(weights, rng, `${name}.attention.wk.weight`, kvDim, d);
    linear(weights, rng, `${name}.attention.wv.weight`, kvDim, d);
    linear(weights, rng, `${name}.attention.wo.weight`, d, d);
    put(weights, `${name}.ffn_norm.weight`, [d], () => 1 + 0.1 * rng.normal());
    linear(weights, rng, `${name}.feed_forward.w1.weight`, lm.hidden_dim, d);
    linear(weights, rng, `${name}.feed_forward.w2.weight`, d, lm.hidden_dim);
    linear(weights, rng, `${name}.feed_forward.w3.weight`, lm.hidden_dim, d);
  }
  put(weights, 'lm.norm.weight', [d], () => 1 + 0.1 * rng.normal());
  if (!lm.tie_embeddings) linear(weights, rng, 'lm.output.weight', lm.vocab_size, d);
}

function addVision(weights: WeightMap, config: FlamingoConfig, rng: Rng): void {
  const vision = config.vision;
  const positions = visionPositions(vision);
  if (vision.type === 'vit') {
    const vit = vision.vit;
    if (!vit) throw new Error('config: "vision.vit" is missing');
    const w = vit.width;
    const p = vit.patch_size;
    put(weights, 'vision.conv1.weight', [w, 3, p, p], () => rng.normal() / Math.sqrt(3 * p * p));
    put(weights, 'vision.class_embedding', [w], () => 0.1 * rng.normal());
    put(weights, 'vision.positional_embedding', [1 + positions, w], () => 0.1 * rng.normal());
    layerNorm(weights, rng, 'vision.ln_pre', w);
    for (let i = 0; i < vit.layers; i++) {
      const name = `vision.transformer.resblocks.${i}`;
      layerNorm(weights, rng, `${name}.ln_1`, w);
      linear(weights, rng, `${name}.attn.in_proj_weight`, 3 * w, w);
      put(weights, `${name}.attn.in_proj_bias`, [3 * w], () => 0.1 * rng.normal());
      linear(weights, rng, `${name}.attn.out_proj.weight`, w, w);
      put(weights, `${name}.attn.out_proj.bias`, [w], () => 0.1 * rng.normal());
      layerNorm(weights, rng, `${name}.ln_2`, w);
      linear(weights, rng, `${name}.mlp.c_fc.weight`, vit.mlp_dim, w);
      put(weights, `${name}.mlp.c_fc.bias`, [vit.mlp_dim], () => 0.1 * rng.normal());
      linear(weights, rng, `${name}.mlp.c_proj.weight`, w, vit.mlp_dim);
      put(weights, `${name}.mlp.c_proj.bias`, [w], () => 0.1 * rng.normal());
    }
    layerNorm(weights, rng, 'vision.ln_post', w);
    return;
  }

  const nf = vision.nfnet;
  if (!nf) throw new Error('config: "vision.nfnet" is missing');
  // WSConv: raw weights are standardised by the model, so their scale is free; gain 1
  const wsConv = (name: string, inCh: number, out: number, k: number) => {
    put(weights, `${name}.weight`, [out, inCh, k, k], () => rng.normal());
    put(weights, `${name}.gain`, [out], () => 1);
    put(weights, `${name}.bias`, [out], () => 0.1 * rng.normal());
  };
  let channels = 3;
  nf.stem.forEach((s, i) => {
    wsConv(`vision.stem.${i}`, channels, s.channels, s.kernel);
    channels = s.channels;
  });
  nf.stages.forEach((stage, si) => {
    for (let b = 0; b < stage.blocks; b++) {
      const name = `vision.stages.${si}.blocks.${b}`;
      const stride = b === 0 ? stage.stride : 1;
      if (b === 0 && (stride !== 1 || channels !== stage.channels)) wsConv(`${name}.shortcut`, channels, stage.channels, 1);
      wsConv(`${name}.conv1`, channels, stage.channels, 3);
      wsConv(`${name}.conv2`, stage.channels, stage.channels, 3);
      // nonzero (trained NFNets are; init 0 would hide the residual branch from tests)
      put(weights, `${name}.skip_gain`, [1], () => (rng.uniform() < 0.5 ? -1 : 1) * (0.5 + rng.uniform()));
      channels = stage.channels;
    }
  });
  if (nf.pos_embed) put(weights, 'vision.pos_embed', [positions, visionWidth(vision)], () => 0.1 * rng.normal());
}

function addResampler(weights: WeightMap, config: FlamingoConfig, rng: Rng): void {
  const rc = config.resampler;
  const dv = visionWidth(config.vision);
  const inner = rc.heads * rc.head_dim;
  put(weights, 'resampler.latents', [rc.num_latents, dv], () => rng.normal());
  if (rc.max_frames > 0) put(weights, 'resampler.frame_embs', [rc.max_frames, dv], () => rng.normal());
  for (let l = 0; l < rc.depth; l++) {
    const name = `resampler.layers.${l}`;
    layerNorm(weights, rng, `${name}.attn.norm_media`, dv);
    layerNorm(weights, rng, `${name}.attn.norm_latents`, dv);
    linear(weights, rng, `${name}.attn.to_q.weight`, inner, dv);
    linear(weights, rng, `${name}.attn.to_kv.weight`, 2 * inner, dv);
    linear(weights, rng, `${name}.attn.to_out.weight`, dv, inner);
    feedForward(weights, rng, `${name}.ff`, dv, rc.ff_mult);
  }
  layerNorm(weights, rng, 'resampler.norm', dv);
}

function addXattn(weights: WeightMap, config: FlamingoConfig, rng: Rng, gates: number): void {
  const x = config.xattn;
  const d = config.lm.dim;
  const dv = visionWidth(config.vision);
  const inner = x.heads * x.head_dim;
  for (const i of xattnLayers(config)) {
    const name = `xattn.${i}`;
    layerNorm(weights, rng, `${name}.attn.norm`, d);
    linear(weights, rng, `${name}.attn.to_q.weight`, inner, d);
    linear(weights, rng, `${name}.attn.to_kv.weight`, 2 * inner, dv);
    linear(weights, rng, `${name}.attn.to_out.weight`, d, inner);
    put(weights, `${name}.attn_gate`, [1], () => gates);
    feedForward(weights, rng, `${name}.ff`, d, x.ff_mult);
    put(weights, `${name}.ff_gate`, [1], () => gates);
  }
}
