// Deterministic random weights for every tensor named in docs/model-spec.md, for parity and
// masking tests, and fresh vision/resampler/cross-attention weights to put next to an
// imported language model. The names and shapes come from weight-spec.ts; this file only
// says how each kind of tensor starts.
import type { FlamingoConfig } from '../flamingo/config';
import { expectedWeights } from './weight-spec';
import { tensor, type WeightMap } from './weights';

export interface RandomWeightOptions {
  /** Value of every attn_gate and ff_gate (tanh is applied by the model); 0 = untrained Flamingo. */
  gates?: number;
}

/** All weights of a Flamingo model; gates default to 0.5 so tests exercise the cross-attention. */
export function randomWeights(config: FlamingoConfig, seed: number, opts: RandomWeightOptions = {}): WeightMap {
  return fill(expectedWeights(config), new Rng(seed), opts.gates ?? 0.5);
}

/** Everything but `lm.*`, gates default to 0: extends an imported LM into an untrained Flamingo. */
export function randomVisionResamplerXattn(config: FlamingoConfig, seed: number, opts: RandomWeightOptions = {}): WeightMap {
  const shapes = new Map([...expectedWeights(config)].filter(([name]) => !name.startsWith('lm.')));
  return fill(shapes, new Rng(seed), opts.gates ?? 0);
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

function fill(shapes: Map<string, number[]>, rng: Rng, gates: number): WeightMap {
  const weights: WeightMap = new Map();
  for (const [name, shape] of shapes) {
    const t = tensor(shape);
    const value = initialValue(name, shape, rng, gates);
    for (let i = 0; i < t.data.length; i++) t.data[i] = value();
    weights.set(name, t);
  }
  return weights;
}

/** How a tensor starts, by its name and shape. */
function initialValue(name: string, shape: number[], rng: Rng, gates: number): () => number {
  if (name.endsWith('_gate')) return () => gates;
  // Nonzero (trained NFNets are; 0 would hide the residual branch from tests).
  if (name.endsWith('.skip_gain')) return () => (rng.uniform() < 0.5 ? -1 : 1) * (0.5 + rng.uniform());
  if (name.endsWith('.gain')) return () => 1;
  // Embeddings and latents: unit normals.
  if (/(tok_embeddings\.weight|\.latents|\.frame_embs)$/.test(name)) return () => rng.normal();
  // Norm scales near 1; biases and position/class embeddings near 0.
  if (shape.length === 1 && name.endsWith('.weight')) return () => 1 + 0.1 * rng.normal();
  if (shape.length <= 2 && /(bias|embedding|pos_embed)$/.test(name)) return () => 0.1 * rng.normal();
  // NFNet's convolutions are standardised by the model, so their scale is free: unit normals
  // keep its epsilon negligible (the invariance test relies on that).
  if (/^vision\.(stem|stages)\..*\.weight$/.test(name)) return () => rng.normal();
  // Linear [out, in] and ViT's patch convolution [out, in, k, k]: normal / sqrt(fan-in).
  const fanIn = shape.slice(1).reduce((a, b) => a * b, 1);
  return () => rng.normal() / Math.sqrt(fanIn);
}
